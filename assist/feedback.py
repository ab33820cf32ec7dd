"""The feedback loop: escalations with reasons, senior reviews (re-tags), and draft outcomes.

Every escalation is a data point on where the assistant or the flow broke. Rows carry a random uid
(merging agents' journals never double counts) and their ISO week (reports read one index range).
"""

from __future__ import annotations

import difflib
import json
import sqlite3
import uuid
from datetime import UTC, datetime

from msgspec import Struct, field

from assist.domain import Draft, Route, Ticket, TicketId
from assist.journal import Journal
from assist.routing import customer_messages, sentiment
from assist.taxonomy import Taxonomy, builtin_rules
from assist.text import iso_week

REASONS: dict[str, str] = {
    "customer_frustration": "Customer frustration",
    "missing_data": "Missing data the assistant couldn't reach",
    "confusing_flow": "Confusing flow",
    "model_misunderstood": "Model misunderstood",
    "policy_exception": "Policy exception",
    "legal_compliance": "Legal / compliance",
    "bug_outage": "Bug / outage",
    "other": "Other",
}



def suggested_reason(route: Route | None, taxonomy: Taxonomy | None = None) -> str:
    """The reason to pre-fill: from a hard trigger first, then from what the route saw, then the intent's
    own ``escalation_reason`` in the workspace's taxonomy."""
    if route is None:
        return ""
    for t in route.triggers:
        spec = (taxonomy or builtin_rules()).trigger(t.kind)
        return spec.escalation_reason if spec and spec.escalation_reason in REASONS else "other"
    if route.sentiment <= -0.5:
        return "customer_frustration"
    info = taxonomy.get(route.intent) if taxonomy else None
    return info.escalation_reason if info and info.escalation_reason in REASONS else ""


class Suggestion(Struct, frozen=True):
    reason: str
    why: str


def escalation_suggestion(
    ticket: Ticket, route: Route | None, rejected_drafts: int, *, taxonomy: Taxonomy | None = None,
    sentiment_threshold: float = -0.6, frustration_messages: int = 2, max_rejected: int = 3,
) -> Suggestion | None:
    """Suggest escalating on repeated frustration, very low sentiment, or N rejected drafts in a row.
    Frustration is read with the workspace's ``taxonomy`` (its own markers and neutral words), as routing
    reads it; without one, the built-in markers only."""
    customer = customer_messages(ticket)
    frustrated = sum(sentiment(body, taxonomy) < 0 for body in customer)
    if frustrated >= frustration_messages:
        return Suggestion("customer_frustration", f"{frustrated} frustrated messages from the customer")
    if route is not None and route.sentiment <= sentiment_threshold:
        return Suggestion("customer_frustration",
                          f"sentiment {route.sentiment:+.2f} is below {sentiment_threshold:+.2f}")
    if rejected_drafts >= max_rejected:
        return Suggestion("model_misunderstood", f"{rejected_drafts} drafts rejected in a row")
    return None


def transcript(ticket: Ticket, route: Route | None, draft_text: str, reason: str, note: str,
               actions: list[str] | None = None) -> str:
    """The internal note left on the helpdesk ticket, so whoever picks it up has the whole story."""
    lines = [f"Escalated by Assist: {REASONS.get(reason, reason)}" + (f" — {note}" if note else "")]
    if route is not None:
        lines.append(f"Intent: {route.intent} ({route.intent_confidence:.0%}), risk {route.risk}, "
                     f"sentiment {route.sentiment:+.2f}, route {route.tier.value}"
                     + (f" ({route.model})" if route.model else ""))
        if route.reasons:
            lines.append("Route reasons: " + "; ".join(route.reasons))
    if actions:
        lines.append("Actions: " + "; ".join(actions))
    lines.append("Assistant draft:" if draft_text.strip() else "No assistant draft.")
    if draft_text.strip():
        lines.append(draft_text.strip())
    return "\n".join(lines)


