"""The weekly figures: ISO weeks, reading journals (merged by row uid, so the same row never counts twice) or the
team store, and the numbers a lead reads: containment, open-to-send and created-to-solved times, escalations by
reason and intent, volume, cost and escalation rate per tier and model, per agent, re-tags and review notes."""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assist.journal import open_read_only
from assist.trends import Trends, journal_aggregates, team_aggregates

if TYPE_CHECKING:
    from assist.paths import Paths
    from assist.settings import Settings
    from assist.taxonomy import Taxonomy


LIGHT_EDIT = 0.8  # an edited draft that kept at least this much counts as lightly edited


def parse_week(text: str) -> tuple[int, int]:
    try:
        year, week = text.upper().split("-W")
        y, w = int(year), int(week)
        date.fromisocalendar(y, w, 1)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"not an ISO week like 2026-W47: {text!r}") from exc
    return y, w


def previous_week(text: str) -> str:
    y, w = parse_week(text)
    monday = date.fromisocalendar(y, w, 1) - timedelta(days=7)
    py, pw, _ = monday.isocalendar()
    return f"{py}-W{pw:02d}"


def last_week(today: date | None = None) -> str:
    """The ISO week before this one: what a lead reports on, Monday morning."""
    y, w, _ = ((today or date.today()) - timedelta(days=7)).isocalendar()
    return f"{y}-W{w:02d}"


def week_dates(text: str) -> tuple[date, date]:
    y, w = parse_week(text)
    return date.fromisocalendar(y, w, 1), date.fromisocalendar(y, w, 7)


@dataclass
class Rows:
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    escalations: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)


_LATEST_REVIEW = ("LEFT JOIN escalation_reviews v ON v.rowid = (SELECT rowid FROM escalation_reviews "
                  "WHERE escalation_uid = e.uid ORDER BY created_at DESC, rowid DESC LIMIT 1)")


@dataclass
class _Week:
    """What the report's figures need of one week, as plain tuples keyed by uid: journals that
    overlap (a lead merging copies) count each row once. Read from covering indexes (journal
    migration 8), never whole rows: 5M journal rows, ~57k replies a week."""

    # uid, workspace, ticket, outcome, ratio, seconds from opening to sending, agent
    outcomes: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    prev_ttr: dict[str, float] = field(default_factory=dict)
    escalations: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # uid, workspace, ticket, tier, model, cost
    solved: dict[str, float] = field(default_factory=dict)  # uid -> seconds from the ticket's creation to solved


def _read_week(path: Path, week: str, prev: str, into: _Week) -> None:
    conn = open_read_only(path)
    conn.row_factory = None
    try:
        into.outcomes.update((r[0], r) for r in conn.execute(
            "SELECT uid, workspace, ticket_id, outcome, edit_ratio, seconds_to_send, agent FROM draft_outcomes "
            "WHERE week = ?", (week,)))
        into.prev_ttr.update(conn.execute("SELECT uid, seconds_to_send FROM draft_outcomes WHERE week = ?", (prev,)))
        into.runs.update((r[0], r) for r in conn.execute(
            "SELECT uid, workspace, ticket_id, tier, model, cost_usd FROM draft_runs WHERE week = ?", (week,)))
        into.solved.update(_created_to_solved(conn, week))
        conn.row_factory = sqlite3.Row
        for r in conn.execute(
                "SELECT e.*, v.reason AS reviewed_reason, v.root_cause AS root_cause, "
                f"v.flow_needs_fixing AS flow_needs_fixing FROM escalations e {_LATEST_REVIEW} WHERE e.week = ?",
                (week,)):
            into.escalations[r["uid"]] = dict(r)
    finally:
        conn.close()


def _created_to_solved(conn: sqlite3.Connection, week: str) -> list[tuple[str, float]]:
    """(uid, seconds) from the helpdesk's creation of the ticket to the reply that solved it (journal 11+)."""
    from datetime import datetime

    try:
        rows = conn.execute("SELECT uid, sent_at, ticket_created_at FROM draft_outcomes WHERE week = ? AND solved = 1 "
                            "AND ticket_created_at <> ''", (week,)).fetchall()
    except sqlite3.OperationalError:  # an older journal, read-only: no such columns yet
        return []
    out = []
    for uid, sent, created in rows:
        try:
            seconds = (datetime.fromisoformat(sent) - datetime.fromisoformat(created)).total_seconds()
        except (TypeError, ValueError):
            continue
        if seconds >= 0:
            out.append((str(uid), seconds))
    return out


