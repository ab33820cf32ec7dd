"""The ticket controller: owns the ticket in front of the agent and every operation on it.

Open, save, route, draft, send, note, escalate, approve, dismiss: each is started for one ticket and
stays bound to it (``TicketOp`` from ``ui.operations``). Success handlers are told whether the agent
is still on that ticket and never write into another ticket's editor; a failure's banner names its
ticket and its Retry repeats exactly that operation. A draft that arrives after the agent edited the
text (a newer draft revision) does not overwrite their words.

An operation's handlers return what it changed (``Changes``) and ``apply`` is the one place the panes are
refreshed from it. The parts live beside it, typed against ``ui.desk.OpenTicket``: ``ticket_actions``
(proposals, cards, history), ``ticket_escalation``, ``ticket_drafting`` (one ``DraftRun`` per request) and
``ticket_files`` (whole messages, attachments). The window owns the widgets, the toolbar, the queue,
workspaces and dialogs, and hands the controller its views; the controller holds no widget of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from assist.domain import (
    Citation,
    Draft,
    DraftRecord,
    Route,
    Ticket,
    TicketContext,
    TicketId,
    TicketStatus,
    Tier,
)
from assist.drafting import human_only_draft
from assist.errors import AssistError, TicketNotFoundError
from assist.render import MAX_THREAD_MESSAGES, MORE_MESSAGES, customer_html, thread_html
from assist.session import Session

from ui.operations import Changes, OpRunner, TicketOp
from ui.ticket_actions import TicketActions
from ui.ticket_drafting import generate_draft, stop_draft
from ui.ticket_escalation import TicketEscalation
from ui.ticket_files import open_attachment, show_whole_message

if TYPE_CHECKING:
    from ui.desk import Desk


class TicketController:
    """The open ticket's state and operations.

    Attributes:
        current: the ticket the agent asked for (may still be loading).
        loaded: the ticket whose thread and draft are shown (None while loading).
        ctx, route: its context and route once known.
        last_draft: the last draft the assistant produced for it (for outcomes and rejections).
        revision: bumped on every edit or load of the editor, so late drafts don't overwrite words.
        unsaved: drafts typed but not yet committed to the journal, per ticket.
    """

    def __init__(self, window: Desk) -> None:
        self.w = window
        self.ops = OpRunner(window.runner, window.banner, lambda: self.loaded, self.apply)
        self.actions = TicketActions(self)
        self.escalation = TicketEscalation(self)
        self.current: TicketId | None = None
        self.current_email: str | None = None
        self.loaded: TicketId | None = None
        self.ctx: TicketContext | None = None
        self.route: Route | None = None
        self.last_draft: Draft | None = None
        self.opened_at = datetime.now(UTC)
        self.shown = MAX_THREAD_MESSAGES  # newest messages in the thread pane; "Show more" adds to it
        self.revision = 0
        self.dirty = False
        self.rejected: dict[str, int] = {}  # drafts replaced without being sent, per ticket
        self.unsaved: dict[TicketId, str] = {}
        self.source_windows: list[Any] = []
        self.autosave = QTimer(window.as_widget)
        self.autosave.setSingleShot(True)
        self.autosave.setInterval(window.session.settings.ui.autosave_ms)
        self.autosave.timeout.connect(self.save_draft_now)
        self._save_retry = QTimer(window.as_widget)
        self._save_retry.setSingleShot(True)
        self._save_retry.setInterval(5000)
        self._save_retry.timeout.connect(self.retry_unsaved)

    @property
    def session(self) -> Session:
        return self.w.session

    @property
    def runner(self) -> Any:
        return self.w.runner

    # -- opening -----------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the open ticket (workspace switch)."""
        self.current = self.loaded = self.ctx = self.route = None
        self.last_draft = None
        self.shown = MAX_THREAD_MESSAGES

    def open_ticket(self, ticket_id: TicketId, requester_email: str | None = None) -> None:
        w = self.w
        self.save_draft_now()
        for name in ("route", "draft"):
            self.runner.cancel(name)
        w.draft.set_streaming(False)
        w.draft.clear_assist()
        w.actions_pane.clear()
        w.history.setHtml("")
        self.ctx = self.route = None
        self.last_draft = None
        self.opened_at = datetime.now(UTC)
        self.shown = MAX_THREAD_MESSAGES
        w.banner.leave(ticket_id)  # a suggestion or failure about the last ticket never follows the agent
        self.current = ticket_id
        self.current_email = requester_email
        self.loaded = None
        w.draft.set_enabled(False)
        w.draft.set_title(f"Draft — loading #{ticket_id}…")
        w.show_thread(f"<p><i>Loading ticket #{ticket_id}…</i></p>")
        w.context.setHtml("<p><i>Loading customer…</i></p>")
        session = self.session

        async def _load() -> tuple[TicketContext, DraftRecord | None, str]:
            ctx, draft = await asyncio.gather(
                session.open_ticket(ticket_id, requester_email), session.load_draft(ticket_id))
            # sanitising and capping a hostile body takes time: never on the UI thread
            return ctx, draft, await asyncio.to_thread(thread_html, ctx.ticket)

        def _failed(exc: AssistError) -> None:
            if self.current != ticket_id:
                return
            w.show_thread("<p><i>This ticket could not be loaded.</i></p>")
            w.context.setHtml("")
            w.draft.set_title("Draft")
            retry = None if isinstance(exc, TicketNotFoundError) else (
                lambda: self.open_ticket(ticket_id, requester_email))
            w.banner.show_message(str(exc), retry=retry, ticket=ticket_id)

        self.runner.run("open", _load(), on_ok=self._show_context, on_error=_failed)

    def _show_context(self, result: tuple[TicketContext, DraftRecord | None, str]) -> None:
        w = self.w
        ctx, draft, thread = result
        self.current_email = ctx.ticket.requester_email
        self.show_thread(thread)
        w.context.setHtml(customer_html(ctx.customer, ctx.customer_error, ctx.ticket.id))
        w.on_journal_notice(self.session.journal.take_notice())  # damage found while reading the draft
        pending = self.unsaved.get(ctx.ticket.id)
        w.draft.load(pending if pending is not None else (draft.body if draft else ""))
        self.revision += 1
        self.loaded = ctx.ticket.id
        self.dirty = False
        w.draft.set_title(f"Reply to {ctx.ticket.requester_name} — #{ctx.ticket.id}")
        if pending is not None:
            w.draft.show_state("unsaved_kept")
        elif draft:
            w.draft.show_state("restored", when=f"{draft.updated_at.astimezone():%d %b %H:%M}")
        else:
            w.draft.show_state("clear")
        w.draft.set_enabled(True)
        self.ctx = ctx
        w.draft.allow_drafting(self.session.ai_enabled)
        w.draft.show_route(None, self.session.ai_enabled)
        if self.session.ai_enabled:
            self.route_again(auto=draft is None and pending is None)

    def route_again(self, *, auto: bool = False) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        session = self.session
        self.ops.read(ctx.ticket.id, "route", lambda: session.route_ticket(ctx),
                      lambda r: self._on_routed(ctx.ticket.id, r, auto=auto))

    def render_ticket(self, ticket: Ticket, shown: int = MAX_THREAD_MESSAGES) -> None:
        """Render off the UI thread, then show it if the agent is still on that ticket."""
        def _show(text: str) -> None:
            if ticket.id in (self.loaded, self.current):
                self.show_thread(text, scroll=shown <= MAX_THREAD_MESSAGES)

        self.runner.run(f"render:{ticket.id}", asyncio.to_thread(thread_html, ticket, shown=shown), on_ok=_show)

    def show_thread(self, text: str, *, scroll: bool = True) -> None:
        self.w.show_thread(text, scroll=scroll)

    def on_thread_internal_link(self, path: str) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        if path.startswith("full/"):
            self.show_whole_message(ctx.ticket, path[len("full/"):])
        elif path == "earlier":
            self.shown += MORE_MESSAGES
            self.w.statusBar().showMessage("Loading earlier messages…", 3000)
            self.render_ticket(ctx.ticket, self.shown)
        elif path.startswith("file/"):
            self.open_attachment(path[len("file/"):])

    def show_whole_message(self, ticket: Ticket, message_id: str) -> None:
        show_whole_message(self.w, ticket, message_id)

    def open_attachment(self, attachment_id: str) -> None:
        open_attachment(self, attachment_id)

    def show_source(self, citation: Citation) -> None:
        from ui.source_dialog import SourceDialog

        self.source_windows = [d for d in self.source_windows if d.isVisible()] + [
            SourceDialog(citation, self.w.as_widget)]
        self.source_windows[-1].show()

    # -- the draft: autosave that never loses a word --------------------------------------------------
    def on_draft_edited(self) -> None:
        if self.loaded is None:
            return
        self.dirty = True
        self.revision += 1
        self.w.draft.show_state("editing")
        self.autosave.start()

    def save_draft_now(self) -> None:
        """Save the editor's text for the ticket it belongs to (if it changed).

        "Saved" is said only after the journal committed. Until then the text is held in
        ``unsaved``; a failure shows one banner and is retried every few seconds.
        """
        self.autosave.stop()
        if self.loaded is None or not self.dirty:
            return
        self.dirty = False
        self.unsaved[self.loaded] = self.w.draft.text()
        self._save(self.loaded)

    def _save(self, ticket_id: TicketId) -> None:
        text = self.unsaved[ticket_id]
        w = self.w

        def _saved(_result: object) -> None:
            if self.unsaved.get(ticket_id) == text:
                del self.unsaved[ticket_id]
            if self.loaded == ticket_id and not self.dirty and ticket_id not in self.unsaved:
                w.draft.show_state("saved", when=f"{datetime.now():%H:%M:%S}")
            if not self.unsaved and w.banner.text.startswith("Your draft"):
                w.banner.hide()

        def _failed(exc: AssistError) -> None:
            if self.loaded == ticket_id:
                w.draft.show_state("unsaved_kept")
            w.banner.show_message(
                f"Your draft for #{ticket_id} isn't saved yet. {exc} It stays in this window and is saved "
                "as soon as that is fixed.", retry=self.retry_unsaved, level="warning", action_text="&Save now")
            self._save_retry.start()

        self.runner.run(f"save:{ticket_id}", self.session.save_draft(ticket_id, text), on_ok=_saved,
                        on_error=_failed)

    def retry_unsaved(self) -> None:
        for ticket_id in list(self.unsaved):
            if not self.runner.running(f"save:{ticket_id}"):
                self._save(ticket_id)

    # -- send and note ---------------------------------------------------------------------------------
    def send(self, *, public: bool, status: TicketStatus | None = None) -> None:
        """Send the editor's text, as it is now, to the ticket it belongs to: Retry resends exactly
        this text to exactly this ticket, even after the agent moved on."""
        w, ticket_id = self.w, self.loaded
        if ticket_id is None or self.ops.running("send", ticket_id):
            return
        body = w.draft.text()
        if not body.strip():
            w.draft.show_state("empty")
            return
        self.save_draft_now()
        w.draft.set_enabled(False)
        w.draft.show_state("sending" if public else "adding_note")
        session, draft, route, opened_at = self.session, self.last_draft, self.route, self.opened_at
        if public and status is None:
            status = TicketStatus(w.draft.send_status())

        def _sent(ticket: Ticket, here: bool) -> Changes:
            if public:
                self.rejected.pop(ticket_id, None)
            if here:
                if public:
                    self.last_draft = None
                self.revision += 1
                self.dirty = False
            return Changes(thread=ticket, queue=True, sent="sent" if public else "note_added")

        def _failed(_exc: AssistError, here: bool) -> None:
            if here:
                w.draft.set_enabled(True)
                w.draft.show_state("not_sent")

        self.ops.run(TicketOp(
            ticket_id, "send", "send the reply to" if public else "add the note to",
            lambda: session.send(ticket_id, body, public=public, draft=draft, route=route, opened_at=opened_at,
                                 status=status),
            _sent, _failed))

    # -- routing and drafting --------------------------------------------------------------------------
    def _on_routed(self, ticket_id: TicketId, route: Route, *, auto: bool) -> None:
        w = self.w
        if self.loaded != ticket_id:
            return
        self.route = route
        w.draft.show_route(route, self.session.ai_enabled)
        ai = self.session.settings.ai
        drafting = (auto and ai.auto_draft and not route.human_only and route.tier is Tier.OFFLINE
                    and not w.draft.text().strip())
        if drafting and not self.session.actions_loaded:
            # The window's first draft comes first: loading the actions stack meanwhile would slow it down.
            self.generate_draft(auto=True, then=self.propose_actions)
        else:
            self.propose_actions()
            if drafting:
                self.generate_draft(auto=True)
        self.suggest_escalation()
        if route.human_only:
            w.draft.show_note(human_only_draft(route).note)

    def generate_draft(self, *, auto: bool = False, then: Callable[[], None] | None = None) -> None:
        generate_draft(self, auto=auto, then=then)

    def stop_draft(self) -> None:
        stop_draft(self)

    def ai_toggled(self, enabled: bool) -> None:
        w = self.w
        if not enabled:
            self.runner.cancel("route")
            self.runner.cancel("actions")
            self.stop_draft()
            w.draft.clear_assist()
            w.actions_pane.clear("<i>AI is off: no actions are proposed.</i>")
        w.draft.allow_drafting(enabled)
        w.draft.show_route(self.route if enabled else None, enabled)
        if enabled and self.ctx is not None and self.route is None:
            self.route_again()

    # -- what operations changed, and the parts ----------------------------------------------------------
    def apply(self, ticket_id: TicketId, changes: Changes, here: bool) -> None:
        """The one place the panes are refreshed after an operation, from what it says it changed."""
        if here and changes.reopen:
            self.open_ticket(ticket_id, self.current_email)
        elif here and changes.thread is not None:
            self.render_ticket(changes.thread, self.shown)
        if here and changes.proposal is not None:
            self.actions.show(changes.proposal)
        if here and changes.proposals:
            self.actions.propose()
        if here and changes.history:
            self.actions.refresh_history()
        if here and changes.sent:
            draft = self.w.draft
            draft.load("")
            draft.clear_assist()  # the sent draft's citations and checks leave with it
            draft.show_route(self.route, self.session.ai_enabled)
            draft.set_enabled(True)
            draft.show_state(changes.sent, when=f"{datetime.now():%H:%M}")
        if changes.settled:
            self.w.banner.clear_for(ticket_id)
        if changes.note:
            self.w.statusBar().showMessage(changes.note, 6000)
        if changes.queue:
            self.w.refresh_queue()

    def propose_actions(self) -> None:
        self.actions.propose()

    def refresh_history(self) -> None:
        self.actions.refresh_history()

    def suggest_escalation(self) -> None:
        self.escalation.suggest()

    def open_escalate(self, ticket_id: str | None = None) -> None:
        self.escalation.open(ticket_id)

    def escalate(self, reason: str, note: str, write_back: bool) -> None:
        self.escalation.escalate(reason, note, write_back)

    @property
    def escalate_dialog(self) -> Any:
        return self.escalation.dialog

    @property
    def escalated(self) -> set[str]:
        return self.escalation.escalated
