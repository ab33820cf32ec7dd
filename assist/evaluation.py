"""Regression suite: known-correct cases run through the current roster and routing.

A case is a ticket (subject, messages, the requester's email for CRM context) and what must happen:
intent, whether it goes to a human, sources that must be cited (``cite``: every one; ``cite_any``: one
of them), facts that must appear, claims that must not, the facts of the agent's actual reply that the
draft must not contradict (``reference_facts``: amounts, dates, ids, policy terms) and the action that
should be proposed. ``import_cases`` builds cases from a team's solved tickets (``assist eval import``).
Results are grouped per tier/model; a saved baseline turns any drop into a regression (exit 1).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from assist.actions.proposals import rule_proposals
from assist.domain import AuthorRole, Delta, Message, Ticket, TicketContext, TicketId, TicketStatus, Tier
from assist.errors import AssistError
from assist.facts import contradictions, extract

log = logging.getLogger(__name__)
_UNREAD: set[str] = set()  # why customer records could not be read, each said once

METRICS = ("intent", "route", "citations_valid", "cited", "facts", "consistent", "forbidden_absent", "action")


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    subject: str
    messages: tuple[tuple[str, str], ...]
    customer_email: str
    expect: dict[str, Any]


@dataclass
class CaseResult:
    id: str
    model: str
    checks: dict[str, bool]
    cost_usd: float
    latency_ms: int
    notes: list[str] = field(default_factory=list)


@dataclass
class ModelRow:
    model: str
    cases: int
    rates: dict[str, float]
    cost_per_case: float
    latency_ms: float


def load_suite(path: Path) -> list[Case]:
    text = path.read_text("utf-8")
    if path.suffix in (".yaml", ".yml"):
        raw = yaml.safe_load(text) or []
    else:
        raw = [json.loads(line) for line in text.splitlines() if line.strip()]
    cases = []
    for i, r in enumerate(raw, start=1):
        if not isinstance(r, dict) or "expect" not in r or "messages" not in r:
            raise ValueError(f"{path}: case #{i} needs 'messages' and 'expect'")
        cases.append(Case(str(r.get("id", i)), r.get("subject", ""), tuple(
            (m.get("role", "customer"), m["body"]) for m in r["messages"]), r.get("customer_email", ""), r["expect"]))
    return cases


def _ticket(case: Case) -> Ticket:
    now = datetime.now(UTC)
    msgs = tuple(Message(str(n), "Customer" if role == "customer" else "Agent",
                         AuthorRole.CUSTOMER if role == "customer" else AuthorRole.AGENT, body, now)
                 for n, (role, body) in enumerate(case.messages))
    return Ticket(TicketId(case.id), case.subject, TicketStatus.OPEN, case.customer_email,
                  case.customer_email.split("@")[0], now, now, msgs)


async def run_case(session: Any, case: Case) -> CaseResult:
    started = time.perf_counter()
    ticket = _ticket(case)
    customer = None
    if case.customer_email:
        try:
            customer = await session.crm.get_customer(case.customer_email)
        except AssistError as exc:  # the case carries its ticket: judged without the customer's records
            if str(exc) not in _UNREAD:  # said once, not once a case
                _UNREAD.add(str(exc))
                log.warning("Customer records not read (%s): cases are judged without them", exc)
    if customer is not None:
        ticket = Ticket(ticket.id, ticket.subject, ticket.status, ticket.requester_email, customer.name,
                        ticket.created_at, ticket.updated_at, ticket.messages)
    ctx = TicketContext(ticket, customer)
    route = await session.route_ticket(ctx)
    draft = None
    async for event in session.draft(ctx, route, record=False, fallback=False):
        if not isinstance(event, Delta):
            draft = event
    e = case.expect
    text = (draft.text if draft else "").lower()
    cited_docs = {c.source.doc_id for c in draft.citations} if draft else set()
    checks = {
        "intent": route.intent == e.get("intent", route.intent),
        "route": route.human_only == bool(e.get("human", False))
        and (not e.get("tier") or route.tier.value == e["tier"]),
        "citations_valid": draft is None or route.human_only or (not draft.check.unknown
                                                                 and not draft.check.uncited_claims),
        "cited": route.human_only or ((not e.get("cite_any") or bool(cited_docs & set(e["cite_any"])))
                                      and set(e.get("cite", [])) <= cited_docs),
        "facts": route.human_only or all(f.lower() in text for f in e.get("facts", [])),
        "forbidden_absent": not any(f.lower() in text for f in e.get("forbid", [])),
    }
    catalog = session.actions.catalog if session.actions else None
    notes: list[str] = []
    if e.get("reference_facts") and draft is not None and not route.human_only:
        patterns = list(catalog.patterns().values()) if catalog is not None else []
        wrong = contradictions(draft.text, e["reference_facts"], patterns)
        checks["consistent"] = not wrong
        notes += [f"contradicts {w}" for w in wrong]
    expected_action = e.get("action")
    if catalog is not None:
        proposed = {p.action for p in rule_proposals(catalog, ticket, customer, route)}
        writes = {a for a in proposed if not catalog.actions[a].read_only}
        checks["action"] = (expected_action in proposed) if expected_action else not writes or route.human_only
    notes = [k for k, ok in checks.items() if not ok] + notes
    model = draft.model if draft and draft.model else (route.model or route.tier.value)
    if route.tier is Tier.HUMAN:
        model = "human"
    return CaseResult(case.id, model, checks, draft.cost_usd if draft else 0.0,
                      int((time.perf_counter() - started) * 1000), notes)


async def run_suite(session: Any, cases: list[Case]) -> list[CaseResult]:
    _UNREAD.clear()
    await session.prepare()
    return [await run_case(session, c) for c in cases]


def summarise(results: list[CaseResult]) -> list[ModelRow]:
    rows = []
    for model in sorted({r.model for r in results}):
        mine = [r for r in results if r.model == model]
        rates = {}
        for metric in METRICS:
            judged = [r.checks[metric] for r in mine if metric in r.checks]
            if judged:
                rates[metric] = round(sum(judged) / len(judged), 4)
        rows.append(ModelRow(model, len(mine), rates, sum(r.cost_usd for r in mine) / len(mine),
                             sum(r.latency_ms for r in mine) / len(mine)))
    return rows


def table(rows: list[ModelRow]) -> str:
    heads = ["tier/model", "cases", *METRICS, "cost/case", "ms/case"]
    lines = [" | ".join(heads), " | ".join("---" for _ in heads)]
    for r in rows:
        rates = [f"{r.rates[m]:.0%}" if m in r.rates else "—" for m in METRICS]
        lines.append(" | ".join([r.model, str(r.cases), *rates, f"${r.cost_per_case:.4f}", f"{r.latency_ms:.0f}"]))
    return "\n".join(lines)


def to_json(rows: list[ModelRow]) -> dict[str, Any]:
    return {"at": datetime.now(UTC).isoformat(timespec="seconds"), "models": {r.model: asdict(r) for r in rows}}


def regressions(rows: list[ModelRow], baseline: dict[str, Any], tolerance: float = 0.0) -> list[str]:
    """Every metric of a tier/model that fell below the saved baseline."""
    out = []
    for r in rows:
        base = baseline.get("models", {}).get(r.model)
        if not base:
            continue
        for metric, rate in r.rates.items():
            before = base["rates"].get(metric)
            if before is not None and rate < before - tolerance:
                out.append(f"{r.model}: {metric} fell from {before:.0%} to {rate:.0%}")
    return out


def baseline_path(data_dir: Path, suite: Path) -> Path:
    return data_dir / "eval" / f"{suite.stem}.baseline.json"


def last_results(data_dir: Path) -> dict[str, Any]:
    """The last run per tier/model, for Settings."""
    path = data_dir / "eval" / "last.json"
    try:
        return dict(json.loads(path.read_text("utf-8")).get("models", {}))
    except (OSError, ValueError):
        return {}


def describe_last(entry: dict[str, Any]) -> str:
    rates = entry.get("rates", {})
    shown = ", ".join(f"{m.replace('_', ' ')} {rates[m]:.0%}" for m in METRICS if m in rates)
    return f"{entry.get('model')}: {entry.get('cases')} cases, {shown} ({str(entry.get('at', ''))[:16]})"


async def evaluate(session: Any, cases: list[Case], suite: Path, data_dir: Path) -> tuple[list[ModelRow], list[str]]:
    """Run a loaded suite, remember the result per model, and compare with the saved baseline."""
    rows = summarise(await run_suite(session, cases))
    current = to_json(rows)
    out_dir = data_dir / "eval"
    out_dir.mkdir(parents=True, exist_ok=True)
    last_file = out_dir / "last.json"
    try:
        last = json.loads(last_file.read_text("utf-8"))
    except (OSError, ValueError):
        last = {"models": {}}
    last.setdefault("models", {}).update(
        {k: {**v, "at": current["at"], "suite": suite.name} for k, v in current["models"].items()})
    last_file.write_text(json.dumps(last, indent=2), "utf-8")
    base = baseline_path(data_dir, suite)
    found = regressions(rows, json.loads(base.read_text("utf-8"))) if base.exists() else []
    return rows, found


def import_cases(history: Any, intents: set[str], id_patterns: list[Any] | None = None) -> list[dict[str, Any]]:
    """Regression cases from solved tickets that have the agent's reply: the customer's text, the intent
    label (when the taxonomy has it), the reply as reference and the facts in it a draft must not
    contradict. ``history``: ``assist.learning.history.HistoryTicket`` items."""
    out = []
    for t in history:
        if not t.reply.strip() or not (t.body.strip() or t.subject.strip()):
            continue
        expect: dict[str, Any] = {"reference": t.reply}
        if t.label in intents:
            expect["intent"] = t.label
        facts = extract(t.reply, id_patterns or [])
        if facts:
            expect["reference_facts"] = facts
        out.append({"id": f"hist-{t.id}", "subject": t.subject,
                    "messages": [{"role": "customer", "body": t.body}], "expect": expect})
    return out
