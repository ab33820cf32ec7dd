"""Drafting the open ticket's reply: one ``DraftRun`` per request, bound to its ticket and to the editor's
revision when it started, so a draft that arrives after the agent typed never overwrites their words; streamed
text goes into the editor as it comes (one Ctrl+Z brings the agent's text back); the pane says how it went."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer

from assist.domain import Delta, Draft, Tier
from assist.drafting import human_only_draft
from assist.errors import AssistError

from ui.desk import OpenTicket


class DraftRun:
    """One draft request: started for ``ticket_id`` at editor revision ``started_at``."""

    def __init__(self, t: OpenTicket, *, auto: bool, then: Callable[[], None] | None) -> None:
        assert t.ctx is not None and t.route is not None
        self.t, self.auto, self.then = t, auto, then
        self.ctx, self.route = t.ctx, t.route
        self.ticket_id = t.ctx.ticket.id
        self.previous = t.last_draft if not auto else None
        self.started_at = t.revision
        self.streamed = False  # the first streamed piece replaces the editor's text, undoably

    async def run(self) -> Draft | None:
        t, final = self.t, None
        async for event in t.session.draft(self.ctx, self.route):
            if t.loaded != self.ticket_id:
                return None
            if isinstance(event, Delta):
                if not self.streamed:
                    self.streamed = True
                    t.w.draft.replace_undoably("")
                    t.w.draft.set_streaming(True)
                t.w.draft.append_streamed(event.text)
            else:
                final = event
        return final

    def _finished(self) -> None:
        if self.then is not None:
            QTimer.singleShot(0, self.then)  # after this draft is painted
        self.t.w.draft.set_streaming(False)
        self.t.w.draft.allow_drafting(self.t.session.ai_enabled)

    def done(self, final: Draft | None) -> None:
        t, w, ticket_id = self.t, self.t.w, self.ticket_id
        self._finished()
        if final is None or t.loaded != ticket_id:
            return
        edited_meanwhile = t.revision != self.started_at and not self.streamed
        if not self.streamed and not final.error and not edited_meanwhile:
            w.draft.replace_undoably(final.text)
        w.draft.show_draft(final)
        if self.previous is not None and final.text.strip() != self.previous.text.strip():
            # asked again and got something else: the last draft was rejected (an identical one isn't)
            t.rejected[ticket_id] = t.rejected.get(ticket_id, 0) + 1
            t.suggest_escalation()
        if final.text:
            t.last_draft = final
        if final.error:
            w.draft.show_state("incomplete")
            w.banner.show_message(f"#{ticket_id}: {final.error}", retry=self.again, ticket=ticket_id)
        elif final.fallback:
            w.draft.show_state("offline_fallback")
            w.banner.show_message(f"#{ticket_id}: {final.fallback}", retry=self.again, level="warning",
                                  ticket=ticket_id)
        elif edited_meanwhile:
            w.draft.show_state("kept_typing")
        elif final.tier is Tier.OFFLINE:
            w.draft.show_state("drafted_offline")
        else:
            w.draft.show_state("drafted_by", model=final.model)
        if self.auto and not self.streamed:
            t.dirty = False  # an untouched automatic draft is regenerated, not stored
        else:
            t.dirty = True
            t.autosave.start()

    def failed(self, exc: AssistError) -> None:
        self._finished()
        self.t.w.draft.show_state("failed")
        self.t.w.banner.show_message(f"#{self.ticket_id}: {exc}", retry=self.again, ticket=self.ticket_id)

    def again(self) -> None:
        generate_draft(self.t)


def generate_draft(t: OpenTicket, *, auto: bool = False, then: Callable[[], None] | None = None) -> None:
    """Draft for the open ticket; ``then`` runs once the draft is shown (or failed, or never started)."""
    if not t.session.ai_enabled or t.ctx is None or t.route is None or t.runner.running("draft"):
        if then is not None:
            then()
        return
    if t.route.human_only:  # no model and no offline draft: the note says why
        t.w.draft.show_note(human_only_draft(t.route).note)
        if then is not None:
            then()
        return
    run = DraftRun(t, auto=auto, then=then)
    t.w.draft.show_state("drafting")
    t.w.draft.allow_drafting(False)
    t.runner.run("draft", run.run(), on_ok=run.done, on_error=run.failed)


def stop_draft(t: OpenTicket) -> None:
    if t.runner.cancel("draft"):
        t.w.draft.set_streaming(False)
        t.w.draft.allow_drafting(t.session.ai_enabled)
        t.w.draft.show_state("stopped")
        t.dirty = True
        t.autosave.start()
