"""AI Actions cards and the ticket history tab.

A mixin of ui.main_window.MainWindow: its methods use the window's widgets, session and runner.
"""

from __future__ import annotations

from ui.views.actions import ActionCard, history_html


class ActionsMixin:
    """AI Actions cards and the ticket history tab."""

    def propose_actions(self) -> None:
        ctx, route = self._ctx, self._route
        if ctx is None or route is None or not self.session.ai_enabled:
            return
        self.actions_pane.clear("<i>Looking for actions…</i>")
        ticket_id = ctx.ticket.id

        def _show(proposals: list) -> None:
            if self._loaded != ticket_id or self.session.actions is None:
                return
            catalog = self.session.actions.catalog
            self.actions_pane.show_proposals(
                proposals, lambda name: catalog.get(name).parameters if catalog.get(name) else {},
                self.session.actions.check, self._wire_card,
            )
            n = sum(p.status.value == "proposed" for p in proposals)
            self.side.setTabText(1, f"Actions ({n})" if n else "Actions")
            self._refresh_history()

        self.runner.run("actions", self.session.propose_actions(ctx, route), on_ok=_show)

    def _wire_card(self, card: ActionCard) -> None:
        card.approve_requested.connect(self._on_card_approve_requested)
        card.dismiss_requested.connect(self._on_card_dismiss_requested)
        card.insert_requested.connect(self._on_card_insert_requested)

    def _on_card_approve_requested(self, proposal_id: str, params: dict) -> None:
        def _done(p) -> None:
            self.actions_pane.update_proposal(p)
            self._refresh_history()
            if p.status.value == "failed":
                self.banner.show_message(p.error, retry=lambda: self._on_card_approve_requested(proposal_id, params))

        self.runner.run(f"action:{proposal_id}", self.session.approve_action(proposal_id, params), on_ok=_done)

    def _on_card_dismiss_requested(self, proposal_id: str) -> None:
        def _done(p) -> None:
            self.actions_pane.update_proposal(p)
            self._refresh_history()

        self.runner.run(f"action:{proposal_id}", self.session.dismiss_action(proposal_id), on_ok=_done)

    def _on_card_insert_requested(self, text: str) -> None:
        if self._loaded is None or not text:
            return
        self.draft.editor.insertPlainText(text)
        self.draft.editor.setFocus()

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
