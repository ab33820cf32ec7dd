"""AI Actions cards and the ticket history tab.

A mixin of ui.main_window.MainWindow: its methods use the window's widgets, session and runner.
Approvals and dismissals are TicketOps: bound to the ticket their card belongs to.
"""

from __future__ import annotations

from typing import Any

from assist.domain import ActionProposal, ProposalStatus, TicketId
from assist.errors import AssistError

from ui.operations import TicketOp
from ui.views.actions import ActionCard, history_html


class ActionsMixin:
    """AI Actions cards and the ticket history tab."""

    def propose_actions(self) -> None:
        ctx, route = self._ctx, self._route
        if ctx is None or route is None or not self.session.ai_enabled:
            return
        self.actions_pane.clear("<i>Looking for actions…</i>")
        ticket_id = ctx.ticket.id

        def _show(proposals: list[ActionProposal]) -> None:
            if self._loaded != ticket_id or self.session.actions is None:
                return
            catalog = self.session.actions.catalog
            self.actions_pane.show_proposals(
                proposals, lambda name: catalog.get(name).parameters if catalog.get(name) else {},
                self.session.actions.check, self._wire_card,
            )
            self._count_actions()
            self._refresh_history()

        self.runner.run("actions", self.session.propose_actions(ctx, route), on_ok=_show)

    def _count_actions(self) -> None:
        open_ = sum(c.proposal.status in (ProposalStatus.PROPOSED, ProposalStatus.UNKNOWN)
                    for c in self.actions_pane.cards.values())
        self.side.setTabText(1, f"Actions ({open_})" if open_ else "Actions")

    def _wire_card(self, card: ActionCard) -> None:
        card.approve_requested.connect(self._on_card_approve_requested)
        card.dismiss_requested.connect(self._on_card_dismiss_requested)
        card.insert_requested.connect(self._on_card_insert_requested)

    def _card_op(self, proposal_id: str, what: str, start: Any) -> None:
        card = self.actions_pane.cards.get(proposal_id)
        if card is None:
            return
        ticket_id = TicketId(card.proposal.ticket_id)

        def _done(p: ActionProposal, here: bool) -> None:
            if here:
                self.actions_pane.update_proposal(p)
                self._count_actions()
                self._refresh_history()
            if p.status is ProposalStatus.FAILED:
                self.banner.show_message(f"#{ticket_id}: {p.error}", retry=lambda: self._card_op(proposal_id, what,
                                                                                                  start))

        def _failed(_exc: AssistError, here: bool) -> None:
            if here:
                self.propose_actions()  # the cards show what the journal says now

        self.ops.run(TicketOp(ticket_id, f"action-{proposal_id}", what, lambda: start(ticket_id), _done, _failed))

    def _on_card_approve_requested(self, proposal_id: str, params: dict[str, Any], confirmed: bool) -> None:
        card = self.actions_pane.cards.get(proposal_id)
        title = card.proposal.title.lower() if card else "the action"
        session = self.session
        self._card_op(proposal_id, f"{title} on", lambda tid: session.approve_action(tid, proposal_id, params,
                                                                                    confirmed=confirmed))

    def _on_card_dismiss_requested(self, proposal_id: str) -> None:
        session = self.session
        self._card_op(proposal_id, "dismiss the action on", lambda tid: session.dismiss_action(tid, proposal_id))

    def _on_card_insert_requested(self, text: str) -> None:
        if self._loaded is None or not text:
            return
        editor = self.draft.editor
        cursor = editor.textCursor()
        if cursor.position() == 0 and self.draft.text().strip():
            cursor.movePosition(cursor.MoveOperation.End)  # not at the top, above the greeting
            editor.setTextCursor(cursor)
        if cursor.position() > 0 and not self.draft.text()[:cursor.position()].endswith("\n"):
            text = "\n\n" + text
        editor.insertPlainText(text)
        editor.setFocus()

    def _on_side_current_changed(self, index: int) -> None:
        if index == 2:
            self._refresh_history()

    def _refresh_history(self) -> None:
        ticket_id = self._loaded
        if ticket_id is None:
            return
        self.runner.run("history", self.session.history(ticket_id),
                        on_ok=lambda events: self.history.setHtml(history_html(events))
                        if self._loaded == ticket_id else None)
