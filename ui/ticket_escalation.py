"""Escalating the open ticket: the suggestion banner (bound to its ticket, never repeated for a ticket escalated
from this window), the escalate form, and the escalation itself as an operation bound to its ticket, with the
draft as it was when the agent chose the reason."""

from __future__ import annotations

from typing import Any

from assist.feedback import REASONS

from ui.desk import OpenTicket
from ui.operations import Changes, TicketOp


class TicketEscalation:
    def __init__(self, ticket: OpenTicket) -> None:
        self.t = ticket
        self.escalated: set[str] = set()  # tickets escalated from this window: never suggested again
        self.dialog: Any = None

    def suggest(self) -> None:
        t = self.t
        ctx = t.ctx
        if ctx is None or not t.session.ai_enabled:
            return
        tip = t.session.escalation_hint(ctx, t.route, t.rejected.get(ctx.ticket.id, 0))
        ticket_id = ctx.ticket.id
        if tip is not None and not (t.route and t.route.human_only) and ticket_id not in self.escalated:
            t.w.banner.show_message(f"Consider escalating #{ticket_id}: {tip.why}.",
                                    retry=lambda: self.open(ticket_id), level="info",
                                    action_text="Escalate this &one…", ticket=ticket_id)

    def open(self, ticket_id: str | None = None) -> None:
        """The escalate form for the open ticket; ``ticket_id`` (a banner's button): only if it still is."""
        from ui.escalate_dialog import EscalateDialog

        t = self.t
        ctx, route = t.ctx, t.route
        if ctx is None or (ticket_id is not None and ctx.ticket.id != ticket_id):
            return
        tip = t.session.escalation_hint(ctx, route, t.rejected.get(ctx.ticket.id, 0))
        suggested = t.session.escalation_reason(route) or (tip.reason if tip else "")
        why = "; ".join(route.reasons) if route and route.triggers else (tip.why if tip else "")
        dialog = EscalateDialog(f"#{ctx.ticket.id}", suggested, why, t.w.as_widget)
        dialog.chosen.connect(lambda reason, note, write_back: self.escalate(reason, note, write_back))
        dialog.open()
        self.dialog = dialog

    def escalate(self, reason: str, note: str, write_back: bool) -> None:
        """Escalate the ticket the dialog was opened for, with the draft as it is now (a TicketOp)."""
        t = self.t
        w, ctx, route = t.w, t.ctx, t.route
        if ctx is None:
            return
        text = w.draft.text()
        state = "none" if not text.strip() else (
            "unchanged" if t.last_draft and text == t.last_draft.text else
            "edited" if t.last_draft else "agent-written")
        ticket_id, session = ctx.ticket.id, t.session

        def _done(_esc: object, _here: bool) -> Changes:
            self.escalated.add(ticket_id)  # suggested no more in this window
            # with a write-back, the tag and the transcript note are on the ticket now: it opens again
            return Changes(reopen=write_back, settled=True, note=f"#{ticket_id} escalated: {REASONS[reason]}")

        t.ops.run(TicketOp(ticket_id, "escalate", "escalate",
                           lambda: session.escalate(ctx, route, text, state, reason, note, write_back=write_back),
                           _done))
