"""About Assist: the version (one source: assist.__version__), where things live, Copy diagnostics."""

from __future__ import annotations

from PySide6 import __version__ as pyside_version
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from assist import __version__
from assist.diagnostics import diagnostics
from assist.paths import Paths
from assist.secrets import SecretStore


class AboutDialog(QDialog):
    def __init__(self, paths: Paths, secrets: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Assist")
        self.paths, self.secrets = paths, secrets
        text = QLabel(
            f"<h3>Assist {__version__}</h3><p>Agent assist for support teams: the ticket, the customer, "
            f"cited drafts and approved actions beside your helpdesk.</p>"
            f"<p>Qt for Python {pyside_version}<br>Settings: {paths.config_file}<br>Data: {paths.data_dir}"
            f"<br>Logs: {paths.log_dir}</p>")
        text.setWordWrap(True)
        copy = QPushButton("Copy diagnostics")
        copy.setToolTip("Versions, config with secrets masked and recent errors, for a bug report")
        copy.clicked.connect(self.copy_diagnostics)
        self.copied = QLabel("")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(copy)
        layout.addWidget(self.copied)
        layout.addWidget(buttons)

    def copy_diagnostics(self) -> None:
        QApplication.clipboard().setText(diagnostics(self.paths, self.secrets))
        self.copied.setText("Copied to the clipboard: paste it into your bug report.")