def _read(path: Path, weeks: tuple[str, ...], into: Rows) -> None:
    """Every column of the weeks' rows (the CSV export lists them)."""
    conn = open_read_only(path)
    try:
        marks = ",".join("?" * len(weeks))
        for r in conn.execute(f"SELECT * FROM draft_outcomes WHERE week IN ({marks})", weeks):
            into.outcomes[r["uid"]] = dict(r)
        for r in conn.execute(
            "SELECT e.*, v.reason AS reviewed_reason, v.root_cause AS root_cause, "
            f"v.flow_needs_fixing AS flow_needs_fixing FROM escalations e {_LATEST_REVIEW} "
            f"WHERE e.week IN ({marks})", weeks,
        ):
            into.escalations[r["uid"]] = dict(r)
        for r in conn.execute(
            f"SELECT uid, workspace, ticket_id, tier, model, intent, cost_usd, latency_ms, grounded, error, "
            f"created_at, week, agent FROM draft_runs WHERE week IN ({marks})", weeks,
        ):
            into.runs[r["uid"]] = dict(r)
    finally:
        conn.close()


def _rows(journals: list[Path], week: str) -> Rows:
    rows = Rows()
    for path in journals:
        _read(path, (week,), rows)
    return rows


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass(frozen=True)
class AgentStats:
    """One agent's week, for the lead: replies, how many went out as drafted, open-to-send, escalations."""

    agent: str
    replies: int
    light: int
    open_to_send_median: float | None
    escalations: int

    @property
    def light_share(self) -> float:
        return self.light / self.replies if self.replies else 0.0


def agent_stats(outcomes: list[tuple[str, str, float, float]], escalations: list[str]) -> list[AgentStats]:
    """Per agent from (agent, outcome, edit ratio, seconds to send) and each escalation's agent."""
    by: dict[str, list[tuple[str, float, float]]] = {}
    for agent, outcome, ratio, secs in outcomes:
        by.setdefault(agent or "unknown", []).append((outcome, float(ratio or 0), float(secs or 0)))
    escs = Counter(a or "unknown" for a in escalations)
    out = []
    for agent in sorted(set(by) | set(escs)):
        rows = by.get(agent, [])
        light = sum(1 for o, ratio, _ in rows if o == "unchanged" or (o == "edited" and ratio >= LIGHT_EDIT))
        waits = [w for _, _, w in rows]
        out.append(AgentStats(agent, len(rows), light, statistics.median(waits) if waits else None, escs[agent]))
    return sorted(out, key=lambda a: (-a.replies, a.agent))


@dataclass
class TierStats:
    key: str
    drafts: int
    tickets: int
    cost_usd: float
    escalations: int

    @property
    def escalation_rate(self) -> float:
        return self.escalations / self.tickets if self.tickets else 0.0


@dataclass
class WeeklyReport:
    week: str
    previous: str
    journals: list[str]
    tickets_handled: int
    replies_sent: int
    outcomes: Counter[str]
    containment: float
    ttr_median: float | None
    ttr_p90: float | None
    prev_ttr_median: float | None
    prev_ttr_p90: float | None
    escalations: int
    by_reason: Counter[str]
    by_intent: Counter[str]
    tiers: list[TierStats]
    retags: Counter[tuple[str, str]]
    review_notes: list[tuple[str, str, str]]  # ticket, reason, root cause
    flows_to_fix: int
    rows: Rows
    trends: Trends | None = None
    # team store: rows whose desk clock was outside the accepted window, counted in the week they arrived
    clock_adjusted: int = 0
    agents: list[AgentStats] = field(default_factory=list)
    intent_titles: dict[str, str] = field(default_factory=dict)  # the workspace's titles for its intent names
    intent_parents: dict[str, str] = field(default_factory=dict)  # "Billing" for a team's "Billing::Refund"

    def by_group(self) -> list[tuple[str, int, list[tuple[str, int]]]]:
        """Escalations by the parent of the team's hierarchical labels: (group, total, [(intent, n)])."""
        groups: dict[str, list[tuple[str, int]]] = {}
        for name, n in self.by_intent.most_common():
            parent = self.intent_parents.get(name)
            if parent:
                groups.setdefault(parent, []).append((self.intent(name), n))
        return sorted(((g, sum(n for _, n in items), items) for g, items in groups.items()), key=lambda x: -x[1])

    def intent(self, name: str) -> str:
        """An intent as the team calls it ("Where is my order"), its name when the taxonomy has no title."""
        return self.intent_titles.get(name) or name.replace("_", " ")
    team_store: str = ""  # the server a team-store report was read from (else it was read from journals)
    # the helpdesk's own time from a ticket's creation to the reply that solved it (tickets solved from Assist)
    created_to_solved_median: float | None = None
    solved_from_assist: int = 0
    # journals: the rows are read when the CSV asks for them
    row_loader: Callable[[], Rows] | None = field(default=None, compare=False, repr=False)

    def all_rows(self) -> Rows:
        """The week's rows (CSV export): read now for journals, fetched already for the team store."""
        if self.row_loader is not None and not (self.rows.outcomes or self.rows.escalations or self.rows.runs):
            self.rows = self.row_loader()
        return self.rows



