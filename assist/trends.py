"""Trends for the weekly report: the last weeks side by side, intent x tier/model, routing suggestions.

Computed with SQL aggregates (GROUP BY week / intent / tier / model), never row by row, so a 5M-row
journal or team store answers in well under a second; the same queries run on SQLite journals and on
the PostgreSQL team store (``team_aggregates``). Journals passed twice (an export and its source carry
the same journal id) are read once.
"""

from __future__ import annotations

import html
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from assist.journal import open_read_only

TREND_WEEKS = 10
LIGHT = "(outcome = 'unchanged' OR (outcome = 'edited' AND edit_ratio >= 0.8))"


def weeks_before(week: str, n: int = TREND_WEEKS) -> list[str]:
    """``n`` ISO weeks ending with ``week``, oldest first."""
    year, w = (int(x) for x in week.upper().split("-W"))
    monday = date.fromisocalendar(year, w, 1)
    out = []
    for k in range(n - 1, -1, -1):
        y, ww, _ = (monday - timedelta(weeks=k)).isocalendar()
        out.append(f"{y}-W{ww:02d}")
    return out


@dataclass
class Week:
    week: str
    replies: int = 0
    light: int = 0
    tickets: int = 0
    escalations: int = 0
    cost: float = 0.0
    root_causes: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def light_share(self) -> float:
        return self.light / self.replies if self.replies else 0.0

    @property
    def escalation_rate(self) -> float:
        return self.escalations / self.tickets if self.tickets else 0.0

    @property
    def cost_per_ticket(self) -> float:
        return self.cost / self.tickets if self.tickets else 0.0


@dataclass
class Cell:
    """One intent on one tier/model over the trend weeks."""

    intent: str
    tier: str
    model: str
    drafts: int = 0
    light: int = 0
    tickets: int = 0
    escalations: int = 0
    cost: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.tier} · {self.model}" if self.model and self.model != self.tier else self.tier

    @property
    def light_share(self) -> float:
        return self.light / self.drafts if self.drafts else 0.0

    @property
    def escalation_rate(self) -> float:
        return self.escalations / self.tickets if self.tickets else 0.0

    @property
    def cost_per_draft(self) -> float:
        return self.cost / self.drafts if self.drafts else 0.0


@dataclass
class Trends:
    weeks: list[Week]
    cells: list[Cell]
    suggestions: list[str]


def _queries(placeholder: str) -> dict[str, str]:
    p = placeholder
    return {
        "outcomes": f"SELECT week, count(*), sum(CASE WHEN {LIGHT} THEN 1 ELSE 0 END) FROM draft_outcomes "
                    f"WHERE week IN {p} GROUP BY week",
        # distinct tickets through a DISTINCT subquery: a hash aggregate, not a sort per group
        "tickets": f"SELECT week, count(*) FROM (SELECT DISTINCT week, workspace, ticket_id FROM draft_outcomes "
                   f"WHERE week IN {p}) t GROUP BY week",
        "cost": f"SELECT week, sum(cost_usd) FROM draft_runs WHERE week IN {p} GROUP BY week",
        "reasons": "SELECT e.week, coalesce((SELECT v.reason FROM {reviews} v WHERE v.escalation_uid = e.uid "
                   "ORDER BY v.created_at DESC LIMIT 1), e.reason), count(*) FROM escalations e "
                   f"WHERE e.week IN {p} GROUP BY 1, 2",
        "causes": "SELECT e.week, count(DISTINCT e.uid) FROM {reviews} v JOIN escalations e "
                  f"ON e.uid = v.escalation_uid WHERE v.root_cause <> '' AND e.week IN {p} GROUP BY 1",
        "cells": f"SELECT intent, tier, model, count(*), sum(CASE WHEN {LIGHT} THEN 1 ELSE 0 END) "
                 f"FROM draft_outcomes WHERE week IN {p} GROUP BY 1, 2, 3",
        # tickets per intent x tier/model: distinct per week, summed over the weeks (as the rollups count)
        "cell_tickets": "SELECT intent, tier, model, count(*) FROM (SELECT DISTINCT week, intent, tier, model, "
                        f"workspace, ticket_id FROM draft_outcomes WHERE week IN {p}) t GROUP BY 1, 2, 3",
        "cell_cost": f"SELECT intent, tier, model, sum(cost_usd) FROM draft_runs WHERE week IN {p} GROUP BY 1, 2, 3",
        "cell_esc": f"SELECT intent, tier, model, count(*) FROM escalations WHERE week IN {p} GROUP BY 1, 2, 3",
    }


