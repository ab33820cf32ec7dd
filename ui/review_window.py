"""Senior review: filter escalations, read the thread and the assistant's draft side by side, re-tag
the reason, add a root-cause note, mark the flow as needing a fix. Stored with reviewer and time."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assist.feedback import REASONS, Escalation, EscalationFilter
from assist.render import thread_html
from assist.session import Session
from assist.text import iso_week, plural

from ui.tasks import TaskRunner
from ui.views.browser import SafeBrowser


class ReviewWindow(QDialog):
    @property
    def session(self) -> Session:
        """The window's session now (a workspace switch replaces it; a closed one is never used)."""
        return self._current_session()

    def __init__(self, current_session: Callable[[], Session], runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Escalation review")
        self.resize(1200, 760)
        self._current_session = current_session  # never a session of its own: the window's, now
        self.runner = runner
        self.week = QLineEdit(iso_week(datetime.now(UTC)))
        self.week.setPlaceholderText("ISO week, e.g. 2026-W47 (empty: all)")
        self.reason = QComboBox()
        self.reason.addItem("Any reason", "")
        for key, label in REASONS.items():
            self.reason.addItem(label, key)
        self.intent = QLineEdit()
        self.intent.setPlaceholderText("intent")
        self.tier = QLineEdit()
        self.tier.setPlaceholderText("tier or model")
        self.agent = QLineEdit()
        self.agent.setPlaceholderText("agent")
        apply = QPushButton("Filter")
        apply.setToolTip("Apply the filters (Enter)")
        apply.clicked.connect(self.refresh)
        for edit in (self.week, self.intent, self.tier, self.agent):
            edit.returnPressed.connect(self.refresh)
        self.reason.currentIndexChanged.connect(lambda _i: self.refresh())
        filters = QHBoxLayout()
        for w in (self.week, self.reason, self.intent, self.tier, self.agent, apply):
            filters.addWidget(w)

        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["When", "Ticket", "Reason", "Intent", "Tier · model", "Agent"])
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.currentCellChanged.connect(lambda row, *_: self._on_row_changed(row))
        self.thread_view = SafeBrowser()
        self.thread_view.setObjectName("reviewThread")
        self.escalated_by = QLabel("")
        self.escalated_by.setObjectName("escalatedBy")
        self.escalated_by.setWordWrap(True)
        self.escalated_by.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.draft = QPlainTextEdit()
        self.draft.setReadOnly(True)
        self.draft.setObjectName("reviewDraft")
        self.retag = QComboBox()
        for key, label in REASONS.items():
            self.retag.addItem(label, key)
        self.root_cause = QLineEdit()
        self.root_cause.setPlaceholderText("Root cause, for the weekly report")
        self.flow_fix = QCheckBox("Flow needs fixing")
        self.save = QPushButton("Save review")
        self.save.setToolTip("Store the re-tag and note with your name and the time (Ctrl+S)")
        self.save.clicked.connect(self.save_review)
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(self.save_review)
        self.status = QLabel("")
        self.status.setObjectName("reviewStatus")
        side = QSplitter(Qt.Orientation.Horizontal)
        side.addWidget(self.thread_view)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("Assistant draft at escalation"))
        rl.addWidget(self.escalated_by)
        rl.addWidget(self.draft, 1)
        side.addWidget(right)
        form = QHBoxLayout()
        form.addWidget(QLabel("Re-tag as"))
        form.addWidget(self.retag)
        form.addWidget(self.root_cause, 1)
        form.addWidget(self.flow_fix)
        form.addWidget(self.save)
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(self.table)
        main.addWidget(side)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(main, 1)
        layout.addLayout(form)
        layout.addWidget(self.status)
        self.rows: list[Escalation] = []
        self._saved = ""
        self.refresh()

    def current_filter(self) -> EscalationFilter:
        return EscalationFilter(week=self.week.text().strip().upper(), reason=self.reason.currentData(),
                                intent=self.intent.text().strip(), tier_or_model=self.tier.text().strip(),
                                agent=self.agent.text().strip())

    def refresh(self) -> None:
        self.runner.run("review-list", self.session.escalations(self.current_filter()), on_ok=self._show)

    def _show(self, rows: list[Escalation]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, e in enumerate(rows):
            reason = REASONS.get(e.current_reason, e.current_reason)
            if e.reviewed_reason and e.reviewed_reason != e.reason:
                reason += f" (was {REASONS.get(e.reason, e.reason)})"
            tier = f"{e.tier} · {e.model}" if e.model and e.model != e.tier else e.tier
            taxonomy = self.session.intents.taxonomy
            intent = taxonomy.title(e.intent) if e.intent in taxonomy.by_name else e.intent  # "Where is my order"
            for col, value in enumerate([f"{e.created_at.astimezone():%a %d %b %H:%M}", f"#{e.ticket_id}", reason,
                                         intent, tier, e.agent]):
                self.table.setItem(i, col, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.status.setText(plural(len(rows), "escalation") + (f" · {self._saved}" if self._saved else ""))
        if rows:
            self.table.setCurrentCell(0, 0)
        else:
            self.escalated_by.setText("")
            self.thread_view.setHtml("<p><i>No escalation matches these filters. Escalations appear here when an agent "
                                "escalates a ticket (Ctrl+E); try another week or clear a filter.</i></p>")

    def _on_row_changed(self, row: int) -> None:
        if not 0 <= row < len(self.rows):
            return
        e = self.rows[row]
        note = f" — “{e.note}”" if e.note else " (no note)"
        self.escalated_by.setText(f"Escalated by {e.agent} as {REASONS.get(e.reason, e.reason)}{note}")
        self.draft.setPlainText(e.draft_text or "(no assistant draft)")
        self.retag.setCurrentIndex(list(REASONS).index(e.current_reason) if e.current_reason in REASONS else 0)
        self.root_cause.setText(e.root_cause)
        self.flow_fix.setChecked(e.flow_needs_fixing)
        self.thread_view.setHtml(f"<p><i>Loading #{html.escape(e.ticket_id)}…</i></p>")

        session = self.session

        async def _load() -> str:
            ctx = await session.open_ticket(e.ticket_id)
            return await asyncio.to_thread(thread_html, ctx.ticket)  # a hostile body never freezes review

        self.runner.run("review-thread", _load(), on_ok=self.thread_view.setHtml,
                        on_error=lambda exc: self.thread_view.setHtml(f"<p><i>{html.escape(str(exc))}</i></p>"))

    def save_review(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            return
        uid = self.rows[row].uid

        def _saved(e: Escalation) -> None:
            self._saved = f"Saved: {REASONS[e.current_reason]} by {e.reviewer}"
            self.refresh()

        self.runner.run("review-save", self.session.review_escalation(
            uid, self.retag.currentData(), self.root_cause.text().strip(), self.flow_fix.isChecked()), on_ok=_saved)
