"""Escalations, their weekly review and the lead's report, for one workspace: this desk's journal, or the
team store when the workspace has one (what waits in the outbox is pushed first, so nothing a desk just did
is missing from what a senior or a lead reads)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from assist.domain import AuditEvent, Route, TicketContext, TicketId
from assist.errors import AssistError
from assist.feedback import (
    REASONS,
    Escalation,
    EscalationFilter,
    FeedbackStore,
    Suggestion,
    escalation_suggestion,
    suggested_reason,
    transcript,
)

if TYPE_CHECKING:
    from pathlib import Path

    from assist.actions.service import ActionService
    from assist.helpdesk.base import Helpdesk
    from assist.paths import Paths
    from assist.reports import WeeklyReport
    from assist.settings import Settings
    from assist.taxonomy import Taxonomy
    from assist.team.sync import TeamSync


class Escalations:
    def __init__(self, settings: Settings, paths: Paths, helpdesk: Helpdesk, feedback: FeedbackStore | None,
                 team: TeamSync | None, workspace: str, journal_path: Path, taxonomy: Callable[[], Taxonomy],
                 author: Callable[[], str], actions: Callable[[], ActionService | None]) -> None:
        self.settings, self.paths, self.helpdesk, self.feedback = settings, paths, helpdesk, feedback
        self.team, self.workspace, self.journal_path = team, workspace, journal_path
        self._taxonomy, self._author, self._actions = taxonomy, author, actions

    def hint(self, ctx: TicketContext, route: Route | None, rejected_drafts: int) -> Suggestion | None:
        """Whether to suggest escalating this ticket, read with this workspace's taxonomy."""
        return escalation_suggestion(ctx.ticket, route, rejected_drafts, taxonomy=self._taxonomy())

    def reason(self, route: Route | None) -> str:
        """The reason the escalate form starts on: the same one the journal records as suggested."""
        return suggested_reason(route, self._taxonomy())

    async def escalate(
        self, ctx: TicketContext, route: Route | None, draft_text: str, draft_state: str, reason: str,
        note: str, *, write_back: bool,
    ) -> Escalation:
        """Log the escalation; optionally tag the ticket and leave the assistant's transcript as a note."""
        assert self.feedback is not None
        written = False
        actions = self._actions()
        proposals = await actions.store.for_ticket(ctx.ticket.id) if actions else []
        done = [f"{p.title}: {p.status.value}" + (f" ({p.result})" if p.result else "") for p in proposals]
        story = transcript(ctx.ticket, route, draft_text, reason, note, done)
        if write_back:
            # added to what the ticket has *now* (a colleague's tag set meanwhile is kept), never a stale copy
            await self.helpdesk.add_tags(ctx.ticket.id, ("assist-escalated", f"escalation-{reason}"))
            await self.helpdesk.post_reply(ctx.ticket.id, story, public=False, author=self._author())
            written = True
        return await self.feedback.escalate(
            ctx.ticket.id, route, draft_text, draft_state, reason, note,
            self.reason(route), written, self.settings.agent.name, transcript=story,
        )

    async def listed(self, flt: EscalationFilter) -> list[Escalation]:
        """This desk's escalations, or with a team store every desk's this role may read (what waits in
        the outbox is pushed first, so a senior's own newest escalation is there too)."""
        assert self.feedback is not None
        if self.team is None:
            return await self.feedback.escalations(flt)
        await self.team.sync_once()
        return await self.team.store.escalations(flt, self.workspace)

    async def review(self, uid: str, reason: str, root_cause: str, flow_needs_fixing: bool) -> Escalation:
        """Kept in the journal first (nothing lost offline), then sent to the team store when there is one."""
        assert self.feedback is not None
        if self.team is None:
            return await self.feedback.review(uid, reason, root_cause, flow_needs_fixing, self.settings.agent.name)
        review_uid = uuid.uuid4().hex
        await self.feedback.record_review(review_uid, uid, reason, root_cause, flow_needs_fixing,
                                          self.settings.agent.name)
        status = await self.team.sync_once()
        if status.error:
            raise AssistError(f"Review saved on this desk; {status.error}")
        found = await self.team.store.escalations(EscalationFilter(), self.workspace, uid)
        if not found:
            raise AssistError("Review saved, but the escalation is not in the team store.")
        return found[0]

    async def weekly_report(self, week: str, fmt: str = "html") -> WeeklyReport:
        """The week's report: the whole team's from the team store when there is one, else this desk's
        journal. A malformed week is an AssistError."""
        from assist.reports import build_report, intent_names, report_journals, team_report

        try:
            if self.team is not None:
                report = await team_report(self.team.store, week, with_rows=fmt == "csv")
            else:
                report = await asyncio.to_thread(lambda: build_report(report_journals(self.paths, self.settings,
                                                                                      self.journal_path), week))
            report.intent_titles, report.intent_parents = intent_names(self._taxonomy())
            return report
        except ValueError as exc:
            raise AssistError(str(exc)) from exc

    async def ticket_history(self, ticket_id: TicketId, actions: ActionService | None) -> list[AuditEvent]:
        """Everything done on a ticket: action events and escalations (with the agent's note), in order."""
        events = await actions.history(ticket_id) if actions else []
        if self.feedback is not None:
            for e in await self.feedback.for_ticket(ticket_id):
                reason = REASONS.get(e.reason, e.reason)
                detail = reason + (f" — “{e.note}”" if e.note else "")
                if e.reviewed_reason or e.root_cause:
                    detail += (f". Reviewed by {e.reviewer}: {REASONS.get(e.current_reason, e.current_reason)}"
                               + (f", root cause “{e.root_cause}”" if e.root_cause else ""))
                events.append(AuditEvent(ticket_id, e.uid, "escalation", "escalated", detail, e.agent, e.created_at))
        return sorted(events, key=lambda ev: ev.created_at)
