"""The only place exceptions become UI: a non-modal banner with Retry, and the crash dialog for bugs."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

log = logging.getLogger(__name__)


class Banner(QFrame):
    """A strip above the panes for errors and notices; never blocks the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("&Retry")
        self.retry_button.setToolTip("Try the failed action again (Alt+R)")
        self.close_button = QPushButton("Dismiss")
        self.close_button.setToolTip("Hide this message")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.close_button)
        self._retry: Callable[[], None] | None = None
        self.ticket = ""  # the ticket the message shown is about ("" for the window's own messages)
        self.retry_button.clicked.connect(self._on_retry_clicked)
        self.close_button.clicked.connect(self.hide)
        self.hide()

    def show_message(
        self, text: str, retry: Callable[[], None] | None = None, *, level: str = "error",
        action_text: str = "&Retry", ticket: str = "",
    ) -> None:
        """``ticket``: the ticket the message is about; it goes when the agent moves to another one."""
        self.ticket = ticket
        colours = {"error": "#fdecea", "warning": "#fff4e5", "info": "#e8f4fd"}
        self.setStyleSheet(f"#banner {{ background: {colours.get(level, '#fdecea')}; }}")
        self.label.setText(text)
        self.retry_button.setText(action_text)
        self._retry = retry
        self.retry_button.setVisible(retry is not None)
        self.show()

    def leave(self, ticket_id: str) -> None:
        """The agent moved to ``ticket_id``: a message about another ticket (and its button) goes with it."""
        if self.ticket and self.ticket != ticket_id:
            self.hide()

    def clear_for(self, ticket_id: str) -> None:
        """What was said about ``ticket_id`` is settled (escalated, sent): hide it, nothing else."""
        if self.ticket == ticket_id:
            self.hide()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def _on_retry_clicked(self) -> None:
        retry, self._retry = self._retry, None
        self.hide()
        if retry is not None:
            retry()


def install_crash_handler(parent: QWidget | None = None) -> None:
    """Unexpected exceptions are bugs: log them and show a dialog, but keep the window alive."""

    def _hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, exc, tb))
        log.error("Unhandled exception\n%s", text)
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Assist hit a bug")
        box.setText(
            "Something went wrong inside Assist. Your drafts are saved. "
            "Please report this with the details below."
        )
        box.setDetailedText(text)
        box.open()

    sys.excepthook = _hook