def edit_ratio(generated: str, sent: str) -> float:
    """1.0 = sent exactly as drafted; 0.0 = nothing in common."""
    if not generated and not sent:
        return 1.0
    return round(difflib.SequenceMatcher(None, generated, sent, autojunk=False).ratio(), 3)


def outcome_of(ratio: float | None) -> str:
    if ratio is None:
        return "no_draft"
    if ratio >= 0.999:
        return "unchanged"
    if ratio >= 0.3:
        return "edited"
    return "discarded"


class Escalation(Struct, frozen=True):
    uid: str
    ticket_id: TicketId
    intent: str
    tier: str
    model: str
    route_reasons: tuple[str, ...]
    draft_state: str
    draft_text: str
    reason: str
    note: str
    suggested_reason: str
    written_back: bool
    agent: str
    created_at: datetime
    week: str
    reviewed_reason: str = ""
    root_cause: str = ""
    flow_needs_fixing: bool = False
    reviewer: str = ""
    reviewed_at: datetime | None = None

    @property
    def current_reason(self) -> str:
        return self.reviewed_reason or self.reason


class EscalationFilter(Struct, frozen=True):
    week: str = ""
    reason: str = ""
    intent: str = ""
    tier_or_model: str = ""
    agent: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


_SELECT = """
SELECT e.*, r.reason AS r_reason, r.root_cause, r.flow_needs_fixing, r.reviewer, r.created_at AS r_at
FROM escalations e
LEFT JOIN escalation_reviews r ON r.uid = (
    SELECT uid FROM escalation_reviews WHERE escalation_uid = e.uid ORDER BY created_at DESC, rowid DESC LIMIT 1)
"""


def _escalation(row: sqlite3.Row) -> Escalation:
    return Escalation(
        uid=row["uid"], ticket_id=TicketId(row["ticket_id"]), intent=row["intent"], tier=row["tier"],
        model=row["model"], route_reasons=tuple(json.loads(row["route_reasons"])), draft_state=row["draft_state"],
        draft_text=row["draft_text"], reason=row["reason"], note=row["note"],
        suggested_reason=row["suggested_reason"], written_back=bool(row["written_back"]), agent=row["agent"],
        created_at=datetime.fromisoformat(row["created_at"]), week=row["week"],
        reviewed_reason=row["r_reason"] or "", root_cause=row["root_cause"] or "",
        flow_needs_fixing=bool(row["flow_needs_fixing"]), reviewer=row["reviewer"] or "",
        reviewed_at=datetime.fromisoformat(row["r_at"]) if row["r_at"] else None,
    )