def build_report(journals: list[Path], week: str) -> WeeklyReport:
    from concurrent.futures import ThreadPoolExecutor

    parse_week(week)
    data = _Week()
    # The trends (ten weeks, mostly SQLite's own work, which runs without the GIL) are read on a second
    # connection while this thread reads the week: two cores, about half the wall time at 5M rows.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-trends") as pool:
        trends = pool.submit(journal_aggregates, journals, week)
        for path in journals:
            _read_week(path, week, previous_week(week), data)
        report = summarise(data, week, [str(p) for p in journals])
        report.trends = trends.result()
    report.row_loader = lambda: _rows(journals, week)  # the CSV export's rows, read only when asked for
    return report


async def team_report(store: Any, week: str, *, with_rows: bool = False) -> WeeklyReport:
    """The same report from the team store (``assist.team.store.TeamStore``): every desk's rows, summed up
    by the server. ``with_rows``: also fetch the week's rows (the CSV export lists them)."""
    parse_week(week)
    prev = previous_week(week)
    figures, trends = await asyncio.gather(store.report_figures(week, prev), team_aggregates(store, week))
    rows = Rows()
    if with_rows:
        data = await store.report_rows((week,))
        rows = Rows({r["uid"]: r for r in data["outcomes"]}, {r["uid"]: r for r in data["escalations"]},
                    {r["uid"]: r for r in data["runs"]})
    outcomes: Counter[str] = Counter()
    replies = light = tickets = 0
    for outcome, n, lt, distinct in figures["outcomes"]:
        if outcome is None:  # the ROLLUP total
            replies, light, tickets = int(n), int(lt or 0), int(distinct)
        else:
            outcomes[outcome] = int(n)
    ttr = {wk: (float(med), float(p90)) for wk, med, p90 in figures["ttr"]}
    by_reason: Counter[str] = Counter()
    by_intent: Counter[str] = Counter()
    retags: Counter[tuple[str, str]] = Counter()
    esc_by_tier: Counter[str] = Counter()
    flows = escalations = 0
    for reason, reviewed, intent, key, flow, n in figures["escalations"]:
        n = int(n)
        escalations += n
        by_reason[reviewed or reason] += n
        by_intent[intent or "unknown"] += n
        esc_by_tier[key or "none"] += n
        flows += n if flow else 0
        if reviewed and reviewed != reason:
            retags[(reason, reviewed)] += n
    tiers = sorted((TierStats(key, int(d), int(t), round(float(c or 0), 6), esc_by_tier.get(key, 0))
                    for key, d, t, c in figures["tiers"]), key=lambda t: -t.drafts)
    return WeeklyReport(
        week=week, previous=prev, journals=[f"team store {store.url.split('@')[-1]}"], tickets_handled=tickets,
        replies_sent=replies, outcomes=outcomes, containment=light / replies if replies else 0.0,
        ttr_median=ttr.get(week, (None, None))[0], ttr_p90=ttr.get(week, (None, None))[1],
        prev_ttr_median=ttr.get(prev, (None, None))[0], prev_ttr_p90=ttr.get(prev, (None, None))[1],
        escalations=escalations, by_reason=by_reason, by_intent=by_intent, tiers=tiers, retags=retags,
        review_notes=[(str(t), str(r), str(c)) for t, r, c in figures["notes"]], flows_to_fix=flows, rows=rows,
        trends=trends, clock_adjusted=int(figures["adjusted"][0][0] or 0) if figures.get("adjusted") else 0,
        agents=[AgentStats(str(a or "unknown"), int(n), int(lt or 0), float(med) if med is not None else None,
                           int(e or 0)) for a, n, lt, med, e in figures.get("agents", [])],
        team_store=store.url.split("@")[-1],
        created_to_solved_median=(float(figures["solved"][0][0]) if figures.get("solved") and figures["solved"][0][0]
                                  is not None else None),
        solved_from_assist=int(figures["solved"][0][1] or 0) if figures.get("solved") else 0,
    )


