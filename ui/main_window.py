"""The main window: queue | thread over draft | customer context, with a banner for errors.

Holds no business logic: every operation is a ``Session`` coroutine started through ``TaskRunner``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QInputDialog,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from assist.domain import (
    Draft,
    DraftRecord,
    Route,
    Ticket,
    TicketContext,
    TicketId,
    TicketStatus,
    TicketSummary,
)
from assist.errors import AssistError, TicketNotFoundError
from assist.links import ticket_from_url
from assist.render import customer_html, thread_html
from assist.session import Session
from assist.settings import save_settings, url_warnings

from ui.errors import Banner
from ui.operations import OpRunner, TicketOp
from ui.tasks import TaskRunner
from ui.views.actions import ActionsPane
from ui.views.browser import SafeBrowser
from ui.views.draft import DraftPane
from ui.views.queue import QueuePane
from ui.window_actions import ActionsMixin
from ui.window_assistant import AssistantMixin
from ui.window_feedback import FeedbackMixin
from ui.window_workspace import WorkspaceMixin


class MainWindow(QMainWindow, AssistantMixin, ActionsMixin, FeedbackMixin, WorkspaceMixin):
    def __init__(self, session: Session, startup_problems: list[str] | None = None) -> None:
        super().__init__()
        self.session = session
        self.setWindowTitle(f"Assist — {session.workspace} workspace")
        self.resize(1400, 860)
        self.banner = Banner()
        self.runner = TaskRunner(on_error=lambda exc: self.banner.show_message(str(exc)))
        self.ops = OpRunner(self.runner, self.banner, lambda: self._loaded)

        self.queue = QueuePane()
        self.thread = SafeBrowser()
        self.thread.setObjectName("thread")
        self.thread.internal_link.connect(self._on_thread_internal_link)
        self.thread.setHtml("<p><i>Select a ticket.</i></p>")
        self.context = SafeBrowser()
        self.context.setObjectName("context")
        self.context.setHtml("<p><i>Customer context appears here.</i></p>")
        self.draft = DraftPane()
        self.actions_pane = ActionsPane()
        self.history = SafeBrowser()
        self.history.setObjectName("history")
        self.side = QTabWidget()
        self.side.addTab(self.context, "Customer")
        self.side.addTab(self.actions_pane, "Actions")
        self.side.addTab(self.history, "History")
        self.side.currentChanged.connect(self._on_side_current_changed)

        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(self.thread)
        middle.addWidget(self.draft)
        middle.setSizes([520, 300])
        panes = QSplitter(Qt.Orientation.Horizontal)
        panes.addWidget(self.queue)
        panes.addWidget(middle)
        panes.addWidget(self.side)
        panes.setSizes([340, 700, 360])
        panes.setStretchFactor(1, 1)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.banner)
        layout.addWidget(panes, 1)
        self.setCentralWidget(central)

        self._ctx: TicketContext | None = None
        self._opened_at = datetime.now(UTC)
        self._last_draft: Draft | None = None
        self._rejected: dict[str, int] = {}  # drafts replaced without being sent, per ticket
        self._route: Route | None = None
        self._source_windows: list[QWidget] = []
        self.current: TicketId | None = None
        self._current_email: str | None = None
        self._loaded: TicketId | None = None  # the ticket whose draft is in the editor
        self._dirty = False
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(session.settings.ui.autosave_ms)
        self._autosave.timeout.connect(self.save_draft_now)
        # Drafts typed but not yet committed to the journal (disk full, file locked): kept here, shown
        # instead of the journal's copy, and retried until they are saved. Nothing typed is dropped.
        self._unsaved: dict[TicketId, str] = {}
        self._save_retry = QTimer(self)
        self._save_retry.setSingleShot(True)
        self._save_retry.setInterval(5000)
        self._save_retry.timeout.connect(self._retry_unsaved)
        self._close_anyway = False

        self._build_actions()
        self.statusBar().showMessage(
            f"{session.helpdesk.name} · agent {session.settings.agent.name}"
        )
        self.queue.filter_changed.connect(self.refresh_queue)
        self.queue.ticket_selected.connect(self._on_queue_ticket_selected)
        self.draft.edited.connect(self._on_draft_edited)
        self.draft.set_send_as(session.settings.current.reply.send_as)
        self.draft.send_button.clicked.connect(lambda: self.send(public=True))
        self.draft.note_button.clicked.connect(lambda: self.send(public=False))
        self.draft.draft_button.clicked.connect(lambda: self.generate_draft())
        self.draft.stop_button.clicked.connect(self.stop_draft)
        self.draft.citation_clicked.connect(self.show_source)
        warnings = url_warnings(session.settings)
        if startup_problems or warnings:
            self.banner.show_message(
                " ".join(([("Settings: " + "; ".join(startup_problems) + ". Defaults are used for these.")]
                          if startup_problems else []) + warnings),
                level="warning",
            )

    def _action(
        self, text: str, keys: list[str], slot: Callable[[], object] | None, tip: str
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        shown = QKeySequence(keys[0]).toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({shown})")
        action.setStatusTip(f"{tip} ({shown})")
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        self.addToolBar(bar)
        self.jump = QLineEdit()
        self.jump.setPlaceholderText("Go to ticket #… (Ctrl+K)")
        self.jump.setToolTip("Type a ticket id and press Enter (Ctrl+K)")
        self.jump.setMaximumWidth(220)
        self.jump.returnPressed.connect(self._on_jump_return_pressed)
        self.actions_by_name: dict[str, QAction] = {
            "jump": self._action("Go to ticket", ["Ctrl+K"], self.focus_jump, "Jump to a ticket by id"),
            "search": self._action(
                "Search", ["Ctrl+F"], self.queue.search.setFocus, "Search the queue"
            ),
            "next": self._action(
                "Next ticket", ["Alt+Down", "Ctrl+J"], lambda: self.queue.move(1), "Next ticket in the queue"
            ),
            "previous": self._action(
                "Previous ticket", ["Alt+Up", "Ctrl+Shift+J"], lambda: self.queue.move(-1),
                "Previous ticket in the queue",
            ),
            "refresh": self._action(
                "Refresh", ["F5"], self.refresh_all, "Reload the queue and the open ticket"
            ),
            "draft": self._action(
                "Edit draft", ["Ctrl+D"], self.draft.editor.setFocus, "Move to the draft editor"
            ),
            "send": self._action(
                "Send reply", ["Ctrl+Return", "Ctrl+Enter"], lambda: self.send(public=True),
                "Send the draft as a public reply",
            ),
            "note": self._action(
                "Add note", ["Ctrl+Shift+Return", "Ctrl+Shift+Enter"],
                lambda: self.send(public=False), "Post the draft as an internal note",
            ),
            "settings": self._action("Settings", ["Ctrl+,"], self.open_settings, "Open settings"),
            "generate": self._action(
                "Draft reply", ["Ctrl+G"], lambda: self.generate_draft(), "Draft a reply with the routed tier"
            ),
            "stop": self._action("Stop drafting", ["Esc"], self.stop_draft, "Stop the draft being written"),
            "ai": self._action(
                "AI", ["Ctrl+Shift+A"], None, "Turn every AI feature on or off (kill switch)"
            ),
            "tab_customer": self._action(
                "Customer", ["Alt+1"], lambda: self.side.setCurrentIndex(0), "Show the customer's context"
            ),
            "tab_actions": self._action(
                "Actions", ["Alt+2"], lambda: self.side.setCurrentIndex(1), "Show proposed AI Actions"
            ),
            "tab_history": self._action(
                "History", ["Alt+3"], lambda: self.side.setCurrentIndex(2), "Show the ticket's action history"
            ),
            "escalate": self._action(
                "Escalate", ["Ctrl+E"], self.open_escalate, "Escalate this ticket with a reason"
            ),
            "review": self._action(
                "Review", ["Ctrl+Shift+R"], self.open_review, "Review escalations (senior agents)"
            ),
            "report": self._action(
                "Report", ["Ctrl+Shift+W"], self.open_report, "Export the weekly team report"
            ),
            "workspace": self._action(
                "Workspace", ["Ctrl+Shift+O"], lambda: self.workspace_box.showPopup(), "Switch workspace"
            ),
            "about": self._action("About", ["F1"], self.open_about, "Version, paths and Copy diagnostics"),
            "knowledge": self._action(
                "Knowledge", ["Ctrl+Shift+K"], self.open_knowledge, "Search and add to the knowledge base"
            ),
        }
        ai = self.actions_by_name["ai"]
        ai.setCheckable(True)
        ai.setChecked(self.session.ai_enabled)
        ai.toggled.connect(self._on_ai_toggled)  # a checkable action toggles itself on trigger
        self.workspace_box = QComboBox()
        self.workspace_box.setToolTip("Switch workspace (Ctrl+Shift+O)")
        self.workspace_box.addItems(list(self.session.settings.workspaces))
        self.workspace_box.setCurrentText(self.session.workspace)
        self.workspace_box.currentTextChanged.connect(self._on_workspace_box_changed)
        bar.addWidget(self.workspace_box)
        bar.addWidget(self.jump)
        for name in ("refresh", "previous", "next", "generate", "send", "note", "escalate", "ai", "knowledge",
                     "review", "report", "settings", "about"):
            bar.addAction(self.actions_by_name[name])
        self.draft.send_button.setToolTip(self.actions_by_name["send"].toolTip())
        self.draft.note_button.setToolTip(self.actions_by_name["note"].toolTip())
        self.draft.draft_button.setToolTip(self.actions_by_name["generate"].toolTip())
        self.draft.stop_button.setToolTip(self.actions_by_name["stop"].toolTip())

    def start(self) -> None:
        self.runner.run("journal", self.session.journal.opened(), on_ok=self._on_journal_opened)
        self.runner.run("prepare", self.session.prepare())
        self.refresh_queue()
        self.runner.run("signature", self.session.signature_name(), on_ok=self._on_signature_known)

    def _on_journal_opened(self, notice: str) -> None:
        if notice:
            self.banner.show_message(notice, level="warning")

    def _on_signature_known(self, name: str) -> None:
        """The helpdesk couldn't say who the agent is (the demo, RT): ask once, never sign as the OS login."""
        if not name:
            self.banner.show_message("Replies are signed with your name: how should it read?",
                                     retry=self.ask_signature_name, level="info", action_text="&Set name…")

    def ask_signature_name(self) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Your name on replies")
        dialog.setLabelText("Sign replies as (the name customers see):")
        dialog.textValueSelected.connect(self._on_signature_name_chosen)
        dialog.open()
        self._signature_dialog = dialog

    def _on_signature_name_chosen(self, name: str) -> None:
        name = name.strip()
        if not name:
            return
        self.session.settings.agent.display_name = name
        try:
            save_settings(self.session.settings, self.session.paths.config_file)
        except OSError as exc:
            self.banner.show_message(f"Your name couldn't be saved to the config file: {exc.strerror}")
        self.statusBar().showMessage(f"Replies are signed “{name}”", 4000)

    def refresh_queue(self) -> None:
        self.runner.run(
            "queue",
            self.session.queue(self.queue.current_filter()),
            on_ok=self._show_queue,
            on_error=lambda exc: self.banner.show_message(
                f"Couldn't load the queue: {exc}", retry=self.refresh_queue
            ),
        )

    def refresh_all(self) -> None:
        invalidate = getattr(self.session.crm, "invalidate", None)
        if invalidate is not None:
            invalidate()  # F5 means fresh customer context too
        self.refresh_queue()
        if self.current is not None:
            self.open_ticket(self.current, self._current_email)

    def _show_queue(self, tickets: list[TicketSummary]) -> None:
        self.queue.set_tickets(tickets, keep=self.current)
        self.statusBar().showMessage(f"{len(tickets)} tickets · {self.session.helpdesk.name}", 4000)
        if self.current is None and tickets:
            self.queue.list.setCurrentRow(0)

    def _on_queue_ticket_selected(self, summary: TicketSummary) -> None:
        if summary.id != self.current:
            self.open_ticket(summary.id, summary.requester_email)

    def focus_jump(self) -> None:
        self.jump.setFocus()
        self.jump.selectAll()

    def _on_jump_return_pressed(self) -> None:
        text = self.jump.text().strip()
        if text.startswith(("http://", "https://")):
            found = ticket_from_url(text, self.session.settings.current.helpdesk)
            if found is None:
                self.banner.show_message("That link isn't a ticket in this workspace's helpdesk.", level="warning")
                return
            text = found
        ticket_id = text.lstrip("#")
        if not ticket_id:
            return
        self.jump.clear()
        self.queue.select_id(ticket_id)
        self.open_ticket(TicketId(ticket_id))

    def open_ticket(self, ticket_id: TicketId, requester_email: str | None = None) -> None:
        self.save_draft_now()
        for name in ("route", "draft"):
            self.runner.cancel(name)
        self.draft.set_streaming(False)
        self.draft.clear_assist()
        self.actions_pane.clear()
        self.history.setHtml("")
        self._ctx = self._route = None
        self._last_draft = None
        self._opened_at = datetime.now(UTC)
        self.current = ticket_id
        self._current_email = requester_email
        self._loaded = None
        self.draft.set_enabled(False)
        self.draft.title.setText(f"Draft — loading #{ticket_id}…")
        self.thread.setHtml(f"<p><i>Loading ticket #{ticket_id}…</i></p>")
        self.context.setHtml("<p><i>Loading customer…</i></p>")

        async def _load() -> tuple[TicketContext, DraftRecord | None, str]:
            ctx, draft = await asyncio.gather(
                self.session.open_ticket(ticket_id, requester_email),
                self.session.load_draft(ticket_id),
            )
            # sanitising and capping a hostile body takes time: never on the UI thread
            return ctx, draft, await asyncio.to_thread(thread_html, ctx.ticket)

        def _failed(exc: AssistError) -> None:
            self.thread.setHtml("<p><i>This ticket could not be loaded.</i></p>")
            self.context.setHtml("")
            self.draft.title.setText("Draft")
            retry = None if isinstance(exc, TicketNotFoundError) else (
                lambda: self.open_ticket(ticket_id, requester_email)
            )
            self.banner.show_message(str(exc), retry=retry)

        self.runner.run("open", _load(), on_ok=self._show_context, on_error=_failed)

    def _show_context(self, result: tuple[TicketContext, DraftRecord | None, str]) -> None:
        ctx, draft, thread = result
        self._current_email = ctx.ticket.requester_email
        self._show_thread(thread)
        self.context.setHtml(customer_html(ctx.customer, ctx.customer_error, ctx.ticket.id))
        self._on_journal_opened(self.session.journal.take_notice())  # damage found while reading the draft
        pending = self._unsaved.get(ctx.ticket.id)
        self.draft.load(pending if pending is not None else (draft.body if draft else ""))
        self._loaded = ctx.ticket.id
        self._dirty = False
        self.draft.title.setText(f"Reply to {ctx.ticket.requester_name} — #{ctx.ticket.id}")
        self.draft.state.setText(
            "Draft not saved yet: kept in this window, retrying" if pending is not None else
            f"Draft restored from {draft.updated_at.astimezone():%d %b %H:%M}" if draft else ""
        )
        self.draft.set_enabled(True)
        self._ctx = ctx
        self.draft.draft_button.setEnabled(self.session.ai_enabled)
        self.draft.show_route(None, self.session.ai_enabled)
        if self.session.ai_enabled:
            self.runner.run(
                "route", self.session.route_ticket(ctx),
                on_ok=lambda r: self._on_routed(ctx.ticket.id, r, auto=draft is None),
            )

    def _render_ticket(self, ticket: Ticket, whole: frozenset[str] = frozenset()) -> None:
        """Render off the UI thread, then show it if the agent is still on that ticket."""
        def _show(text: str) -> None:
            if self._loaded == ticket.id or self.current == ticket.id:
                self._show_thread(text, scroll=not whole)

        self.runner.run(f"render:{ticket.id}", asyncio.to_thread(thread_html, ticket, whole=whole), on_ok=_show)

    def _show_thread(self, text: str, *, scroll: bool = True) -> None:
        self.thread.setHtml(text)
        if scroll:
            bar = self.thread.verticalScrollBar()
            bar.setValue(bar.maximum())

    def _on_thread_internal_link(self, path: str) -> None:
        if path.startswith("full/") and self._ctx is not None:
            self.statusBar().showMessage("Loading the whole message…", 3000)
            self._render_ticket(self._ctx.ticket, frozenset({path[5:]}))

    def _on_draft_edited(self) -> None:
        if self._loaded is None:
            return
        self._dirty = True
        self.draft.state.setText("Editing…")
        self._autosave.start()

    def save_draft_now(self) -> None:
        """Save the editor's text for the ticket it belongs to (if it changed).

        "Saved" is said only after the journal committed. Until then the text is held in
        ``_unsaved``; a failure shows one banner and is retried every few seconds.
        """
        self._autosave.stop()
        if self._loaded is None or not self._dirty:
            return
        self._dirty = False
        self._unsaved[self._loaded] = self.draft.text()
        self._save(self._loaded)

    def _save(self, ticket_id: TicketId) -> None:
        text = self._unsaved[ticket_id]

        def _saved(_result: object) -> None:
            if self._unsaved.get(ticket_id) == text:
                del self._unsaved[ticket_id]
            if self._loaded == ticket_id and not self._dirty and ticket_id not in self._unsaved:
                self.draft.state.setText(f"Draft saved {datetime.now():%H:%M:%S}")
            if not self._unsaved and self.banner.text.startswith("Your draft"):
                self.banner.hide()

        def _failed(exc: AssistError) -> None:
            if self._loaded == ticket_id:
                self.draft.state.setText("Draft not saved yet: kept in this window, retrying")
            self.banner.show_message(
                f"Your draft for #{ticket_id} isn't saved yet. {exc} It stays in this window and is saved "
                "as soon as that is fixed.", retry=self._retry_unsaved, level="warning", action_text="&Save now")
            self._save_retry.start()

        self.runner.run(f"save:{ticket_id}", self.session.save_draft(ticket_id, text), on_ok=_saved,
                        on_error=_failed)

    def _retry_unsaved(self) -> None:
        for ticket_id in list(self._unsaved):
            if not self.runner.running(f"save:{ticket_id}"):
                self._save(ticket_id)

    def send(self, *, public: bool, status: TicketStatus | None = None) -> None:
        """Send the editor's text, as it is now, to the ticket it belongs to (a TicketOp: Retry resends
        exactly this text to exactly this ticket, even after the agent moved on)."""
        ticket_id = self._loaded
        if ticket_id is None or self.ops.running("send", ticket_id):
            return
        body = self.draft.text()
        if not body.strip():
            self.draft.state.setText("Nothing to send: the draft is empty.")
            return
        self.save_draft_now()
        self.draft.set_enabled(False)
        self.draft.state.setText("Sending…" if public else "Adding note…")
        session, draft, route, opened_at = self.session, self._last_draft, self._route, self._opened_at
        if public and status is None:
            status = TicketStatus(self.draft.send_status())

        def _sent(ticket: Ticket, here: bool) -> None:
            if public:
                self._rejected.pop(ticket_id, None)
            if here:
                if public:
                    self._last_draft = None
                self.draft.load("")
                self._dirty = False
                self._render_ticket(ticket)
                self.draft.set_enabled(True)
                self.draft.state.setText(
                    f"{'Reply sent' if public else 'Note added'} {datetime.now():%H:%M}"
                )
            self.refresh_queue()

        def _failed(_exc: AssistError, here: bool) -> None:
            if here:
                self.draft.set_enabled(True)
                self.draft.state.setText("Not sent: your draft is kept.")

        self.ops.run(TicketOp(
            ticket_id, "send", "send the reply to" if public else "add the note to",
            lambda: session.send(ticket_id, body, public=public, draft=draft, route=route, opened_at=opened_at,
                                 status=status),
            _sent, _failed))

    async def shutdown(self) -> None:
        """Save the draft, let saves finish, cancel the rest. Called once the window is closed."""
        self.save_draft_now()
        await self.runner.wait_for("save:")
        await self.runner.cancel_all()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.save_draft_now()
        if self._unsaved and not self._close_anyway:
            event.ignore()  # one warning; closing again quits without them
            self._close_anyway = True
            n, which = len(self._unsaved), ", ".join("#" + t for t in self._unsaved)
            self.banner.show_message(
                f"{n} draft{'s' if n != 1 else ''} could not be saved yet ({which}). "
                "Fix the problem above and they save themselves, or close again to quit without them.",
                level="error")
            return
        # Widgets emit signals while Qt tears them down (tabs removed, list cleared); a Python slot
        # running on a half-destroyed window crashes the process, so nothing is listened to past here.
        for widget in (self.side, self.queue, self.queue.list, self.queue.search, self.queue.status,
                       self.draft, self.draft.editor):
            widget.blockSignals(True)
        super().closeEvent(event)