class FeedbackStore:
    def __init__(self, journal: Journal) -> None:
        self._db = journal._db
        self.ws = journal.workspace

    async def escalate(
        self, ticket_id: TicketId, route: Route | None, draft_text: str, draft_state: str, reason: str,
        note: str, suggested: str, written_back: bool, agent: str, at: datetime | None = None,
        transcript: str = "",
    ) -> Escalation:
        if reason not in REASONS:
            raise ValueError(f"unknown escalation reason {reason!r}")
        at = at or _now()
        uid = uuid.uuid4().hex

        def _insert(conn: sqlite3.Connection) -> Escalation:
            conn.execute(
                "INSERT INTO escalations (uid, workspace, ticket_id, intent, tier, model, route_reasons, draft_state, "
                "draft_text, reason, note, suggested_reason, written_back, agent, created_at, week, transcript) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (uid, self.ws, ticket_id, route.intent if route else "", route.tier.value if route else "",
                 route.model if route else "", json.dumps(list(route.reasons) if route else []), draft_state,
                 draft_text, reason, note, suggested, int(written_back), agent, at.isoformat(), iso_week(at),
                 transcript))
            return _escalation(conn.execute(_SELECT + " WHERE e.uid = ?", (uid,)).fetchone())

        return await self._db.run(_insert)

    async def review(self, escalation_uid: str, reason: str, root_cause: str, flow_needs_fixing: bool,
                     reviewer: str) -> Escalation:
        if reason not in REASONS:
            raise ValueError(f"unknown escalation reason {reason!r}")

        def _insert(conn: sqlite3.Connection) -> Escalation:
            conn.execute("INSERT INTO escalation_reviews VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (uuid.uuid4().hex, escalation_uid, reason, root_cause, int(flow_needs_fixing), reviewer,
                          _now().isoformat()))
            return _escalation(conn.execute(_SELECT + " WHERE e.uid = ?", (escalation_uid,)).fetchone())

        return await self._db.run(_insert)

    async def record_review(self, uid: str, escalation_uid: str, reason: str, root_cause: str, flow: bool,
                            reviewer: str) -> None:
        """A review of an escalation that may live on another desk (the team store's): kept here, pushed."""
        if reason not in REASONS:
            raise ValueError(f"unknown escalation reason {reason!r}")
        await self._db.run(lambda conn: conn.execute(
            "INSERT INTO escalation_reviews VALUES (?, ?, ?, ?, ?, ?, ?)",
            (uid, escalation_uid, reason, root_cause, int(flow), reviewer, _now().isoformat())))

    async def escalations(self, flt: EscalationFilter) -> list[Escalation]:
        def _query(conn: sqlite3.Connection) -> list[Escalation]:
            where, args = ["e.workspace = ?"], [self.ws]
            if flt.week:
                where.append("e.week = ?")
                args.append(flt.week)
            if flt.intent:
                where.append("e.intent = ?")
                args.append(flt.intent)
            if flt.tier_or_model:
                where.append("(e.tier = ? OR e.model = ?)")
                args += [flt.tier_or_model, flt.tier_or_model]
            if flt.agent:
                where.append("e.agent = ?")
                args.append(flt.agent)
            rows = conn.execute(_SELECT + " WHERE " + " AND ".join(where) + " ORDER BY e.created_at DESC",
                                args).fetchall()
            out = [_escalation(r) for r in rows]
            return [e for e in out if not flt.reason or e.current_reason == flt.reason]

        return await self._db.run(_query)

    async def for_ticket(self, ticket_id: TicketId) -> list[Escalation]:
        def _query(conn: sqlite3.Connection) -> list[Escalation]:
            rows = conn.execute(_SELECT + " WHERE e.workspace = ? AND e.ticket_id = ? ORDER BY e.created_at",
                                (self.ws, ticket_id)).fetchall()
            return [_escalation(r) for r in rows]

        return await self._db.run(_query)

    async def weeks(self) -> list[str]:
        def _weeks(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute("SELECT DISTINCT week FROM escalations WHERE workspace = ? ORDER BY week DESC",
                                (self.ws,)).fetchall()
            return [r[0] for r in rows]

        return await self._db.run(_weeks)

    async def record_outcome(
        self, ticket_id: TicketId, draft: Draft | None, route: Route | None, sent: str, opened_at: datetime,
        agent: str, sent_at: datetime | None = None, *, ticket_created_at: datetime | None = None,
        solved: bool = False,
    ) -> tuple[str, float]:
        sent_at = sent_at or _now()
        ratio = edit_ratio(draft.text, sent) if draft is not None and draft.text else None
        outcome = outcome_of(ratio)

        def _insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO draft_outcomes (uid, workspace, ticket_id, intent, tier, model, outcome, edit_ratio, "
                "opened_at, sent_at, seconds_to_send, agent, week, ticket_created_at, solved) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (uuid.uuid4().hex, self.ws, ticket_id, route.intent if route else "",
                 draft.tier.value if draft else (route.tier.value if route else ""),
                 draft.model if draft else "", outcome, 0.0 if ratio is None else ratio,
                 opened_at.isoformat(), sent_at.isoformat(),
                 max((sent_at - opened_at).total_seconds(), 0.0), agent, iso_week(sent_at),
                 ticket_created_at.isoformat() if ticket_created_at else "", int(solved)))

        await self._db.run(_insert)
        return outcome, 0.0 if ratio is None else ratio