def _fold(weeks: list[str], results: dict[str, list[Sequence[Any]]], into: dict[str, Any]) -> None:
    by_week: dict[str, Week] = into.setdefault("weeks", {w: Week(w) for w in weeks})
    cells: dict[tuple[str, str, str], Cell] = into.setdefault("cells", {})
    for wk, n, light in results["outcomes"]:
        w = by_week[wk]
        w.replies += int(n)
        w.light += int(light or 0)
    for wk, tickets in results["tickets"]:
        by_week[wk].tickets += int(tickets)
    for wk, cost in results["cost"]:
        by_week[wk].cost += float(cost or 0)
    for wk, reason, n in results["reasons"]:
        by_week[wk].reasons[reason] += int(n)
        by_week[wk].escalations += int(n)
    for wk, n in results["causes"]:
        by_week[wk].root_causes += int(n)

    def cell(intent: str, tier: str, model: str) -> Cell:
        return cells.setdefault((intent or "other", tier, model), Cell(intent or "other", tier, model))

    for intent, tier, model, n, light in results["cells"]:
        c = cell(intent, tier, model)
        c.drafts += int(n)
        c.light += int(light or 0)
    for intent, tier, model, tickets in results["cell_tickets"]:
        cell(intent, tier, model).tickets += int(tickets)
    for intent, tier, model, cost in results["cell_cost"]:
        cell(intent, tier, model).cost += float(cost or 0)
    for intent, tier, model, n in results["cell_esc"]:
        cell(intent, tier, model).escalations += int(n)


def journal_aggregates(journals: Sequence[Path], week: str, *, rollups: bool = True) -> Trends:
    """Trends from journals: their rollups (schema 7 on), else counted from the rows."""
    weeks = weeks_before(week)
    acc: dict[str, Any] = {}
    seen: set[str] = set()
    marks = "(" + ",".join("?" * len(weeks)) + ")"
    for path in journals:
        conn = open_read_only(path)
        conn.row_factory = None
        try:
            try:
                jid = str(conn.execute("SELECT value FROM meta WHERE key = 'journal_uid'").fetchone()[0])
            except sqlite3.Error:  # a journal from before the team store: identified by its path
                jid = str(path.resolve())
            if jid in seen:
                continue
            seen.add(jid)
            queries = _queries(marks)
            if rollups and conn.execute("PRAGMA user_version").fetchone()[0] >= ROLLUP_VERSION:
                queries.update({k: q.replace("{p}", marks) for k, q in ROLLUP_QUERIES.items()})
            results = {name: conn.execute(q.replace("{reviews}", "escalation_reviews"), weeks).fetchall()
                       for name, q in queries.items()}
        finally:
            conn.close()
        _fold(weeks, results, acc)
    return _finish(weeks, acc)


ROLLUP_VERSION = 7  # the journal migration that added the rollups
ROLLUP_QUERIES = {
    "outcomes": "SELECT week, sum(replies), sum(light) FROM rollup_cells WHERE week IN {p} GROUP BY week",
    "tickets": "SELECT week, tickets FROM rollup_weeks WHERE week IN {p}",
    "cost": "SELECT week, sum(cost) FROM rollup_cells WHERE week IN {p} GROUP BY week",
    "cells": "SELECT intent, tier, model, sum(replies), sum(light) FROM rollup_cells WHERE week IN {p} "
             "GROUP BY 1, 2, 3 HAVING sum(replies) > 0",
    "cell_tickets": "SELECT intent, tier, model, sum(tickets) FROM rollup_cells WHERE week IN {p} GROUP BY 1, 2, 3",
    "cell_cost": "SELECT intent, tier, model, sum(cost) FROM rollup_cells WHERE week IN {p} GROUP BY 1, 2, 3",
    "cell_esc": "SELECT intent, tier, model, sum(escalations) FROM rollup_cells WHERE week IN {p} GROUP BY 1, 2, 3",
}


async def team_aggregates(store: Any, week: str) -> Trends:
    """The same figures from the team store (``TeamStore``). Seniors and leads read the server's weekly
    rollups (every desk); an agent's role reads its own rows, which row-level security limits."""
    weeks = weeks_before(week)
    queries = _queries("(SELECT unnest(%s::text[]))")
    if (await store.whoami())[1] in ("senior", "lead"):
        queries.update({k: q.replace("{p}", "(SELECT unnest(%s::text[]))") for k, q in ROLLUP_QUERIES.items()})
    results = await store.fetch("read the trends", {k: (q.replace("{reviews}", "reviews"), (weeks,))
                                                    for k, q in queries.items()},
                                [["outcomes", "tickets", "reasons", "causes", "cell_esc"],
                                 ["cells", "cell_tickets", "cost", "cell_cost"]])
    acc: dict[str, Any] = {}
    _fold(weeks, results, acc)
    return _finish(weeks, acc)


def _finish(weeks: list[str], acc: dict[str, Any]) -> Trends:
    by_week = acc.get("weeks") or {w: Week(w) for w in weeks}
    cells = sorted((acc.get("cells") or {}).values(), key=lambda c: (c.intent, -c.drafts))
    return Trends([by_week[w] for w in weeks], cells, suggestions(cells))


