"""Routing, drafting (streamed or offline), citations, the AI kill switch, the KB window.

A mixin of ui.main_window.MainWindow: its methods use the window's widgets, session and runner.
"""

from __future__ import annotations

from assist.domain import (
    Citation,
    Draft,
    Route,
    TicketId,
    Tier,
)
from assist.drafting import human_only_draft
from assist.errors import AssistError
from assist.llm import Delta
from assist.settings import save_settings


class AssistantMixin:
    """Routing, drafting (streamed or offline), citations, the AI kill switch, the KB window."""

    def _on_routed(self, ticket_id: TicketId, route: Route, *, auto: bool) -> None:
        if self._loaded != ticket_id:
            return
        self._route = route
        self.draft.show_route(route, self.session.ai_enabled)
        self.propose_actions()
        self.suggest_escalation()
        if route.human_only:
            self.draft.show_note(human_only_draft(route).note)
            return
        ai = self.session.settings.ai
        if auto and ai.auto_draft and route.tier is Tier.OFFLINE and not self.draft.text().strip():
            self.generate_draft(auto=True)

    def generate_draft(self, *, auto: bool = False) -> None:
        ctx, route = self._ctx, self._route
        if not self.session.ai_enabled or ctx is None or route is None or self.runner.running("draft"):
            return
        if route.human_only:
            self.draft.show_note(human_only_draft(route).note)
            return
        ticket_id = ctx.ticket.id
        previous = self._last_draft if not auto else None
        streamed = {"any": False}
        self.draft.state.setText("Drafting…")
        self.draft.draft_button.setEnabled(False)

        async def _run() -> Draft | None:
            final: Draft | None = None
            async for event in self.session.draft(ctx, route):
                if self._loaded != ticket_id:
                    return None
                if isinstance(event, Delta):
                    if not streamed["any"]:
                        streamed["any"] = True
                        self.draft.replace_undoably("")
                        self.draft.set_streaming(True)
                    self.draft.append_streamed(event.text)
                else:
                    final = event
            return final

        def _done(final: Draft | None) -> None:
            self.draft.set_streaming(False)
            self.draft.draft_button.setEnabled(self.session.ai_enabled)
            if final is None or self._loaded != ticket_id:
                return
            if not streamed["any"] and not final.error:
                self.draft.replace_undoably(final.text)
            self.draft.show_draft(final)
            if previous is not None and final.text.strip() != previous.text.strip():
                # asked again and got something else: the last draft was rejected (an identical one isn't)
                self._rejected[ticket_id] = self._rejected.get(ticket_id, 0) + 1
                self.suggest_escalation()
            if final.text:
                self._last_draft = final
            if final.error:
                self.draft.state.setText("Draft incomplete: what was written is kept.")
                self.banner.show_message(final.error, retry=lambda: self.generate_draft())
            else:
                self.draft.state.setText(
                    "Drafted offline" if final.tier is Tier.OFFLINE else f"Drafted by {final.model}"
                )
            if auto and not streamed["any"]:
                self._dirty = False  # an untouched automatic draft is regenerated, not stored
            else:
                self._dirty = True
                self._autosave.start()

        def _failed(exc: AssistError) -> None:
            self.draft.set_streaming(False)
            self.draft.draft_button.setEnabled(self.session.ai_enabled)
            self.draft.state.setText("Drafting failed: your text is kept.")
            self.banner.show_message(str(exc), retry=lambda: self.generate_draft())

        self.runner.run("draft", _run(), on_ok=_done, on_error=_failed)

    def stop_draft(self) -> None:
        if self.runner.cancel("draft"):
            self.draft.set_streaming(False)
            self.draft.draft_button.setEnabled(self.session.ai_enabled)
            self.draft.state.setText("Drafting stopped: the text so far is kept.")
            self._dirty = True
            self._autosave.start()

    def show_source(self, citation: Citation) -> None:
        from ui.source_dialog import SourceDialog

        dialog = SourceDialog(citation, self)
        self._source_windows = [w for w in self._source_windows if w.isVisible()] + [dialog]
        dialog.show()


    def _on_ai_toggled(self, enabled: bool) -> None:
        self.session.settings.ai.enabled = enabled
        try:
            save_settings(self.session.settings, self.session.paths.config_file)
        except OSError as exc:
            self.banner.show_message(f"The AI switch couldn't be saved to the config file: {exc.strerror}")
        if not enabled:
            self.runner.cancel("route")
            self.runner.cancel("actions")
            self.stop_draft()
            self.draft.clear_assist()
            self.actions_pane.clear("<i>AI is off: no actions are proposed.</i>")
        self.draft.draft_button.setEnabled(enabled)
        self.draft.show_route(self._route if enabled else None, enabled)
        if enabled and self._ctx is not None and self._route is None:
            ctx = self._ctx
            self.runner.run("route", self.session.route_ticket(ctx),
                            on_ok=lambda r: self._on_routed(ctx.ticket.id, r, auto=False))
        self.statusBar().showMessage("AI features on" if enabled else "AI features off", 4000)

    def open_knowledge(self) -> None:
        from ui.knowledge_dialog import KnowledgeDialog

        dialog = KnowledgeDialog(lambda: self.session, self.runner, self)
        dialog.show()