def summarise(data: _Week, week: str, sources: list[str]) -> WeeklyReport:
    prev = previous_week(week)
    outs = list(data.outcomes.values())  # uid, workspace, ticket, outcome, edit ratio, seconds to send
    ttr = [float(o[5]) for o in outs]
    prev_ttr = [float(v) for v in data.prev_ttr.values()]
    outcomes = Counter(o[3] for o in outs)
    light = sum(1 for o in outs if o[3] == "unchanged" or (o[3] == "edited" and o[4] >= LIGHT_EDIT))
    escs = list(data.escalations.values())
    current = [e["reviewed_reason"] or e["reason"] for e in escs]
    tiers: dict[str, dict[str, Any]] = {}
    for _uid, workspace, ticket, tier, model, cost in data.runs.values():
        key = f"{tier} · {model}" if model and model != tier else tier
        t = tiers.setdefault(key, {"drafts": 0, "tickets": set(), "cost": 0.0, "esc": 0})
        t["drafts"] += 1
        t["tickets"].add((workspace, ticket))
        t["cost"] += float(cost or 0)
    for e in escs:
        key = f"{e['tier']} · {e['model']}" if e["model"] and e["model"] != e["tier"] else (e["tier"] or "none")
        if key in tiers:
            tiers[key]["esc"] += 1
    retags = Counter((e["reason"], e["reviewed_reason"]) for e in escs
                     if e["reviewed_reason"] and e["reviewed_reason"] != e["reason"])
    return WeeklyReport(
        week=week, previous=prev, journals=sources,
        tickets_handled=len({(o[1], o[2]) for o in outs}), replies_sent=len(outs),
        outcomes=outcomes, containment=light / len(outs) if outs else 0.0,
        ttr_median=statistics.median(ttr) if ttr else None, ttr_p90=_percentile(ttr, 0.9),
        prev_ttr_median=statistics.median(prev_ttr) if prev_ttr else None, prev_ttr_p90=_percentile(prev_ttr, 0.9),
        escalations=len(escs), by_reason=Counter(current), by_intent=Counter(e["intent"] or "unknown" for e in escs),
        tiers=sorted((TierStats(k, v["drafts"], len(v["tickets"]), round(v["cost"], 6), v["esc"])
                      for k, v in tiers.items()), key=lambda t: -t.drafts),
        retags=retags,
        review_notes=[(e["ticket_id"], e["reviewed_reason"] or e["reason"], e["root_cause"])
                      for e in escs if e["root_cause"]],
        flows_to_fix=sum(1 for e in escs if e["flow_needs_fixing"]),
        rows=Rows(),
        agents=agent_stats([(o[6], o[3], o[4], o[5]) for o in outs], [e.get("agent", "") for e in escs]),
        created_to_solved_median=statistics.median(data.solved.values()) if data.solved else None,
        solved_from_assist=len(data.solved),
    )


def intent_names(taxonomy: Taxonomy) -> tuple[dict[str, str], dict[str, str]]:
    """(titles, parents) of a workspace's intents, for its reports."""
    titles = {i.name: i.label for i in taxonomy.intents}
    parents = {i.name: i.parent for i in taxonomy.intents if i.parent}
    return titles, parents


def report_journals(paths: Paths, settings: Settings, journal: Path) -> list[Path]:
    """The journals a desk's weekly report reads: its own, and in the demo workspace the demo's ten weeks
    of history (``assist.demo_history``), so a fresh install's report and trends have data."""
    if settings.current.helpdesk.kind != "demo":
        return [journal]
    from assist import demo_history
    from assist.paths import resources_dir

    seeded = demo_history.ensure(paths.data_dir, resources_dir() / "demo" / "history.toml")
    own = [journal] if journal.exists() or seeded is None else []  # a fresh install has no journal yet
    return own + ([seeded] if seeded is not None else [])


def is_demo_history(journal: Path) -> bool:
    """Is this the demo's seeded history (``assist.demo_history``), not a desk's own journal?"""
    from assist import demo_history

    return journal.name == demo_history.FILE