def suggestions(cells: Sequence[Cell], min_drafts: int = 30) -> list[str]:
    """Move an intent between tiers when the evidence says so: the cheaper tier accepted about as often
    (within 3 points) on enough drafts, or the cheap tier clearly worse (10 points) than the frontier."""
    out = []
    by_intent: dict[str, dict[str, Cell]] = {}
    for c in cells:
        tier = by_intent.setdefault(c.intent, {})
        prev = tier.get(c.tier)
        if prev is None or c.drafts > prev.drafts:
            tier[c.tier] = c
    for intent, tiers in sorted(by_intent.items()):
        fast, frontier = tiers.get("fast"), tiers.get("frontier")
        if not fast or not frontier or fast.drafts < min_drafts or frontier.drafts < min_drafts:
            continue
        evidence = (f"fast tier accepted {fast.light_share:.0%} of {fast.drafts} drafts vs frontier "
                    f"{frontier.light_share:.0%} of {frontier.drafts}")
        ratio = (fast.cost_per_draft / frontier.cost_per_draft) if frontier.cost_per_draft else 0
        cost = f" at {ratio:.0%} of the cost per draft" if frontier.cost_per_draft else ""
        if fast.light_share >= frontier.light_share - 0.03 and fast.cost_per_draft <= frontier.cost_per_draft:
            out.append(f"{intent}: {evidence}{cost} → consider routing it to fast")
        elif fast.light_share < frontier.light_share - 0.10:
            out.append(f"{intent}: {evidence} → consider routing it to frontier")
    return out


def _axis(value: float, unit: str) -> str:
    if unit == "%" or float(value).is_integer():
        return f"{value:,.0f}{unit}"
    return f"{value:.3g}{unit}" if value < 10 else f"{value:,.0f}{unit}"


def line_chart(title: str, weeks: Sequence[str], series: dict[str, Sequence[float | None]], unit: str = "") -> str:
    """Inline SVG line chart (no script, nothing remote): one line per series over the weeks. A week without
    data (None) is a gap in its line, never a drop to 0; a week alone between gaps is a dot."""
    width, height, left, top, bottom = 640, 220, 56, 30, 40
    colours = ["#3b6fb6", "#c0504d", "#2b7a4b", "#8064a2", "#f79646", "#4bacc6", "#7f7f7f"]
    peak = max((v for vals in series.values() for v in vals if v is not None), default=0) or 1
    plot_w, plot_h = width - left - 150, height - top - bottom
    step = plot_w / max(len(weeks) - 1, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} '
             f'{height}" role="img" aria-label="{html.escape(title)}"><text x="0" y="16" font-family="sans-serif" '
             f'font-size="14" font-weight="bold">{html.escape(title)}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
             f'<line x1="{left}" y1="{top}" x2="{left + plot_w}" y2="{top}" stroke="#eee"/>',
             f'<text x="{left - 6}" y="{top + 4}" font-family="sans-serif" font-size="10" text-anchor="end">'
             f"{html.escape(_axis(peak, unit))}</text>",
             f'<text x="{left - 6}" y="{top + plot_h + 4}" font-family="sans-serif" font-size="10" '
             f'text-anchor="end">{html.escape(_axis(0, unit))}</text>']
    for i, wk in enumerate(weeks):
        if i % 2 == 0 or i == len(weeks) - 1:
            parts.append(f'<text x="{left + i * step:.1f}" y="{height - 20}" font-family="sans-serif" '
                         f'font-size="10" text-anchor="middle">{html.escape(wk[5:])}</text>')
    for n, (name, vals) in enumerate(series.items()):
        colour = colours[n % len(colours)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(vals):
            if v is None:
                runs.append([])
                continue
            runs[-1].append((left + i * step, top + plot_h - plot_h * v / peak))
        for run in runs:
            if len(run) == 1:
                parts.append(f'<circle cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="3" fill="{colour}"/>')
            elif run:
                pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{pts}"/>')
        parts.append(f'<text x="{left + plot_w + 8}" y="{top + 12 + n * 14}" font-family="sans-serif" '
                     f'font-size="11" fill="{colour}">{html.escape(name[:24])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def trend_charts(t: Trends) -> dict[str, str]:
    weeks = [w.week for w in t.weeks]
    reasons = Counter[str]()
    for w in t.weeks:
        reasons.update(w.reasons)
    top = [r for r, _ in reasons.most_common(5)]
    return {
        "light": line_chart("Sent unchanged or lightly edited", weeks,
                            {"share of replies": [100 * w.light_share if w.replies else None for w in t.weeks]}, "%"),
        "escalation": line_chart("Escalations per ticket replied to", weeks,
                                 {"escalation rate": [100 * w.escalation_rate if w.tickets else None
                                                      for w in t.weeks]}, "%"),
        "cost": line_chart("Model cost per ticket replied to (USD)", weeks,
                           {"USD": [w.cost_per_ticket if w.tickets else None for w in t.weeks]}),
        "reasons": line_chart("Escalation reasons over time", weeks,
                              {r: [float(w.reasons.get(r, 0)) for w in t.weeks] for r in top} or {"none": [0.0]}),
    }
