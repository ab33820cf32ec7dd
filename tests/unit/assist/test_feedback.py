"""Escalations round trip, review re-tags, suggestions and draft outcomes through the session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assist.domain import AuthorRole, Message, Ticket, TicketId, TicketStatus
from assist.feedback import EscalationFilter, edit_ratio, escalation_suggestion, outcome_of, suggested_reason
from assist.text import iso_week


async def _ctx_route(s, ticket_id: str):
    ctx = await s.open_ticket(TicketId(ticket_id))
    return ctx, await s.route_ticket(ctx)


async def test_escalation_round_trip_with_write_back(make_session) -> None:
    s = make_session()
    ctx, route = await _ctx_route(s, "1033")
    assert suggested_reason(route) == "legal_compliance"  # pre-filled from the hard trigger
    esc = await s.escalate(ctx, route, "", "none", "legal_compliance", "GDPR erasure request", write_back=True)
    assert esc.written_back and esc.intent == "gdpr" and esc.tier == "human"
    assert esc.route_reasons == ("human only: legal request",)
    assert esc.week == iso_week(datetime.now(UTC))
    ticket = (await s.open_ticket(TicketId("1033"))).ticket
    assert {"assist-escalated", "escalation-legal_compliance"} <= set(ticket.tags)
    note = ticket.messages[-1]
    assert not note.public and note.body.startswith("Escalated by Assist: Legal / compliance — GDPR erasure")
    assert "Route reasons: human only: legal request" in note.body

    listed = await s.escalations(EscalationFilter(week=esc.week, reason="legal_compliance"))
    assert [e.uid for e in listed] == [esc.uid]
    reviewed = await s.review_escalation(esc.uid, "policy_exception", "not legal: wanted marketing opt-out", True)
    assert reviewed.current_reason == "policy_exception" and reviewed.reason == "legal_compliance"
    assert reviewed.reviewer == s.settings.agent.name and reviewed.flow_needs_fixing
    assert await s.escalations(EscalationFilter(reason="legal_compliance")) == []
    assert [e.uid for e in await s.escalations(EscalationFilter(reason="policy_exception"))] == [esc.uid]


async def test_escalation_without_write_back_leaves_helpdesk_alone(make_session) -> None:
    s = make_session()
    ctx, route = await _ctx_route(s, "1026")
    before = len(ctx.ticket.messages)
    esc = await s.escalate(ctx, route, "draft text", "offline", "bug_outage", "", write_back=False)
    assert not esc.written_back and esc.draft_text == "draft text"
    assert len((await s.open_ticket(TicketId("1026"))).ticket.messages) == before
    assert [e.uid for e in await s.escalations(EscalationFilter(intent="broken_feature", tier_or_model="offline"))] \
        == [esc.uid]


def _ticket(*texts: str) -> Ticket:
    now = datetime.now(UTC)
    msgs = tuple(Message(str(i), "C", AuthorRole.CUSTOMER, t, now) for i, t in enumerate(texts))
    return Ticket(TicketId("1"), "s", TicketStatus.OPEN, "c@example.com", "C", now, now, msgs)


def test_suggestions() -> None:
    calm = _ticket("where is my order?")
    assert escalation_suggestion(calm, None, 0) is None
    angry = _ticket("this is ridiculous", "still waiting, unacceptable")
    assert escalation_suggestion(angry, None, 0).reason == "customer_frustration"
    s = escalation_suggestion(calm, None, 3)
    assert s.reason == "model_misunderstood" and "3 drafts rejected" in s.why


def test_the_workspace_s_own_frustration_markers_suggest_escalating() -> None:
    """A team's wording ("ombudsman") is frustration in its taxonomy: the suggestion reads it as routing does."""
    from assist.taxonomy import parse

    team = parse('[sentiment]\nfrustration = ["ombudsman", "chargeback"]\n')
    ticket = _ticket("I will write to the ombudsman about the router.", "Next step is a chargeback with my bank.")
    assert escalation_suggestion(ticket, None, 0) is None
    tip = escalation_suggestion(ticket, None, 0, taxonomy=team)
    assert tip is not None and tip.why == "2 frustrated messages from the customer"


def test_outcomes() -> None:
    assert outcome_of(edit_ratio("Hi Maria, it shipped.", "Hi Maria, it shipped.")) == "unchanged"
    assert outcome_of(edit_ratio("Hi Maria, it shipped today.", "Hi Maria, it shipped yesterday.")) == "edited"
    assert outcome_of(edit_ratio("Hi Maria, it shipped.", "Completely different reply about refunds")) == "discarded"
    assert outcome_of(None) == "no_draft"


async def test_send_records_outcome_and_time_to_send(make_session) -> None:
    s = make_session()
    ctx, route = await _ctx_route(s, "1001")
    draft = [e async for e in s.draft(ctx, route)][-1]
    opened = datetime.now(UTC) - timedelta(minutes=4)
    await s.send(ctx.ticket.id, draft.text.replace("Hi Maria", "Hello Maria"), public=True, draft=draft,
                 route=route, opened_at=opened)

    def rows(conn):
        return conn.execute("SELECT outcome, edit_ratio, seconds_to_send, tier FROM draft_outcomes").fetchall()

    [(outcome, ratio, seconds, tier)] = await s.journal._db.run(rows)
    assert outcome == "edited" and 0.9 < ratio < 1 and 239 <= seconds <= 300 and tier == "offline"
