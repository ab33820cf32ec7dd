"""Trends in the weekly report (issue 17): the last ten weeks, intent x tier/model, routing suggestions
with their evidence, in HTML, CSV and PDF; a journal passed twice counts once."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

from assist.reports import build_report, export
from assist.trends import weeks_before
from tests.journal_factory import draft_run, escalation, new_journal, outcome, review

WEEK = "2026-W47"
MONDAY = datetime(2026, 11, 16, 10, tzinfo=UTC)


def _journal(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "sam.db"
    conn = new_journal(path)
    n = 0
    for back in range(10):
        when = MONDAY - timedelta(weeks=back)
        for i in range(40):  # invoices: the fast tier is accepted as often as the frontier, for less
            n += 1
            tier = "fast" if i % 2 else "frontier"
            outcome(conn, f"t{n}", when, "unchanged" if i % 10 else "edited", 0.9 if i % 10 else 0.5, 300,
                    tier=tier, model="mini" if tier == "fast" else "big", intent="invoice_copy")
            draft_run(conn, f"t{n}", when, tier, "mini" if tier == "fast" else "big",
                      0.001 if tier == "fast" else 0.01, intent="invoice_copy")
        for i in range(back % 3 + 1):
            esc = escalation(conn, f"e{back}{i}", when, "missing_data", "invoice_copy", "fast", "mini")
            if i == 0:
                review(conn, esc, "bug_outage", "billing API down", True, when + timedelta(hours=1))
    conn.close()
    return path


def test_ten_weeks_of_trends_and_a_suggestion_with_its_evidence(tmp_path) -> None:
    path = _journal(tmp_path)
    r = build_report([path], WEEK)
    assert r.trends is not None
    assert [w.week for w in r.trends.weeks] == weeks_before(WEEK) and len(r.trends.weeks) == 10
    this = r.trends.weeks[-1]
    assert this.replies == 40 and this.light == 36 and this.escalations == 1
    assert this.reasons["bug_outage"] == 1  # the reviewed reason, not the original
    assert r.trends.weeks[-2].escalations == 2 and this.root_causes == 1
    assert any(s.startswith("invoice_copy: fast tier accepted 100% of 200 drafts vs frontier 80% of 200")
               and "consider routing it to fast" in s for s in r.trends.suggestions), r.trends.suggestions
    cell = next(c for c in r.trends.cells if c.tier == "fast")
    assert cell.key == "fast · mini" and round(cell.cost_per_draft, 4) == 0.001

    html = export(r, "html").decode()
    assert "Trends, 2026-W38 to 2026-W47" in html and "<polyline" in html and "<script" not in html
    assert "consider routing it to fast" in html
    csv_text = export(r, "csv").decode()
    assert "week,,2026-W47,,,,,,,,,,,,,,40," in csv_text.replace('"', "") and "intent_tier" in csv_text
    assert export(r, "pdf").startswith(b"%PDF")


def test_a_journal_passed_twice_counts_once(tmp_path) -> None:
    path = _journal(tmp_path)
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    once = build_report([path], WEEK).trends
    twice = build_report([path, copy], WEEK).trends
    assert once is not None and twice is not None
    assert [w.replies for w in twice.weeks] == [w.replies for w in once.weeks]


def test_the_journals_rollups_agree_with_counting_the_rows(tmp_path) -> None:
    from assist.trends import journal_aggregates

    path = _journal(tmp_path)
    conn = new_journal(path)  # a second desk's worth of rows on the same tickets: distinct counts matter
    for n in range(1, 30):
        outcome(conn, f"t{n}", MONDAY, "edited", 0.95, 60, tier="fast", model="mini", intent="invoice_copy")
    conn.close()
    fast, slow = journal_aggregates([path], WEEK), journal_aggregates([path], WEEK, rollups=False)
    # (costs rounded: the two sum in different row orders, which moves the last bits of a float sum)
    assert [(w.replies, w.light, w.tickets, round(w.cost, 9), w.escalations) for w in fast.weeks] == \
        [(w.replies, w.light, w.tickets, round(w.cost, 9), w.escalations) for w in slow.weeks]
    assert sorted((c.intent, c.tier, c.model, c.drafts, c.light, c.tickets, round(c.cost, 6), c.escalations)
                  for c in fast.cells) == \
        sorted((c.intent, c.tier, c.model, c.drafts, c.light, c.tickets, round(c.cost, 6), c.escalations)
               for c in slow.cells if c.drafts or c.escalations or c.cost)
