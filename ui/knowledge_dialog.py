"""Knowledge base window: search passages, ingest files, folders, URLs or sitemaps with progress."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assist.domain import BodyFormat, Source
from assist.errors import AssistError
from assist.knowledge.ingest import IngestProgress, IngestReport
from assist.render import body_html
from assist.session import Session

from ui.tasks import TaskRunner
from ui.views.browser import SafeBrowser


class KnowledgeDialog(QDialog):
    @property
    def session(self) -> Session:
        """The window's session now (a workspace switch replaces it; a closed one is never used)."""
        return self._current_session()

    def __init__(self, current_session: Callable[[], Session], runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Knowledge base")
        self.resize(760, 560)
        self._current_session = current_session  # never a session of its own: the window's, now
        session = current_session()
        self.runner = runner
        self.query = QLineEdit()
        self.query.setPlaceholderText("Search the knowledge base…")
        self.query.returnPressed.connect(self.search)
        self.results = SafeBrowser()
        self.results.setObjectName("kbResults")
        self.target = QLineEdit()
        self.target.setPlaceholderText("File, folder, page URL or sitemap URL to ingest")
        self.target.returnPressed.connect(self.ingest)
        browse_files = QPushButton("Files…")
        browse_files.setToolTip("Pick Markdown, HTML, PDF, text or help-center export files")
        browse_files.clicked.connect(self._on_browse_files_clicked)
        browse_folder = QPushButton("Folder…")
        browse_folder.clicked.connect(self._on_browse_folder_clicked)
        self.ingest_button = QPushButton("Ingest")
        self.ingest_button.clicked.connect(self.ingest)
        for button in (browse_files, browse_folder, self.ingest_button):  # Enter in a field is that field's
            button.setAutoDefault(False)  # action (search, ingest), never a dialog button such as Files…
            button.setDefault(False)
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = QLabel("")
        self.status.setObjectName("kbStatus")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(browse_files)
        row.addWidget(browse_folder)
        row.addWidget(self.ingest_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.results, 1)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        self.runner.run("kb-stats", session.kb.stats(), on_ok=self._show_stats)

    def _show_stats(self, stats: tuple[int, int]) -> None:
        self.status.setText(f"{stats[0]} documents, {stats[1]} passages indexed.")

    def search(self) -> None:
        text = self.query.text().strip()
        if text:
            self.runner.run("kb-search", self.session.drafter.search(text, 8), on_ok=self._show_results)

    def _show_results(self, hits: list[Source]) -> None:
        if not hits:
            self.results.setHtml("<p><i>No passage matches.</i></p>")
            return
        self.results.setHtml("".join(
            f"<h4>{html.escape(h.label)} <small>(score {h.score:.1f})</small></h4>"
            f"{body_html(h.text, BodyFormat.MARKDOWN)}<hr>"
            for h in hits
        ))

    def _on_browse_files_clicked(self) -> None:
        dialog = QFileDialog(self, "Files to ingest")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter("Documents (*.md *.markdown *.html *.htm *.pdf *.txt *.json)")
        dialog.filesSelected.connect(lambda files: self.target.setText(";".join(files)))
        dialog.open()

    def _on_browse_folder_clicked(self) -> None:
        dialog = QFileDialog(self, "Folder to ingest")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(self.target.setText)
        dialog.open()

    def ingest(self) -> None:
        targets = [t.strip() for t in self.target.text().split(";") if t.strip()]
        if not targets or self.runner.running("ingest"):
            return
        self.ingest_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText("Ingesting…")
        self.runner.run(
            "ingest", self.session.kb.ingest(targets, progress=self._on_progress),
            on_ok=self._on_done, on_error=self._on_failed,
        )

    def _on_progress(self, p: IngestProgress) -> None:
        self.progress.setRange(0, max(p.total, 1))
        self.progress.setValue(p.done)
        self.status.setText(f"{p.done}/{p.total} · {p.current}")

    def _finish(self) -> None:
        self.ingest_button.setEnabled(True)
        self.progress.hide()

    def _on_done(self, report: IngestReport) -> None:
        self._finish()
        lines = [f"Done: {report.summary()}."]
        lines += [f"Failed: {name}: {why}" for name, why in report.failed[:5]]
        lines += [f"Skipped: {name}: {why}" for name, why in report.skipped[:5]]
        self.status.setText("\n".join(lines))
        session = self.session
        if session.encoder is not None:  # new passages get sentence vectors too, in the background, once the
            self.runner.run("kb-vectors", self._keep_vectors(session))  # knowledge base has any

    @staticmethod
    async def _keep_vectors(session: Session) -> int:
        from assist.workspace import embed_knowledge

        if session.encoder is None or not await session.kb.has_vectors(session.encoder.id):
            return 0
        return await embed_knowledge(session)

    def _on_failed(self, exc: AssistError) -> None:
        self._finish()
        self.status.setText(f"Ingest failed: {exc}")
