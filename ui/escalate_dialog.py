"""Escalate dialog: a reason from the taxonomy (pre-filled when a trigger or rule fired), a note, and
whether to write the escalation back to the helpdesk as a tag plus the assistant's transcript."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from assist.feedback import REASONS


class EscalateDialog(QDialog):
    """Signals:
        chosen(str, str, bool): reason key, note, write back to the helpdesk.
    """

    chosen = Signal(str, str, bool)

    def __init__(self, ticket_label: str, suggested: str, why: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Escalate {ticket_label}")
        self.reason = QComboBox()
        for key, label in REASONS.items():
            self.reason.addItem(label, key)
        if suggested in REASONS:
            self.reason.setCurrentIndex(list(REASONS).index(suggested))
        self.note = QLineEdit()
        self.note.setPlaceholderText("What happened, in a few words (required for Other)")
        self.write_back = QCheckBox("Tag the ticket and add an internal note with the assistant's transcript")
        self.write_back.setChecked(True)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow("Reason", self.reason)
        form.addRow("Note", self.note)
        form.addRow("", self.write_back)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Escalate")
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if why:
            hint = QLabel(f"<i>Pre-filled: {why}</i>")
            hint.setWordWrap(True)
            layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _on_buttons_accepted(self) -> None:
        key = self.reason.currentData()
        if key == "other" and not self.note.text().strip():
            self.error.setText("Say what happened: the note is required when the reason is Other.")
            return
        self.chosen.emit(key, self.note.text().strip(), self.write_back.isChecked())
        self.accept()
