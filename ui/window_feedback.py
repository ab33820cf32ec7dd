"""Escalation (with suggestions), senior review and the weekly report.

A mixin of ui.main_window.MainWindow: its methods use the window's widgets, session and runner.
"""

from __future__ import annotations

from assist.feedback import REASONS, escalation_suggestion, suggested_reason


class FeedbackMixin:
    """Escalation (with suggestions), senior review and the weekly report."""

    def suggest_escalation(self) -> None:
        ctx = self._ctx
        if ctx is None or not self.session.ai_enabled:
            return
        tip = escalation_suggestion(ctx.ticket, self._route, self._rejected.get(ctx.ticket.id, 0))
        if tip is not None and not (self._route and self._route.human_only):
            self.banner.show_message(f"Consider escalating #{ctx.ticket.id}: {tip.why}.", retry=self.open_escalate,
                                     level="info", action_text="&Escalate…")

    def open_escalate(self) -> None:
        from ui.escalate_dialog import EscalateDialog

        ctx = self._ctx
        if ctx is None:
            return
        route = self._route
        tip = escalation_suggestion(ctx.ticket, route, self._rejected.get(ctx.ticket.id, 0))
        suggested = suggested_reason(route) or (tip.reason if tip else "")
        why = "; ".join(route.reasons) if route and route.triggers else (tip.why if tip else "")
        dialog = EscalateDialog(f"#{ctx.ticket.id}", suggested, why, self)
        dialog.chosen.connect(lambda reason, note, write_back: self.escalate(reason, note, write_back))
        dialog.open()
        self._escalate_dialog = dialog

    def escalate(self, reason: str, note: str, write_back: bool) -> None:
        ctx, route = self._ctx, self._route
        if ctx is None:
            return
        text = self.draft.text()
        state = "none" if not text.strip() else (
            "unchanged" if self._last_draft and text == self._last_draft.text else
            "edited" if self._last_draft else "agent-written")
        ticket_id = ctx.ticket.id

        def _done(_esc: object) -> None:
            self.banner.hide()
            self.statusBar().showMessage(f"#{ticket_id} escalated: {REASONS[reason]}", 6000)
            if self._loaded == ticket_id and write_back:
                self.open_ticket(ticket_id, self._current_email)  # show the tag and transcript note

        self.runner.run("escalate", self.session.escalate(ctx, route, text, state, reason, note,
                                                           write_back=write_back), on_ok=_done)

    def open_review(self) -> None:
        from ui.review_window import ReviewWindow

        self._review = ReviewWindow(lambda: self.session, self.runner, self)
        self._review.show()

    def open_report(self) -> None:
        from ui.report_dialog import ReportDialog

        self._report = ReportDialog(lambda: self.session, self.runner, self)
        self._report.show()
