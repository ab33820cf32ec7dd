"""Weekly team report from one or more journals, or the team store: containment, open-to-send time, escalations
by reason and intent, volume/cost/escalation rate per tier and model, per agent, re-tags and review notes.

Journals from several agents merge by row uid, so the same row never counts twice (an export and its source,
or one file passed twice). Exports: HTML (Markdown rendered with ``markdown``, charts as inline SVG,
self-contained), CSV (raw rows) and PDF (fpdf2, same charts).

- ``figures``: weeks, reading journals and the team store, the numbers (``WeeklyReport``);
- ``render``: charts, Markdown/HTML, definitions, CSV;
- ``pdf``: the PDF and ``export`` for every format.
"""

from assist.reports.figures import (
    WeeklyReport,
    build_report,
    intent_names,
    is_demo_history,
    last_week,
    previous_week,
    report_journals,
    team_report,
    week_dates,
)
from assist.reports.pdf import export, to_pdf
from assist.reports.render import charts, to_csv, to_html, to_markdown

__all__ = ["WeeklyReport", "build_report", "charts", "export", "intent_names", "is_demo_history", "last_week",
           "previous_week", "report_journals", "team_report", "to_csv", "to_html", "to_markdown", "to_pdf",
           "week_dates"]
