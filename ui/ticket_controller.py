"""The ticket controller: owns the ticket in front of the agent and every operation on it.

Open, save, route, draft, send, note, escalate, approve, dismiss: each is started for one ticket and
stays bound to it (``TicketOp`` from ``ui.operations``). Success handlers are told whether the agent
is still on that ticket and never write into another ticket's editor; a failure's banner names its
ticket and its Retry repeats exactly that operation. A draft that arrives after the agent edited the
text (a newer draft revision) does not overwrite their words.

The window owns the widgets, the toolbar, the queue, workspaces and dialogs, and hands the controller
its views; the controller holds no widget of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from assist.domain import (
    ActionProposal,
    Citation,
    Draft,
    DraftRecord,
    ProposalStatus,
    Route,
    Ticket,
    TicketContext,
    TicketId,
    TicketStatus,
    Tier,
)
from assist.drafting import human_only_draft
from assist.errors import AssistError, TicketNotFoundError
from assist.feedback import REASONS
from assist.llm import Delta
from assist.render import MAX_THREAD_MESSAGES, MORE_MESSAGES, customer_html, thread_html, whole_text
from assist.session import Session

from ui.operations import OpRunner, TicketOp
from ui.views.actions import ActionCard, history_html

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
        self.ops = OpRunner(window.runner, window.banner, lambda: self.loaded)
        self.current: TicketId | None = None
        self.current_email: str | None = None
        self.loaded: TicketId | None = None
        self.ctx: TicketContext | None = None
        self.route: Route | None = None
        self.last_draft: Draft | None = None
        self.opened_at = datetime.now(UTC)
        self.shown = MAX_THREAD_MESSAGES  # newest messages in the thread pane; "Show more" adds to it
        self.escalated: set[str] = set()  # tickets escalated from this window: never suggested again
        self.revision = 0
        self.dirty = False
        self.rejected: dict[str, int] = {}  # drafts replaced without being sent, per ticket
        self.unsaved: dict[TicketId, str] = {}
        self.escalate_dialog: Any = None
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
        self.runner.run("route", self.session.route_ticket(ctx),
                        on_ok=lambda r: self._on_routed(ctx.ticket.id, r, auto=auto))

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
        """The message in full, in a plain-text viewer (laid out lazily: 2 MB opens without a stall)."""
        msg = next((m for m in ticket.messages if m.id == message_id), None)
        if msg is None:
            return
        self.w.statusBar().showMessage("Loading the whole message…", 3000)

        def _show(text: str) -> None:
            from ui.file_view import show_text

            show_text(self.w.as_widget, f"Message from {msg.author} on #{ticket.id} — the whole text", text)

        self.runner.run(f"whole:{message_id}", asyncio.to_thread(whole_text, msg), on_ok=_show)

    def open_attachment(self, attachment_id: str) -> None:
        """Fetch a file only now that the agent asked; text is shown as plain text, anything else saved."""
        ctx = self.ctx
        if ctx is None:
            return
        meta = next((a for m in ctx.ticket.messages for a in m.attachments if a.id == attachment_id), None)
        if meta is None:
            return
        ticket_id = ctx.ticket.id
        self.w.statusBar().showMessage(f"Fetching {meta.name}…", 3000)

        def _got(data: bytes, _here: bool) -> None:
            from ui.file_view import show_or_save

            show_or_save(self.w.as_widget, meta, data)

        session = self.session
        self.ops.run(TicketOp(ticket_id, f"file-{attachment_id}", f"open {meta.name} on",
                              lambda: session.attachment(ticket_id, attachment_id), _got))

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

        def _sent(ticket: Ticket, here: bool) -> None:
            if public:
                self.rejected.pop(ticket_id, None)
            if here:
                if public:
                    self.last_draft = None
                w.draft.load("")
                w.draft.clear_assist()  # the sent draft's citations and checks leave with it
                w.draft.show_route(self.route, self.session.ai_enabled)
                self.revision += 1
                self.dirty = False
                self.render_ticket(ticket, self.shown)
                w.draft.set_enabled(True)
                w.draft.show_state("sent" if public else "note_added", when=f"{datetime.now():%H:%M}")
            w.refresh_queue()

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
        """Draft for the open ticket; ``then`` runs once the draft is shown (or failed, or never started)."""
        w, ctx, route = self.w, self.ctx, self.route
        if not self.session.ai_enabled or ctx is None or route is None or self.runner.running("draft"):
            if then is not None:
                then()
            return
        if route.human_only:
            w.draft.show_note(human_only_draft(route).note)
            if then is not None:
                then()
            return
        ticket_id = ctx.ticket.id
        previous = self.last_draft if not auto else None
        started_at = self.revision
        streamed = {"any": False}
        w.draft.show_state("drafting")
        w.draft.allow_drafting(False)
        session = self.session

        async def _run() -> Draft | None:
            final: Draft | None = None
            async for event in session.draft(ctx, route):
                if self.loaded != ticket_id:
                    return None
                if isinstance(event, Delta):
                    if not streamed["any"]:
                        streamed["any"] = True
                        w.draft.replace_undoably("")
                        w.draft.set_streaming(True)
                    w.draft.append_streamed(event.text)
                else:
                    final = event
            return final

        def _done(final: Draft | None) -> None:
            if then is not None:
                QTimer.singleShot(0, then)  # after this draft is painted
            w.draft.set_streaming(False)
            w.draft.allow_drafting(self.session.ai_enabled)
            if final is None or self.loaded != ticket_id:
                return
            edited_meanwhile = self.revision != started_at and not streamed["any"]
            if not streamed["any"] and not final.error and not edited_meanwhile:
                w.draft.replace_undoably(final.text)
            w.draft.show_draft(final)
            if previous is not None and final.text.strip() != previous.text.strip():
                # asked again and got something else: the last draft was rejected (an identical one isn't)
                self.rejected[ticket_id] = self.rejected.get(ticket_id, 0) + 1
                self.suggest_escalation()
            if final.text:
                self.last_draft = final
            if final.error:
                w.draft.show_state("incomplete")
                w.banner.show_message(f"#{ticket_id}: {final.error}", retry=lambda: self.generate_draft(),
                                      ticket=ticket_id)
            elif final.fallback:
                w.draft.show_state("offline_fallback")
                w.banner.show_message(f"#{ticket_id}: {final.fallback}", retry=lambda: self.generate_draft(),
                                      level="warning", ticket=ticket_id)
            elif edited_meanwhile:
                w.draft.show_state("kept_typing")
            else:
                if final.tier is Tier.OFFLINE:
                    w.draft.show_state("drafted_offline")
                else:
                    w.draft.show_state("drafted_by", model=final.model)
            if auto and not streamed["any"]:
                self.dirty = False  # an untouched automatic draft is regenerated, not stored
            else:
                self.dirty = True
                self.autosave.start()

        def _failed(exc: AssistError) -> None:
            if then is not None:
                QTimer.singleShot(0, then)
            w.draft.set_streaming(False)
            w.draft.allow_drafting(self.session.ai_enabled)
            w.draft.show_state("failed")
            w.banner.show_message(f"#{ticket_id}: {exc}", retry=lambda: self.generate_draft(), ticket=ticket_id)

        self.runner.run("draft", _run(), on_ok=_done, on_error=_failed)

    def stop_draft(self) -> None:
        w = self.w
        if self.runner.cancel("draft"):
            w.draft.set_streaming(False)
            w.draft.allow_drafting(self.session.ai_enabled)
            w.draft.show_state("stopped")
            self.dirty = True
            self.autosave.start()

    def show_source(self, citation: Citation) -> None:
        from ui.source_dialog import SourceDialog

        dialog = SourceDialog(citation, self.w.as_widget)
        self.source_windows = [d for d in self.source_windows if d.isVisible()] + [dialog]
        dialog.show()

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

    # -- actions -----------------------------------------------------------------------------------
    def propose_actions(self) -> None:
        w, ctx, route = self.w, self.ctx, self.route
        if ctx is None or route is None or not self.session.ai_enabled:
            return
        w.actions_pane.clear("<i>Looking for actions…</i>")
        ticket_id = ctx.ticket.id

        def _show(proposals: list[ActionProposal]) -> None:
            actions = self.session.actions
            if self.loaded != ticket_id:
                return
            if actions is None:
                w.actions_pane.show_no_catalog()
                return
            catalog = actions.catalog

            def schema(name: str) -> dict[str, Any]:
                action = catalog.get(name)
                return action.parameters if action else {}

            w.actions_pane.show_proposals(proposals, schema, actions.check, self._wire_card)
            self._count_actions()
            self.refresh_history()

        self.runner.run("actions", self.session.propose_actions(ctx, route), on_ok=_show)

    def _count_actions(self) -> None:
        open_ = sum(c.proposal.status in (ProposalStatus.PROPOSED, ProposalStatus.UNKNOWN)
                    for c in self.w.actions_pane.cards.values())
        self.w.show_open_actions(open_)

    def _wire_card(self, card: ActionCard) -> None:
        card.approve_requested.connect(self._on_card_approve_requested)
        card.dismiss_requested.connect(self._on_card_dismiss_requested)
        card.insert_requested.connect(self._on_card_insert_requested)

    def _card_op(self, proposal_id: str, what: str, start: Callable[[TicketId], Any]) -> None:
        card = self.w.actions_pane.cards.get(proposal_id)
        if card is None:
            return
        ticket_id = TicketId(card.proposal.ticket_id)

        def _done(p: ActionProposal, here: bool) -> None:
            if here:
                self.w.actions_pane.update_proposal(p)
                self._count_actions()
                self.refresh_history()
            if p.status is ProposalStatus.FAILED:
                self.w.banner.show_message(f"#{ticket_id}: {p.error}",
                                           retry=lambda: self._card_op(proposal_id, what, start))

        def _failed(_exc: AssistError, here: bool) -> None:
            if here:
                self.propose_actions()  # the cards show what the journal says now

        self.ops.run(TicketOp(ticket_id, f"action-{proposal_id}", what, lambda: start(ticket_id), _done, _failed))

    def _on_card_approve_requested(self, proposal_id: str, params: dict[str, Any], confirmed: bool) -> None:
        card = self.w.actions_pane.cards.get(proposal_id)
        title = card.proposal.title.lower() if card else "the action"
        session = self.session
        self._card_op(proposal_id, f"{title} on",
                      lambda tid: session.approve_action(tid, proposal_id, params, confirmed=confirmed))

    def _on_card_dismiss_requested(self, proposal_id: str) -> None:
        session = self.session
        self._card_op(proposal_id, "dismiss the action on", lambda tid: session.dismiss_action(tid, proposal_id))

    def _on_card_insert_requested(self, text: str) -> None:
        if self.loaded is None or not text:
            return
        self.w.draft.insert_at_cursor(text)

    def refresh_history(self) -> None:
        ticket_id = self.loaded
        if ticket_id is None:
            return

        def _show(events: list[Any]) -> None:
            if self.loaded == ticket_id:
                self.w.history.setHtml(history_html(self.session.history_lines(events)))

        self.runner.run("history", self.session.history(ticket_id), on_ok=_show)

    # -- escalation ------------------------------------------------------------------------------------
    def suggest_escalation(self) -> None:
        ctx = self.ctx
        if ctx is None or not self.session.ai_enabled:
            return
        tip = self.session.escalation_hint(ctx, self.route, self.rejected.get(ctx.ticket.id, 0))
        ticket_id = ctx.ticket.id
        if tip is not None and not (self.route and self.route.human_only) and ticket_id not in self.escalated:
            self.w.banner.show_message(f"Consider escalating #{ticket_id}: {tip.why}.",
                                       retry=lambda: self.open_escalate(ticket_id), level="info",
                                       action_text="Escalate this &one…", ticket=ticket_id)

    def open_escalate(self, ticket_id: str | None = None) -> None:
        """The escalate form for the open ticket; ``ticket_id`` (a banner's button): only if it still is."""
        from ui.escalate_dialog import EscalateDialog

        ctx, route = self.ctx, self.route
        if ctx is None or (ticket_id is not None and ctx.ticket.id != ticket_id):
            return
        tip = self.session.escalation_hint(ctx, route, self.rejected.get(ctx.ticket.id, 0))
        suggested = self.session.escalation_reason(route) or (tip.reason if tip else "")
        why = "; ".join(route.reasons) if route and route.triggers else (tip.why if tip else "")
        dialog = EscalateDialog(f"#{ctx.ticket.id}", suggested, why, self.w.as_widget)
        dialog.chosen.connect(lambda reason, note, write_back: self.escalate(reason, note, write_back))
        dialog.open()
        self.escalate_dialog = dialog

    def escalate(self, reason: str, note: str, write_back: bool) -> None:
        """Escalate the ticket the dialog was opened for, with the draft as it is now (a TicketOp)."""
        w, ctx, route = self.w, self.ctx, self.route
        if ctx is None:
            return
        text = w.draft.text()
        state = "none" if not text.strip() else (
            "unchanged" if self.last_draft and text == self.last_draft.text else
            "edited" if self.last_draft else "agent-written")
        ticket_id, email, session = ctx.ticket.id, self.current_email, self.session

        def _done(_esc: object, here: bool) -> None:
            self.escalated.add(ticket_id)  # suggested no more in this window
            w.banner.clear_for(ticket_id)
            w.statusBar().showMessage(f"#{ticket_id} escalated: {REASONS[reason]}", 6000)
            if here and write_back:
                self.open_ticket(ticket_id, email)  # show the tag and transcript note

        self.ops.run(TicketOp(ticket_id, "escalate", "escalate",
                              lambda: session.escalate(ctx, route, text, state, reason, note, write_back=write_back),
                              _done))
