"""Settings dialog: its pages (``ui.settings_pages``: General, Models, Secrets, Workspace) each load and save
their own part; Save validates the whole, stores secrets in the keyring (or, explicitly, for this session
only), writes the config and tells the window whether the active workspace's connections changed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from assist.errors import AssistError
from assist.session import Session
from assist.settings import as_data, save_settings, validate

from ui.settings_pages import GeneralPage, ModelsPage, Page, SecretsPage, WorkspacePage
from ui.tasks import TaskRunner


class SettingsDialog(QDialog):
    """Signals:
        saved(bool): settings were validated, written and applied to the session; True when the active
            workspace's connections changed (the window reconnects).
    """

    saved = Signal(bool)

    def __init__(self, session: Session, parent: QWidget | None = None, runner: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Assist settings")
        self.session = session
        self.error = QLabel("")
        self.error.setObjectName("settingsError")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        self.runner = runner or TaskRunner(on_error=lambda exc: self.error.setText(str(exc)))
        self.general = GeneralPage(session.settings)
        self.ai = ModelsPage(session, self.runner)
        self.keys = SecretsPage(session, self.ai)
        self.workspace = WorkspacePage(session, self.runner, self.keys.session_only)
        self.workspace.error = self.error
        tabs = QTabWidget()
        for page in (self.general, self.ai, self.keys, self.workspace):
            tabs.addTab(page, page.title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        path = QLabel(f"Config file: {session.paths.config_file}")
        path.setWordWrap(True)
        path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(path)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(760, 560)

    def _on_buttons_accepted(self) -> None:
        if self.ai.needs_suite():
            # A new model is a new product: see how it does on known cases before it drafts replies.
            self.error.setText("The models changed: running the regression suite first. Press Save again to keep "
                               "the change once you have read the result.")
            self.ai.run_suite()
            return
        data = as_data(self.session.settings)
        pages: tuple[Page, ...] = (self.workspace, self.general, self.ai, self.keys)  # workspaces first
        try:
            for page in pages:
                page.save(data, self.workspace.chosen)
        except AssistError as exc:  # SettingsError included: a workspace form that can't be stored
            self.error.setText(str(exc))
            return
        settings, problems = validate(data)
        if problems:
            self.error.setText("\n".join(problems))
            return
        before = self.session.settings
        active = before.active_workspace
        reconnect = (as_data(before.models) != as_data(settings.models)
                     or as_data(before.ai) != as_data(settings.ai)
                     or active not in settings.workspaces
                     or as_data(before.workspaces[active]) != as_data(settings.workspaces[active]))
        try:
            for page in (self.keys, self.workspace):  # session-only (or not) is decided before any secret is set
                reconnect = page.save_secrets(settings, self.session.secrets) or reconnect
            save_settings(settings, self.session.paths.config_file)
        except (AssistError, OSError) as exc:
            self.error.setText(str(exc))
            return
        self.session.settings = settings
        if self.workspace.chosen == self.session.workspace:  # routes at the new precision from now on
            self.session.intents.precision = settings.current.routing.precision
        self.saved.emit(reconnect)
        self.accept()
