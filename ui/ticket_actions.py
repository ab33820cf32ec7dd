"""The open ticket's AI Actions: proposals shown as cards, approve and dismiss as operations bound to the card's
ticket (what they changed goes through the controller's ``apply``), the card's text inserted into the draft,
and the ticket's audit trail in the History tab."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assist.domain import ActionProposal, ProposalStatus, TicketId
from assist.errors import AssistError

from ui.desk import OpenTicket
from ui.operations import Changes, TicketOp
from ui.views.actions import ActionCard, history_html


class TicketActions:
    def __init__(self, ticket: OpenTicket) -> None:
        self.t = ticket

    def propose(self) -> None:
        t = self.t
        w, ctx, route = t.w, t.ctx, t.route
        if ctx is None or route is None or not t.session.ai_enabled:
            return
        w.actions_pane.clear("<i>Looking for actions…</i>")
        ticket_id = ctx.ticket.id

        def _show(proposals: list[ActionProposal]) -> None:
            actions = t.session.actions
            if actions is None:
                w.actions_pane.show_no_catalog()
                return
            catalog = actions.catalog

            def schema(name: str) -> dict[str, Any]:
                action = catalog.get(name)
                return action.parameters if action else {}

            w.actions_pane.show_proposals(proposals, schema, actions.check, self._wire)
            self.count()
            self.refresh_history()

        session = t.session
        t.ops.read(ticket_id, "actions", lambda: session.propose_actions(ctx, route), _show)

    def count(self) -> None:
        """The Actions tab's count: the cards that wait for the agent."""
        open_ = sum(c.proposal.status in (ProposalStatus.PROPOSED, ProposalStatus.UNKNOWN)
                    for c in self.t.w.actions_pane.cards.values())
        self.t.w.show_open_actions(open_)

    def show(self, proposal: ActionProposal) -> None:
        self.t.w.actions_pane.update_proposal(proposal)
        self.count()

    def _wire(self, card: ActionCard) -> None:
        card.approve_requested.connect(self._approve)
        card.dismiss_requested.connect(self._dismiss)
        card.insert_requested.connect(self._insert)

    def _card_op(self, proposal_id: str, what: str, start: Callable[[TicketId], Any]) -> None:
        t = self.t
        card = t.w.actions_pane.cards.get(proposal_id)
        if card is None:
            return
        ticket_id = TicketId(card.proposal.ticket_id)

        def _done(p: ActionProposal, _here: bool) -> Changes:
            if p.status is ProposalStatus.FAILED:
                t.w.banner.show_message(f"#{ticket_id}: {p.error}",
                                        retry=lambda: self._card_op(proposal_id, what, start))
            return Changes(proposal=p, history=True)

        def _failed(_exc: AssistError, _here: bool) -> Changes:
            return Changes(proposals=True)  # the cards show what the journal says now

        t.ops.run(TicketOp(ticket_id, f"action-{proposal_id}", what, lambda: start(ticket_id), _done, _failed))

    def _approve(self, proposal_id: str, params: dict[str, Any], confirmed: bool) -> None:
        card = self.t.w.actions_pane.cards.get(proposal_id)
        title = card.proposal.title.lower() if card else "the action"
        session = self.t.session
        self._card_op(proposal_id, f"{title} on",
                      lambda tid: session.approve_action(tid, proposal_id, params, confirmed=confirmed))

    def _dismiss(self, proposal_id: str) -> None:
        session = self.t.session
        self._card_op(proposal_id, "dismiss the action on", lambda tid: session.dismiss_action(tid, proposal_id))

    def _insert(self, text: str) -> None:
        if self.t.loaded is None or not text:
            return
        self.t.w.draft.insert_at_cursor(text)

    def refresh_history(self) -> None:
        t = self.t
        ticket_id = t.loaded
        if ticket_id is None:
            return

        def _show(events: list[Any]) -> None:
            t.w.history.setHtml(history_html(t.session.history_lines(events)))

        session = t.session
        t.ops.read(ticket_id, "history", lambda: session.history(ticket_id), _show)
