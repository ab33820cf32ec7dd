"""The draft editor: text, Send / Note buttons, autosave state."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget


class DraftPane(QWidget):
    """Signals:
        edited(): the agent changed the text (not when the window loads a saved draft).
    """

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Draft")
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Write a reply… (Ctrl+Enter sends, Ctrl+Shift+Enter adds a note)")
        self.editor.setToolTip("Your draft is saved automatically as you type")
        self.send_button = QPushButton("Send reply")
        self.note_button = QPushButton("Add internal note")
        self.state = QLabel("")
        self.state.setObjectName("draftState")
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.note_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.editor, 1)
        layout.addLayout(buttons)
        self.editor.textChanged.connect(self.edited.emit)
        self.set_enabled(False)

    def text(self) -> str:
        return self.editor.toPlainText()

    def load(self, text: str) -> None:
        """Replace the text without emitting ``edited`` (nothing new to save)."""
        self.editor.blockSignals(True)
        self.editor.setPlainText(text)
        self.editor.blockSignals(False)

    def set_enabled(self, enabled: bool) -> None:
        for w in (self.editor, self.send_button, self.note_button):
            w.setEnabled(enabled)
