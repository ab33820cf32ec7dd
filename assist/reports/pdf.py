"""The weekly report as PDF (fpdf2, the same sections and charts as the HTML) and ``export`` for every format."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from assist.feedback import REASONS
from assist.reports.figures import WeeklyReport, week_dates
from assist.reports.render import (
    CREATED_TO_SOLVED,
    DEFINITIONS,
    NO_SUGGESTION,
    OPEN_TO_SEND,
    all_charts,
    clock_note,
    duration,
    share,
    source_line,
    to_csv,
    to_html,
)

if TYPE_CHECKING:
    pass


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
        (f"{OPEN_TO_SEND}, median", duration(r.ttr_median), f"prev {duration(r.prev_ttr_median)}"),
        (f"{OPEN_TO_SEND}, p90", duration(r.ttr_p90), f"prev {duration(r.prev_ttr_p90)}"),
        (f"{CREATED_TO_SOLVED}, median", duration(r.created_to_solved_median), f"{r.solved_from_assist} solved"),
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
                              *[(a.agent, str(a.replies), f"{a.light_share:.0%}", duration(a.open_to_send_median),
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
                                        *[(w.week, str(w.replies), share(w.light_share, w.replies),
                                           share(w.escalation_rate, w.tickets), f"{w.cost_per_ticket:.4f}",
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
