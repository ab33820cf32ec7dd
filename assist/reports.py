"""Weekly team report from one or more journals: containment, open-to-send time, escalations by
reason and intent, volume/cost/escalation rate per tier and model, re-tags and review notes.

Journals from several agents merge by row uid, so the same row never counts twice (an export and
its source, or one file passed twice). Exports: HTML (Markdown rendered with ``markdown``, charts as
inline SVG, self-contained), CSV (raw rows) and PDF (fpdf2, same charts).
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import re
import sqlite3
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import markdown as md

from assist.feedback import REASONS
from assist.journal import open_read_only
from assist.team.schema import LATE_DAYS
from assist.trends import Trends, journal_aggregates, team_aggregates, trend_charts

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


# -- rendering ----------------------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _delta(now: float | None, before: float | None) -> str:
    if now is None or before is None or before == 0:
        return "—"
    change = (now - before) / before
    return f"{change:+.0%}"


def _wrap(label: str, width: int) -> list[str]:
    """One line, or two split at a space (the second ends in an ellipsis only past twice the width)."""
    if len(label) <= width:
        return [label]
    cut = label.rfind(" ", 0, width + 1)
    cut = cut if cut > 0 else width
    rest = label[cut:].strip()
    return [label[:cut].rstrip(), rest if len(rest) <= width + 6 else rest[:width + 5] + "…"]


def bar_chart(title: str, data: list[tuple[str, float]], unit: str = "") -> str:
    """A horizontal bar chart as standalone SVG (no scripts, no external references)."""
    width, bar_h, gap, label_w = 640, 22, 8, 230
    height = 34 + max(len(data), 1) * (bar_h + gap)
    top = max((v for _, v in data), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="0" y="18" font-family="sans-serif" font-size="14" font-weight="bold">'
             f"{html.escape(title)}</text>"]
    if not data:
        parts.append('<text x="0" y="46" font-family="sans-serif" font-size="12" fill="#666">no data</text>')
    for i, (label, value) in enumerate(data):
        y = 30 + i * (bar_h + gap)
        w = (width - label_w - 70) * value / top
        lines = _wrap(label, 34)
        if len(lines) == 1:
            parts.append(f'<text x="0" y="{y + 15}" font-family="sans-serif" font-size="12">'
                         f"{html.escape(lines[0])}</text>")
        else:  # a long label on two lines, whole (it was cut: "Missing data the assistant couldn'")
            parts.append(f'<text x="0" y="{y + 9}" font-family="sans-serif" font-size="10">'
                         f'{html.escape(lines[0])}<tspan x="0" dy="11">{html.escape(lines[1])}</tspan></text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#3b6fb6"/>')
        shown = f"{value:.2f}" if isinstance(value, float) and not value.is_integer() else f"{value:.0f}"
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-family="sans-serif" '
                     f'font-size="12">{shown}{html.escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def charts(r: WeeklyReport) -> dict[str, str]:
    return {
        "reasons": bar_chart("Escalations by reason", [(REASONS.get(k, k), v) for k, v in r.by_reason.most_common()]),
        "intents": bar_chart("Escalations by intent", [(r.intent(k), v) for k, v in r.by_intent.most_common()]),
        "tiers": bar_chart("Drafts by tier and model", [(t.key, t.drafts) for t in r.tiers]),
        # a week without replies has no time to show: its bar is left out, never drawn as 0 minutes
        "ttr": bar_chart("Open-to-send time, minutes", [
            (label, value / 60) for label, value in (
                (f"median {r.week}", r.ttr_median), (f"median {r.previous}", r.prev_ttr_median),
                (f"p90 {r.week}", r.ttr_p90), (f"p90 {r.previous}", r.prev_ttr_p90))
            if value is not None]),
    }


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")


def md_text(value: object) -> str:
    """User text (review notes, intents, model names) as literal text in Markdown: HTML escaped, on one
    line, every Markdown character backslash-escaped, so "#1037" is no heading and ``[x](javascript:…)``
    no link."""
    text = " ".join(str(value).split())
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def source_line(r: WeeklyReport) -> str:
    if r.team_store:
        return f"the whole team, from the team store at {r.team_store}"
    n = len(r.journals)
    return "this desk's journal" if n == 1 else f"{n} journals merged"


OPEN_TO_SEND = "Open-to-send time"  # from opening the ticket in Assist to sending the reply (not resolution)
CREATED_TO_SOLVED = "Helpdesk created-to-solved time"  # the ticket's creation in the helpdesk to the solving reply


def clock_note(r: WeeklyReport) -> str:
    return (f"Note: {r.clock_adjusted:,} row{'s' if r.clock_adjusted != 1 else ''} this week came from a desk whose "
            f"clock was outside the accepted window (over {LATE_DAYS} days late or a day ahead): the team store "
            "counted them in the week they arrived.")


def to_markdown(r: WeeklyReport, chart_svgs: dict[str, str] | None = None) -> str:
    start, end = week_dates(r.week)
    svg = chart_svgs or {}
    lines = [
        f"# Assist weekly report — {r.week}",
        f"{start:%a %d %b %Y} to {end:%a %d %b %Y} · {source_line(r)}",
        "",
        "## Summary",
        "",
        "| Figure | This week | Previous week | Change |",
        "|---|---|---|---|",
        f"| Tickets handled | {r.tickets_handled} | | |",
        f"| Replies sent | {r.replies_sent} | | |",
        f"| Sent with the draft unchanged or lightly edited | {r.containment:.0%} | | |",
        f"| {OPEN_TO_SEND}, median | {_duration(r.ttr_median)} | {_duration(r.prev_ttr_median)} | "
        f"{_delta(r.ttr_median, r.prev_ttr_median)} |",
        f"| {OPEN_TO_SEND}, p90 | {_duration(r.ttr_p90)} | {_duration(r.prev_ttr_p90)} | "
        f"{_delta(r.ttr_p90, r.prev_ttr_p90)} |",
        f"| {CREATED_TO_SOLVED}, median ({r.solved_from_assist} solved from Assist) | "
        f"{_duration(r.created_to_solved_median)} | | |",
        f"| Escalations | {r.escalations} | | |",
        "",
        "Draft outcomes: " + (", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(r.outcomes.items()))
                              or "none") + ".",
        "",
        *([clock_note(r), ""] if r.clock_adjusted else []),
        "## Escalations",
        "",
        svg.get("reasons", ""),
        "",
        svg.get("intents", ""),
        "",
        "| Reason | Escalations |",
        "|---|---|",
        *[f"| {md_text(REASONS.get(k, k))} | {v} |" for k, v in r.by_reason.most_common()],
        "",
        *(["Escalations by intent group (the team's hierarchical labels):", "", "| Group | Escalations | Intents |",
           "|---|---|---|",
           *[f"| {md_text(g)} | {total} | {md_text(', '.join(f'{i} {n}' for i, n in items))} |"
             for g, total, items in r.by_group()], ""] if r.by_group() else []),
        "## Tiers and models",
        "",
        svg.get("tiers", ""),
        "",
        "| Tier · model | Drafts | Tickets | Cost (USD) | Escalations per ticket drafted |",
        "|---|---|---|---|---|",
        *[f"| {md_text(t.key)} | {t.drafts} | {t.tickets} | {t.cost_usd:.4f} | {t.escalation_rate:.0%} |"
          for t in r.tiers],
        "",
        f"## {OPEN_TO_SEND}",
        "",
        "From opening the ticket in Assist to sending the reply. The helpdesk's own created-to-solved time, for the "
        "tickets solved from Assist, is in the summary.",
        "",
        svg.get("ttr", ""),
        "",
        "## By agent",
        "",
        *(["| Agent | Replies | Sent as drafted or lightly edited | Open-to-send, median | Escalations |",
           "|---|---|---|---|---|",
           *[f"| {md_text(a.agent)} | {a.replies} | {a.light_share:.0%} | {_duration(a.open_to_send_median)} | "
             f"{a.escalations} |" for a in r.agents]] if r.agents else ["No replies or escalations this week."]),
        "",
        "## Senior review",
        "",
        f"Flows marked as needing a fix: {r.flows_to_fix}.",
        "",
    ]
    if r.retags:  # in the senior review section, as a table (it came out as raw pipes under the trends)
        lines += ["Re-tagged by senior agents:", "", "| Tagged as | Re-tagged as | Times |", "|---|---|---|"]
        lines += [f"| {md_text(REASONS.get(a, a))} | {md_text(REASONS.get(b, b))} | {n} |"
                  for (a, b), n in r.retags.most_common(10)]
        lines.append("")
    if r.review_notes:
        lines += ["Review notes:", ""]
        lines += [f"- \\#{md_text(t)} ({md_text(REASONS.get(reason, reason))}): {md_text(note)}"
                  for t, reason, note in r.review_notes[:30]]
        lines.append("")
    lines += _trend_markdown(r, svg)
    lines += ["", "## How the figures are counted", "", *[f"- {d}" for d in DEFINITIONS]]
    return "\n".join(lines) + "\n"


NO_SUGGESTION = "No intent has enough drafts on both tiers to suggest a move (30 each over the period)."


def _share(value: float, of: int) -> str:
    return f"{value:.0%}" if of else "—"  # no replies that week: no rate, not 0%


DEFINITIONS = [
    "**Sent unchanged or lightly edited**: replies sent with at least 80% of the draft's words kept.",
    f"**{OPEN_TO_SEND}**: from opening the ticket in Assist to sending the reply.",
    f"**{CREATED_TO_SOLVED}**: from the ticket's creation in the helpdesk to the reply, sent from Assist, that "
    "set it solved or closed (tickets solved elsewhere are not counted).",
    "**Escalations per ticket replied to** (summary and trends): escalations that week divided by the tickets "
    "that got a reply that week.",
    "**Escalations per ticket drafted** (tiers table): the escalations of tickets drafted on that tier and model "
    "divided by the tickets drafted on it.",
    "**Model cost per ticket**: what the models were billed that week divided by the tickets replied to.",
]


def _trend_markdown(r: WeeklyReport, svg: dict[str, str]) -> list[str]:
    t = r.trends
    if t is None:
        return []
    first, last = t.weeks[0].week, t.weeks[-1].week
    lines = ["", f"## Trends, {first} to {last}", "", svg.get("trend_light", ""), "", svg.get("trend_escalation", ""),
             "", svg.get("trend_cost", ""), "", svg.get("trend_reasons", ""), "",
             "| Week | Replies | Unchanged or light | Escalations per ticket replied to | Model cost per ticket "
             "(USD) | Root causes noted |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {w.week} | {w.replies} | {_share(w.light_share, w.replies)} | "
              f"{_share(w.escalation_rate, w.tickets)} | {w.cost_per_ticket:.4f} | {w.root_causes} |" for w in t.weeks]
    lines += ["", "## Intent × tier and model", "",
              "| Intent | Tier · model | Drafts | Unchanged or light | Escalations per ticket replied to | "
              "Cost per draft (USD) |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {md_text(r.intent(c.intent))} | {md_text(c.key)} | {c.drafts} | {c.light_share:.0%} | "
              f"{c.escalation_rate:.0%} | {c.cost_per_draft:.4f} |" for c in t.cells if c.drafts]
    lines += ["", "## Routing suggestions", ""]
    lines += [f"- {md_text(s)}" for s in t.suggestions] or [NO_SUGGESTION]
    return lines


REPORT_CSS = """
body { font-family: -apple-system, 'Segoe UI', sans-serif; max-width: 900px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 4px 10px; }
th { background: #f3f3f3; } svg { display: block; margin: 1em 0; }
"""


def all_charts(r: WeeklyReport) -> dict[str, str]:
    out = charts(r)
    if r.trends is not None:
        out.update({f"trend_{k}": v for k, v in trend_charts(r.trends).items()})
    return out


def to_html(r: WeeklyReport) -> str:
    body = md.markdown(to_markdown(r, all_charts(r)), extensions=["tables"], output_format="html")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Assist weekly report {r.week}</title>"
            f"<style>{REPORT_CSS}</style></head><body>{body}</body></html>")


CSV_COLUMNS = ["kind", "uid", "week", "workspace", "ticket_id", "intent", "tier", "model", "agent", "outcome",
               "edit_ratio", "seconds_to_send", "reason", "reviewed_reason", "cost_usd", "created_at",
               "drafts", "light_share", "escalation_rate", "cost_per_ticket", "text"]


def to_csv(r: WeeklyReport) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    rows = r.all_rows()
    for kind, table in (("outcome", rows.outcomes), ("escalation", rows.escalations), ("draft_run", rows.runs)):
        for row in sorted(table.values(), key=lambda x: (x.get("week", ""), x.get("uid", ""))):
            if row["week"] != r.week:
                continue
            out = dict(row, kind=kind)
            out.setdefault("created_at", row.get("sent_at", ""))
            writer.writerow(out)
    # the report's summary sections, as rows: the same sections as the HTML and the PDF
    summary = {"replies_sent": r.replies_sent, "tickets_handled": r.tickets_handled, "escalations": r.escalations,
               "flows_to_fix": r.flows_to_fix}
    for name, value in summary.items():
        writer.writerow({"kind": "summary", "week": r.week, "text": name, "drafts": value})
    writer.writerow({"kind": "summary", "week": r.week, "text": "sent_unchanged_or_light",
                     "light_share": f"{r.containment:.4f}"})
    for reason, n in r.by_reason.most_common():
        writer.writerow({"kind": "reason", "week": r.week, "reason": reason, "drafts": n})
    for group, total, _items in r.by_group():
        writer.writerow({"kind": "intent_group", "week": r.week, "intent": group, "drafts": total})
    for (before, after), n in r.retags.most_common():
        writer.writerow({"kind": "retag", "week": r.week, "reason": before, "reviewed_reason": after, "drafts": n})
    for ticket, reason, note in r.review_notes:
        writer.writerow({"kind": "review_note", "week": r.week, "ticket_id": ticket, "reason": reason, "text": note})
    for t in r.tiers:
        writer.writerow({"kind": "tier", "week": r.week, "tier": t.key, "drafts": t.drafts, "cost_usd":
                         f"{t.cost_usd:.6f}", "escalation_rate": f"{t.escalation_rate:.4f}"})
    for line in (r.trends.suggestions if r.trends is not None else []):
        writer.writerow({"kind": "routing_suggestion", "week": r.week, "text": line})
    for a in r.agents:  # the lead's per-agent table
        writer.writerow({"kind": "agent", "week": r.week, "agent": a.agent, "drafts": a.replies,
                         "light_share": f"{a.light_share:.4f}", "escalation_rate":
                         f"{a.escalations / a.replies:.4f}" if a.replies else "",
                         "seconds_to_send": "" if a.open_to_send_median is None else f"{a.open_to_send_median:.0f}",
                         "reason": a.escalations})
    if r.trends is not None:  # one row per week, then one per intent x tier/model over the period
        for w in r.trends.weeks:
            writer.writerow({"kind": "week", "week": w.week, "drafts": w.replies,
                             "light_share": f"{w.light_share:.4f}", "escalation_rate": f"{w.escalation_rate:.4f}",
                             "cost_per_ticket": f"{w.cost_per_ticket:.6f}"})
        for c in r.trends.cells:
            writer.writerow({"kind": "intent_tier", "intent": c.intent, "tier": c.tier, "model": c.model,
                             "drafts": c.drafts, "light_share": f"{c.light_share:.4f}",
                             "escalation_rate": f"{c.escalation_rate:.4f}", "cost_usd": f"{c.cost:.6f}"})
    return buf.getvalue()


def to_pdf(r: WeeklyReport) -> bytes:
    from fpdf import FPDF

    def safe(text: str) -> str:  # the core fonts are latin-1
        text = text.replace("—", "-").replace("·", "-").replace("→", "->")
        return text.encode("latin-1", "replace").decode("latin-1")

    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, safe(f"Assist weekly report - {r.week}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    start, end = week_dates(r.week)
    pdf.cell(0, 6, safe(f"{start:%d %b %Y} to {end:%d %b %Y} - {source_line(r)}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    summary = [
        ("Tickets handled", str(r.tickets_handled), ""),
        ("Replies sent", str(r.replies_sent), ""),
        ("Draft unchanged or lightly edited", f"{r.containment:.0%}", ""),
        (f"{OPEN_TO_SEND}, median", _duration(r.ttr_median), f"prev {_duration(r.prev_ttr_median)}"),
        (f"{OPEN_TO_SEND}, p90", _duration(r.ttr_p90), f"prev {_duration(r.prev_ttr_p90)}"),
        (f"{CREATED_TO_SOLVED}, median", _duration(r.created_to_solved_median), f"{r.solved_from_assist} solved"),
        ("Escalations", str(r.escalations), ""),
    ]
    with pdf.table(col_widths=(80, 40, 60)) as table:
        for row in [("Figure", "This week", "Previous week"), *summary]:
            cells = table.row()
            for value in row:
                cells.cell(safe(value))
    if r.clock_adjusted:
        pdf.ln(2)
        pdf.multi_cell(0, 5, safe(clock_note(r)), new_x="LMARGIN", new_y="NEXT")
    for svg in all_charts(r).values():
        pdf.ln(2)
        pdf.image(io.BytesIO(svg.encode()), w=170)
    if r.trends is not None:
        pdf.ln(2)
        pdf.set_font("helvetica", "B", 12)
        pdf.cell(0, 8, "Routing suggestions", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=10)
        for line in r.trends.suggestions or [NO_SUGGESTION]:
            pdf.multi_cell(0, 5, safe(line), new_x="LMARGIN", new_y="NEXT")
    if r.tiers:
        pdf.ln(2)
        with pdf.table(col_widths=(60, 25, 25, 30, 35)) as table:
            for tier_row in [("Tier - model", "Drafts", "Tickets", "Cost USD", "Escalations per ticket drafted"),
                        *[(t.key, str(t.drafts), str(t.tickets), f"{t.cost_usd:.4f}", f"{t.escalation_rate:.0%}")
                          for t in r.tiers]]:
                cells = table.row()
                for value in tier_row:
                    cells.cell(safe(value))
    if r.agents:
        pdf.ln(2)
        pdf.set_font("helvetica", "B", 12)
        pdf.cell(0, 8, "By agent", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=10)
        with pdf.table(col_widths=(50, 25, 40, 40, 30)) as table:
            for agent_row in [("Agent", "Replies", "As drafted / light edit", "Open-to-send, median",
                               "Escalations"),
                              *[(a.agent, str(a.replies), f"{a.light_share:.0%}", _duration(a.open_to_send_median),
                                 str(a.escalations)) for a in r.agents]]:
                cells = table.row()
                for value in agent_row:
                    cells.cell(safe(value))
    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.set_font("helvetica", "B", 12)
        pdf.cell(0, 8, safe(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=10)

    def rows(widths: tuple[int, ...], table_rows: list[tuple[str, ...]]) -> None:
        with pdf.table(col_widths=widths) as table:
            for table_row in table_rows:
                cells = table.row()
                for value in table_row:
                    cells.cell(safe(value))

    if r.by_reason:
        heading("Escalations by reason")
        rows((120, 40), [("Reason", "Escalations"),
                         *[(REASONS.get(k, k), str(v)) for k, v in r.by_reason.most_common()]])
    if r.by_group():
        heading("Escalations by intent group")
        rows((50, 30, 100), [("Group", "Escalations", "Intents"),
                             *[(g, str(total), ", ".join(f"{i} {n}" for i, n in items))
                               for g, total, items in r.by_group()]])
    heading("Senior review")
    pdf.multi_cell(0, 5, safe(f"Flows marked as needing a fix: {r.flows_to_fix}."), new_x="LMARGIN", new_y="NEXT")
    if r.retags:
        rows((70, 70, 30), [("Tagged as", "Re-tagged as", "Times"),
                            *[(REASONS.get(a, a), REASONS.get(b, b), str(n))
                              for (a, b), n in r.retags.most_common(10)]])
    t = r.trends
    if t is not None:
        heading(f"Trends, {t.weeks[0].week} to {t.weeks[-1].week}")
        rows((25, 20, 35, 40, 35, 25), [("Week", "Replies", "Unchanged or light", "Escalations per ticket replied to",
                                         "Model cost per ticket (USD)", "Root causes"),
                                        *[(w.week, str(w.replies), _share(w.light_share, w.replies),
                                           _share(w.escalation_rate, w.tickets), f"{w.cost_per_ticket:.4f}",
                                           str(w.root_causes)) for w in t.weeks]])
        cells_rows = [(r.intent(c.intent), c.key, str(c.drafts), f"{c.light_share:.0%}", f"{c.escalation_rate:.0%}",
                       f"{c.cost_per_draft:.4f}") for c in t.cells if c.drafts]
        if cells_rows:
            heading("Intent x tier and model")
            rows((40, 45, 18, 27, 30, 25), [("Intent", "Tier - model", "Drafts", "Unchanged or light",
                                             "Escalations per ticket replied to", "Cost per draft"), *cells_rows])
    if r.review_notes:
        pdf.ln(2)
        pdf.set_font("helvetica", "B", 12)
        pdf.cell(0, 8, "Review notes", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=10)
        for ticket, reason, note in r.review_notes[:30]:
            pdf.multi_cell(0, 5, safe(f"#{ticket} ({REASONS.get(reason, reason)}): {note}"),
                           new_x="LMARGIN", new_y="NEXT")
    heading("How the figures are counted")
    for line in DEFINITIONS:
        pdf.multi_cell(0, 5, safe("- " + line.replace("**", "")), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def export(r: WeeklyReport, fmt: str) -> bytes:
    if fmt == "html":
        return to_html(r).encode("utf-8")
    if fmt == "csv":
        return to_csv(r).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(r)
    raise ValueError(f"unknown format {fmt!r} (html, csv or pdf)")


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
