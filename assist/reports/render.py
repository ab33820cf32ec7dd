"""The weekly report rendered: SVG charts, Markdown (and HTML through ``markdown``: self-contained, charts inline),
the definitions a lead needs to read it, and the CSV of raw rows."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import TYPE_CHECKING

import markdown as md

from assist.feedback import REASONS
from assist.reports.figures import WeeklyReport, week_dates
from assist.team.schema import LATE_DAYS
from assist.trends import trend_charts

if TYPE_CHECKING:
    pass


# -- rendering ----------------------------------------------------------------------------------


def duration(seconds: float | None) -> str:
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
        f"| {OPEN_TO_SEND}, median | {duration(r.ttr_median)} | {duration(r.prev_ttr_median)} | "
        f"{_delta(r.ttr_median, r.prev_ttr_median)} |",
        f"| {OPEN_TO_SEND}, p90 | {duration(r.ttr_p90)} | {duration(r.prev_ttr_p90)} | "
        f"{_delta(r.ttr_p90, r.prev_ttr_p90)} |",
        f"| {CREATED_TO_SOLVED}, median ({r.solved_from_assist} solved from Assist) | "
        f"{duration(r.created_to_solved_median)} | | |",
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
           *[f"| {md_text(a.agent)} | {a.replies} | {a.light_share:.0%} | {duration(a.open_to_send_median)} | "
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


def share(value: float, of: int) -> str:
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
    lines += [f"| {w.week} | {w.replies} | {share(w.light_share, w.replies)} | "
              f"{share(w.escalation_rate, w.tickets)} | {w.cost_per_ticket:.4f} | {w.root_causes} |" for w in t.weeks]
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
