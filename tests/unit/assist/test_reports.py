"""Weekly report figures against journals with known answers; merging; exports."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from assist.journal import MIGRATIONS, Journal
from assist.reports import build_report, export, previous_week
from tests import journal_factory as jf

W47 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday in 2026-W47
W46 = W47 - timedelta(days=7)


@pytest.fixture
def journals(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "sam.db", tmp_path / "lee.db"
    ca, cb = jf.new_journal(a), jf.new_journal(b)
    # 10 replies on 8 tickets in W47, split over two agents' journals
    plan = [("unchanged", 1.0)] * 4 + [("edited", 0.9)] * 2 + [("edited", 0.5), ("discarded", 0.1)] + \
           [("no_draft", 0.0)] * 2
    tickets = ["1", "2", "3", "4", "5", "6", "7", "8", "1", "2"]
    for i, ((kind, ratio), ticket) in enumerate(zip(plan, tickets, strict=True)):
        conn = ca if i % 2 == 0 else cb
        jf.outcome(conn, ticket, W47 + timedelta(minutes=i), kind, ratio, seconds=60 * (i + 1))
    for seconds in (600, 600, 1200, 1200):
        jf.outcome(ca, "90", W46, "unchanged", 1.0, seconds)
    jf.escalation(ca, "11", W47, "customer_frustration", "manager", "human")
    retagged = jf.escalation(cb, "12", W47, "policy_exception", "refund", "fast", "gpt-4o-mini")
    jf.review(cb, retagged, "legal_compliance", "customer quoted consumer law; route to legal", True, W47)
    jf.escalation(cb, "13", W47, "bug_outage", "broken_feature", "offline", "offline")
    jf.escalation(ca, "14", W46, "other", "refund", "offline", "offline")  # previous week: not counted
    for t in ("12", "12", "21", "22", "22"):
        jf.draft_run(ca, t, W47, "fast", "gpt-4o-mini", 0.001)
    for t in ("13", "31", "32", "33"):
        jf.draft_run(cb, t, W47, "offline", "offline", 0.0)
    ca.close()
    cb.close()
    return a, b


def test_known_answers(journals) -> None:
    r = build_report(list(journals), "2026-W47")
    assert r.previous == "2026-W46"
    assert r.replies_sent == 10 and r.tickets_handled == 8
    assert r.containment == pytest.approx(0.6)
    assert r.ttr_median == pytest.approx(330) and r.ttr_p90 == pytest.approx(546)
    assert r.prev_ttr_median == pytest.approx(900)
    assert r.escalations == 3
    assert dict(r.by_reason) == {"customer_frustration": 1, "legal_compliance": 1, "bug_outage": 1}
    assert dict(r.by_intent) == {"manager": 1, "refund": 1, "broken_feature": 1}
    tiers = {t.key: t for t in r.tiers}
    fast = tiers["fast · gpt-4o-mini"]
    assert (fast.drafts, fast.tickets, fast.escalations) == (5, 3, 1)
    assert fast.cost_usd == pytest.approx(0.005) and fast.escalation_rate == pytest.approx(1 / 3)
    assert tiers["offline"].escalation_rate == pytest.approx(0.25)
    assert dict(r.retags) == {("policy_exception", "legal_compliance"): 1}
    assert r.flows_to_fix == 1
    assert r.review_notes == [("12", "legal_compliance", "customer quoted consumer law; route to legal")]


def test_merging_never_double_counts(journals, tmp_path: Path) -> None:
    a, b = journals
    copy = tmp_path / "sam-export.db"
    shutil.copy(a, copy)
    r = build_report([a, b, copy, b], "2026-W47")
    assert r.replies_sent == 10 and r.escalations == 3


def test_html_report_is_self_contained_with_charts(journals) -> None:
    html = export(build_report(list(journals), "2026-W47"), "html").decode()
    assert html.count("<svg") == 8
    assert "Escalations by reason" in html and "Legal / compliance" in html
    assert "<table>" in html and "60%" in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_csv_has_the_raw_rows(journals) -> None:
    text = export(build_report(list(journals), "2026-W47"), "csv").decode()
    lines = text.strip().splitlines()
    assert lines[0].startswith("kind,uid,week")
    kinds = [line.split(",")[0] for line in lines[1:]]
    assert kinds.count("outcome") == 10 and kinds.count("escalation") == 3 and kinds.count("draft_run") == 9


def test_pdf_report_opens_and_says_what_html_says(journals, tmp_path: Path) -> None:
    data = export(build_report(list(journals), "2026-W47"), "pdf")
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Assist weekly report - 2026-W47" in text
    assert "Tickets handled" in text and "60%" in text


def test_older_journal_is_migrated_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:2]:  # a journal from the version before the feedback loop
        for statement in filter(str.strip, script.split(";")):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO drafts VALUES ('demo', '1001', 'kept draft', '2026-11-18T10:00:00+00:00')")
    conn.execute("INSERT INTO draft_runs (workspace, ticket_id, agent, tier, model, intent, reasons, grounded, "
                 "citations, unknown_citations, uncited_claims, cost_usd, latency_ms, error, created_at) VALUES "
                 "('demo', '1001', 'sam', 'fast', 'gpt-4o-mini', 'refund', '[]', 1, '[]', 0, 0, 0.002, 900, '', "
                 "'2026-11-18T10:00:00+00:00')")
    conn.close()
    r = build_report([path], "2026-W47")  # the report reads it without changing the file
    assert [t.key for t in r.tiers] == ["fast · gpt-4o-mini"]
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2
    j = Journal(path, "demo")  # opening it in Assist upgrades it in place, keeping every row
    assert j.schema_version() == len(MIGRATIONS)
    j.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT body FROM drafts").fetchone()[0] == "kept draft"
    assert conn.execute("SELECT week, length(uid) FROM draft_runs").fetchone() == ("2026-W47", 32)
    conn.close()


def test_week_parsing() -> None:
    assert previous_week("2026-W01") == "2025-W52"
    with pytest.raises(ValueError, match="ISO week"):
        build_report([], "2026-47")


def test_cli_report_and_journal_export(journals, tmp_path: Path, paths, capsys) -> None:
    from assist.cli import main

    a, b = journals
    out = tmp_path / "report.html"
    assert main(["report", "--week", "2026-W47", "--format", "html", "--out", str(out),
                 "--journal", str(a), "--journal", str(b)]) == 0
    assert "<svg" in out.read_text()
    assert "10 replies, 3 escalations from 2 journals" in capsys.readouterr().out
    mine = Journal(paths.journal_file, "demo")
    mine.schema_version()
    mine.close()
    exported = tmp_path / "mine.db"
    assert main(["journal", "export", "--out", str(exported)]) == 0
    assert sqlite3.connect(exported).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert main(["report", "--week", "2026-W99", "--out", str(out)]) == 2


def test_user_text_in_reports_is_shown_never_interpreted(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    conn = jf.new_journal(path)
    esc = jf.escalation(conn, "1037", W47, "other", "refund", "fast", "gpt-4o-mini")
    note = "#1037 was a mess\n# Giant heading\n[click me](javascript:alert(1)) <script>x()</script> **bold**"
    jf.review(conn, esc, "other", note, False, W47)
    conn.close()
    r = build_report([path], "2026-W47")
    html = export(r, "html").decode()
    assert "<h1>Giant heading" not in html and "<h1># Giant" not in html
    assert 'href="javascript' not in html and "<a " not in html
    assert "<script>x()" not in html and "&lt;script&gt;x()" in html
    assert "<strong>bold</strong>" not in html and "**bold**" in html
    assert "#1037 was a mess # Giant heading [click me](javascript:alert(1))" in html
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(export(r, "pdf"))
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "[click me](javascript:alert(1))" in text.replace("\n", " ")


def test_the_lead_sees_each_agent_and_what_the_time_measures(tmp_path: Path) -> None:
    """Issue 24: no per-agent view in HTML/PDF/CSV; 'time to resolution' was open-in-Assist-to-send; the header
    said '1 journal(s)'."""
    path = tmp_path / "desk.db"
    conn = jf.new_journal(path)
    for i, (agent, kind, ratio) in enumerate([("ana", "unchanged", 1.0), ("ana", "edited", 0.9),
                                              ("ana", "discarded", 0.2), ("bo", "edited", 0.3)]):
        jf.outcome(conn, f"{i}", W47, kind, ratio, seconds=120 * (i + 1), agent=agent)
    jf.escalation(conn, "9", W47, "bug_outage", "broken_feature", "offline", agent="cy")
    conn.close()
    r = build_report([path], "2026-W47")
    agents = {a.agent: a for a in r.agents}
    assert set(agents) == {"ana", "bo", "cy"}
    assert (agents["ana"].replies, agents["ana"].light, agents["ana"].open_to_send_median) == (3, 2, 240)
    assert (agents["cy"].replies, agents["cy"].escalations) == (0, 1)
    html = export(r, "html").decode()
    assert "By agent" in html and "<td>ana</td>" in html and "67%" in html
    assert "Open-to-send time" in html and "Time to resolution" not in html
    assert "this desk's journal" in html and "journal(s)" not in html
    csv_text = export(r, "csv").decode()
    agent_rows = [line for line in csv_text.splitlines() if line.startswith("agent,")]
    assert len(agent_rows) == 3 and any(",ana," in line and ",0.6667," in line for line in agent_rows)
    pdf = export(r, "pdf")
    assert pdf.startswith(b"%PDF")


def test_every_format_carries_the_same_sections_and_readable_charts(journals, tmp_path: Path) -> None:
    """Issue 27: the HTML's re-tag table came out as raw pipes under the wrong heading; the y-axis read
    '1e+02%'; weeks without replies plotted as 0%; bar labels were cut; the PDF left out intent x tier/model,
    re-tags and the trends table; rates were named alike and counted differently."""
    r = build_report(list(journals), "2026-W47")
    html = export(r, "html").decode()
    assert "| Tagged as |" not in html and "<th>Re-tagged as</th>" in html
    assert html.index("Re-tagged as") < html.index("## Trends") if "## Trends" in html else True
    assert "e+0" not in html and ">0%<" in html  # axes as percentages
    assert "Missing data the assistant couldn'<" not in html
    assert "How the figures are counted" in html and "Escalations per ticket replied to" in html
    weeks = [w for w in r.trends.weeks] if r.trends else []
    empty = [w.week for w in weeks if not w.replies]
    assert empty and "<polyline" in html  # weeks with no replies exist in this history and are gaps
    from assist.trends import trend_charts

    light = trend_charts(r.trends)["light"]
    assert light.count("<polyline") + light.count("<circle") >= 1
    path = tmp_path / "r.pdf"
    path.write_bytes(export(r, "pdf"))
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    for section in ("Escalations by reason", "Senior review", "Re-tagged as", "Trends,", "Intent x tier and model",
                    "Routing suggestions", "How the figures are counted", "Escalations per ticket drafted"):
        assert section in text, section


def test_a_line_with_missing_weeks_has_gaps_not_zeros() -> None:
    from assist.trends import line_chart

    svg = line_chart("t", ["2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"],
                     {"share": [50.0, 60.0, None, None, 70.0]}, "%")
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 1  # W40-W41 a line, W44 a dot, no drop to 0
    assert ">70%<" in svg and ">0%<" in svg and "e+" not in svg


def test_a_fresh_install_report_shows_ten_weeks_of_demo_history_and_a_team_never_sees_it(paths, tmp_path: Path,
                                                                                            capsys) -> None:
    """Issue 27: the demo shipped no history, so the weekly report and its trends were empty on a fresh install."""
    from assist.cli import main
    from assist.reports import last_week
    from assist.settings import HelpdeskSettings, Settings, WorkspaceSettings, save_settings
    from assist.text import iso_week

    out = {fmt: tmp_path / f"r.{fmt}" for fmt in ("html", "pdf", "csv")}
    for fmt, path in out.items():
        assert main(["report", "--format", fmt, "--out", str(path)]) == 0
    said = capsys.readouterr().out
    assert f"{last_week()}:" in said and " 0 replies" not in said
    import csv

    csv_rows = list(csv.DictReader(out["csv"].read_text().splitlines()))
    weeks = [row for row in csv_rows if row["kind"] == "week"]
    assert len(weeks) == 10 and all(int(row["drafts"]) > 0 for row in weeks)  # every week has replies
    kinds = {row["kind"] for row in csv_rows}
    assert {"agent", "summary", "reason", "tier", "intent_tier", "routing_suggestion"} <= kinds  # same sections
    text = " ".join(page.extract_text() for page in PdfReader(out["pdf"]).pages)
    html = out["html"].read_text()
    for section in ("Trends,", "Routing suggestions", "By agent"):
        assert section in text and section in html
    assert "consider routing it to" in html  # the history has enough drafts on both tiers for a suggestion
    assert "Where is my order" in html and "where_is_my_order" not in html  # intents by their titles
    assert iso_week(datetime.now(UTC)) not in [row["week"] for row in weeks]  # the ten weeks before this one

    settings = Settings()  # a real team's workspace on the same machine: its report is its own
    settings.workspaces["acme"] = WorkspaceSettings(helpdesk=HelpdeskSettings(kind="zendesk",
                                                                              url="https://acme.zendesk.com"))
    settings.active_workspace = "acme"
    save_settings(settings, paths.config_file)
    mine = Journal(paths.journal_file, "acme")
    mine.schema_version()
    mine.close()
    assert main(["report", "--format", "csv", "--out", str(out["csv"])]) == 0
    assert " 0 replies, 0 escalations" in capsys.readouterr().out


async def test_a_reply_that_solves_the_ticket_gives_the_helpdesks_created_to_solved_time(make_session) -> None:
    """Issue 24: the report called open-to-send 'time to resolution'; beside it now, the helpdesk's own time from
    a ticket's creation to the reply sent from Assist that solved it."""
    from datetime import timedelta

    from assist.domain import TicketId, TicketStatus
    from assist.text import iso_week

    s = make_session()
    ctx = await s.open_ticket(TicketId("1001"))
    opened = datetime.now(UTC) - timedelta(minutes=4)
    await s.send(TicketId("1001"), "It shipped today.", public=True, opened_at=opened, status=TicketStatus.SOLVED)
    ctx2 = await s.open_ticket(TicketId("1002"))
    await s.send(TicketId("1002"), "Checking.", public=True, opened_at=opened, status=TicketStatus.PENDING)
    report = await s.weekly_report(iso_week(datetime.now(UTC)))
    assert report.solved_from_assist == 1  # the pending reply is not a solve
    expected = (datetime.now(UTC) - ctx.ticket.created_at).total_seconds()
    assert report.created_to_solved_median == pytest.approx(expected, abs=120)
    assert ctx2.ticket.id == "1002"
    html = export(report, "html").decode()
    assert "Helpdesk created-to-solved time, median (1 solved from Assist)" in html


