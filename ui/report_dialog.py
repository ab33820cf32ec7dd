"""Weekly report export for team leads: pick an ISO week and a format, save HTML, CSV or PDF."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assist.errors import AssistError
from assist.reports import export, last_week
from assist.session import Session
from assist.text import plural

from ui.tasks import TaskRunner


async def write_report(session: Session, week: str, fmt: str, out: Path) -> str:
    """Build (from the team store when the workspace has one) and write, off the UI thread."""
    report = await session.weekly_report(week, fmt)

    def _write() -> None:
        try:
            out.write_bytes(export(report, fmt))
        except OSError as exc:
            raise AssistError(f"{out} can't be written ({exc.strerror}).") from None

    await asyncio.to_thread(_write)
    return (f"{week}: {plural(report.replies_sent, 'reply', 'replies')}, "
            f"{plural(report.escalations, 'escalation')} from "
            f"{'the team store' if session.team is not None else 'your journal'} → {out}")


class ReportDialog(QDialog):
    @property
    def session(self) -> Session:
        """The window's session now (a workspace switch replaces it; a closed one is never used)."""
        return self._current_session()

    def __init__(self, current_session: Callable[[], Session], runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Weekly report")
        self._current_session = current_session  # never a session of its own: the window's, now
        self.runner = runner
        self.week = QLineEdit(last_week())  # the last full week, as `assist report` does
        self.format = QComboBox()
        self.format.addItems(["html", "pdf", "csv"])
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Choose where to save the report")
        self.export_button.clicked.connect(self._on_export_clicked)
        self.status = QLabel("Team view: run 'assist journal export' on each agent's machine, then "
                             "'assist report --journal a.db --journal b.db ...'.")
        self.status.setWordWrap(True)
        self.status.setObjectName("reportStatus")
        form = QFormLayout()
        form.addRow("ISO week", self.week)
        form.addRow("Format", self.format)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.export_button)
        layout.addWidget(self.status)

    def _on_export_clicked(self) -> None:
        fmt = self.format.currentText()
        dialog = QFileDialog(self, "Save report", f"assist-{self.week.text().strip().upper()}.{fmt}")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
        dialog.open()

    def export_to(self, path: Path) -> None:
        self.status.setText("Building the report…")
        self.runner.run(
            "report", write_report(self.session, self.week.text().strip().upper(), self.format.currentText(), path),
            on_ok=self.status.setText, on_error=lambda exc: self.status.setText(f"Couldn't export: {exc}"),
        )
