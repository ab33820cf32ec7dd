"""How replies are signed, asked once: when the helpdesk can't say who the agent is (the demo, Request Tracker),
the banner asks for the name customers see, never signing as the OS login; the answer is saved in the config."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QInputDialog, QStatusBar, QWidget

from assist.session import Session
from assist.settings import save_settings

from ui.errors import Banner


class SignaturePrompt:
    def __init__(self, parent: QWidget, session: Callable[[], Session], banner: Banner,
                 status: Callable[[], QStatusBar]) -> None:
        self._parent, self._session, self._banner, self._status = parent, session, banner, status
        self._dialog: QInputDialog | None = None

    def known(self, name: str) -> None:
        """The name the helpdesk gave ('' when it couldn't say): ask only then."""
        if not name:
            self._banner.show_message("Replies are signed with your name: how should it read?",
                                      retry=self.ask, level="info", action_text="&Set name…")

    def ask(self) -> None:
        dialog = QInputDialog(self._parent)
        dialog.setWindowTitle("Your name on replies")
        dialog.setLabelText("Sign replies as (the name customers see):")
        dialog.textValueSelected.connect(self._chosen)
        dialog.open()
        self._dialog = dialog

    def _chosen(self, name: str) -> None:
        name = name.strip()
        if not name:
            return
        session = self._session()
        session.settings.agent.display_name = name
        try:
            save_settings(session.settings, session.paths.config_file)
        except OSError as exc:
            self._banner.show_message(f"Your name couldn't be saved to the config file: {exc.strerror}")
        self._status().showMessage(f"Replies are signed “{name}”", 4000)