def test_hierarchical_team_labels_group_the_escalations_by_parent(tmp_path: Path) -> None:
    """Issue 23: a team's 'Billing::Refund' labels keep their parent for reports."""
    import csv

    path = tmp_path / "desk.db"
    conn = jf.new_journal(path)
    for i, intent in enumerate(["billing_refund", "billing_refund", "billing_invoice", "shipping_late"]):
        jf.escalation(conn, str(i), W47, "missing_data", intent, "fast", "gpt-4o-mini")
    conn.close()
    r = build_report([path], "2026-W47")
    r.intent_titles = {"billing_refund": "Refund", "billing_invoice": "Invoice", "shipping_late": "Late"}
    r.intent_parents = {"billing_refund": "Billing", "billing_invoice": "Billing", "shipping_late": "Shipping"}
    assert r.by_group() == [("Billing", 3, [("Refund", 2), ("Invoice", 1)]), ("Shipping", 1, [("Late", 1)])]
    assert "<td>Billing</td>" in export(r, "html").decode()
    rows = list(csv.DictReader(export(r, "csv").decode().splitlines()))
    assert {(row["intent"], row["drafts"]) for row in rows if row["kind"] == "intent_group"} == {("Billing", "3"),
                                                                                               ("Shipping", "1")}
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(export(r, "pdf"))
    assert "Escalations by intent group" in " ".join(p.extract_text() for p in PdfReader(pdf).pages)


def test_a_week_without_replies_has_no_open_to_send_bar(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    conn = jf.new_journal(path)
    jf.outcome(conn, "1", W47, "unchanged", 1.0, seconds=300)  # nothing the week before
    conn.close()
    from assist.reports import charts

    svg = charts(build_report([path], "2026-W47"))["ttr"]
    assert "median 2026-W47" in svg and "median 2026-W46" not in svg
