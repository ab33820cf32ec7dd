"""A file from a ticket, opened on request: text is shown as plain text (never rendered: an .html file
stays source), anything else is offered for saving. Nothing runs, nothing is fetched from inside it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFileDialog, QPlainTextEdit, QVBoxLayout, QWidget

from assist.domain import Attachment

TEXT_LIMIT = 500_000


def show_text(parent: QWidget, title: str, text: str) -> QDialog:
    """Read-only plain text in its own window (QPlainTextEdit lays out only what is visible)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setObjectName("fileText")
    view.setPlainText(text)
    layout = QVBoxLayout(dialog)
    layout.addWidget(view)
    dialog.resize(720, 520)
    dialog.show()
    parent._file_dialog = dialog  # type: ignore[attr-defined]  # kept alive while open
    return dialog


def show_or_save(parent: QWidget, meta: Attachment, data: bytes) -> None:
    text_like = meta.content_type.startswith("text/") or meta.content_type in ("application/json",
                                                                               "application/xml")
    if text_like and len(data) <= TEXT_LIMIT:
        show_text(parent, f"{meta.name} — as plain text", data.decode("utf-8", "replace"))
        return
    saver = QFileDialog(parent, f"Save {meta.name}")
    saver.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    saver.selectFile(meta.name)

    def _write(path: str) -> None:
        try:
            with open(path, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            parent.statusBar().showMessage(f"Couldn't save {meta.name}: {exc.strerror}", 6000)  # type: ignore[attr-defined]

    saver.fileSelected.connect(_write)
    saver.open()
    parent._file_dialog = saver  # type: ignore[attr-defined]
