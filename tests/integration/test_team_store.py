"""The team store on a real PostgreSQL (issue 17): two desks (two data folders), roles enforced by the
database, reviews travelling back, the outbox waiting out a server that is down."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest

from assist.cli import main
from assist.domain import TicketId
from assist.feedback import EscalationFilter
from assist.paths import Paths
from assist.reports import build_report, team_report
from assist.secrets import SecretStore
from assist.settings import Settings
from assist.team.store import TeamStore, TeamStoreError
from assist.workspace import build_session
from tests.conftest import MemoryKeyring

PASSWORDS = {"ann_agent": "ann-pass-123", "bob_agent": "bob-pass-123", "sue_senior": "sue-pass-123",
             "lee_lead": "lee-pass-123"}


def _user_url(admin_url: str, user: str) -> str:
    host_db = admin_url.split("@", 1)[1]
    return f"postgresql://{user}@{host_db}"


@pytest.fixture(scope="module")
def team(pg_admin_url):
    assert main(["team", "init", "--admin-url", pg_admin_url]) == 0
    assert main(["team", "init", "--admin-url", pg_admin_url]) == 0  # idempotent
    for user, password in PASSWORDS.items():
        asyncio.run(TeamStore(pg_admin_url).add_user(user, user.split("_")[1], password))
    return pg_admin_url


def _desk(root: Path, admin_url: str, user: str, *, url: str | None = None):  # type: ignore[no-untyped-def]
    paths = Paths.under(root)
    settings = Settings()
    settings.agent.name = user.split("_")[0]
    settings.agent.display_name = user.split("_")[0].capitalize()
    settings.workspaces["demo"].team.url = url or _user_url(admin_url, user)
    secrets = SecretStore(MemoryKeyring())
    secrets.set("demo:team-password", PASSWORDS[user])
    return build_session(paths, settings, secrets)


async def _escalate(session, ticket: str, reason: str = "missing_data"):  # type: ignore[no-untyped-def]
    ctx = await session.open_ticket(TicketId(ticket))
    route = await session.route_ticket(ctx)
    return await session.escalate(ctx, route, "Draft text", "edited", reason, "customer id missing",
                                  write_back=False)


async def test_two_desks_review_travels_and_roles_hold(team, tmp_path) -> None:
    ann = _desk(tmp_path / "ann", team, "ann_agent")
    sue = _desk(tmp_path / "sue", team, "sue_senior")
    bob = _desk(tmp_path / "bob", team, "bob_agent")
    try:
        esc = await _escalate(ann, "1001")
        from datetime import timedelta

        for ticket in ("1001", "1002", "1002"):  # replies sent: two tickets, one of them twice
            await ann.feedback.record_outcome(TicketId(ticket), None, None, "Hi", esc.created_at, "ann",
                                              sent_at=esc.created_at, solved=ticket == "1001",
                                              ticket_created_at=esc.created_at - timedelta(hours=3))
        status = await ann.team.sync_once()
        assert not status.error and status.pending == 0, status
        assert (await bob.team.sync_once()).error == ""

        # the senior on another desk sees it, with its transcript, and re-tags it
        listed = await sue.escalations(EscalationFilter())
        mine = next(e for e in listed if e.uid == esc.uid)
        assert mine.agent == "ann_agent" and mine.reason == "missing_data"  # the login, not the client's word
        reviewed = await sue.review_escalation(esc.uid, "bug_outage", "order lookup times out", True)
        assert reviewed.reviewed_reason == "bug_outage" and reviewed.reviewer == "sue_senior"

        # ...and the review comes back to the agent's desk and report
        await ann.team.sync_once()
        report = build_report([ann.paths.journal_file], esc.week)
        assert report.retags[("missing_data", "bug_outage")] == 1
        assert ("1001", "bug_outage", "order lookup times out") in report.review_notes
        # the lead's report from the team store sees every desk
        lead = TeamStore(_user_url(team, "lee_lead"), PASSWORDS["lee_lead"])
        team_wide = await team_report(lead, esc.week)
        assert team_wide.escalations >= 1 and team_wide.flows_to_fix >= 1
        assert team_wide.solved_from_assist == 1 and team_wide.created_to_solved_median == 3 * 3600
        by_agent = {a.agent: a for a in team_wide.agents}  # the lead's per-agent view: who, by the server's login
        assert by_agent["ann_agent"].escalations >= 1 and by_agent["ann_agent"].replies == 3
        from assist.reports import to_html

        assert "the whole team, from the team store" in to_html(team_wide) and "journal(s)" not in to_html(team_wide)
        assert team_wide.trends is not None and team_wide.trends.weeks[-1].escalations >= 1
        # the lead's trends come from the server's rollups; they agree with counting the rows themselves
        from assist.trends import team_aggregates

        live = await team_aggregates(TeamStore(team), esc.week)  # the admin: no rollups, the rows
        assert (team_wide.trends.weeks[-1].replies, team_wide.trends.weeks[-1].tickets) == (3, 2)
        assert [(w.replies, w.tickets, w.escalations) for w in live.weeks] == \
            [(w.replies, w.tickets, w.escalations) for w in team_wide.trends.weeks]
        assert {(c.intent, c.tier, c.drafts, c.escalations) for c in live.cells} == \
            {(c.intent, c.tier, c.drafts, c.escalations) for c in team_wide.trends.cells}

        # another agent's credentials read none of ann's rows and cannot review
        assert esc.uid not in {e.uid for e in await bob.team.store.escalations(EscalationFilter(), "demo")}
        with pytest.raises(TeamStoreError, match="may not"):
            await bob.team.store.add_review(esc.uid, "x1", "other", "", False, "bob")
        async with await psycopg.AsyncConnection.connect(_user_url(team, "bob_agent"),
                                                         password=PASSWORDS["bob_agent"], autocommit=True) as conn:
            rows = await (await conn.execute("SELECT uid, transcript FROM assist.escalations")).fetchall()
            assert esc.uid not in {r[0] for r in rows}
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                await conn.execute("UPDATE assist.escalations SET reason = 'other'")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # writing as someone else
                await conn.execute("INSERT INTO assist.draft_runs (uid, owner, workspace, ticket_id, tier, model, "
                                   "intent, cost_usd, latency_ms, grounded, error, agent, created_at, week) VALUES "
                                   "('spoof', 'ann_agent', 'demo', '1', 'fast', '', '', 0, 0, true, '', 'ann', "
                                   "now(), '2026-W01')")
        async with await psycopg.AsyncConnection.connect(_user_url(team, "sue_senior"),
                                                         password=PASSWORDS["sue_senior"], autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # a senior changes review fields only
                await conn.execute("UPDATE assist.escalations SET draft_text = ''")
            transcript = (await (await conn.execute("SELECT transcript FROM assist.escalations WHERE uid = %s",
                                                     (esc.uid,))).fetchone())[0]
            assert "Escalated by Assist" in transcript
    finally:
        for s in (ann, sue, bob):
            await s.aclose()


async def test_server_down_nothing_lost_outbox_drains_later(team, tmp_path) -> None:
    down = "postgresql://ann_agent@127.0.0.1:9/nowhere"
    desk = _desk(tmp_path / "ann2", team, "ann_agent", url=down)
    try:
        esc = await _escalate(desk, "1002")
        status = await desk.team.sync_once()
        assert status.pending >= 1 and "can't be reached" in status.error
        assert "waiting" in status.text()
        desk.team.store.url = _user_url(team, "ann_agent")  # the server is back
        status = await desk.team.sync_once()
        assert status.pending == 0 and not status.error
        again = await desk.team.sync_once()  # nothing pushed twice
        assert again.pending == 0
        lead = TeamStore(_user_url(team, "lee_lead"), PASSWORDS["lee_lead"])
        async with await psycopg.AsyncConnection.connect(lead.url, password=PASSWORDS["lee_lead"]) as conn:
            count = (await (await conn.execute("SELECT count(*) FROM assist.escalations WHERE uid = %s",
                                               (esc.uid,))).fetchone())[0]
        assert count == 1
    finally:
        await desk.aclose()


async def test_a_wrong_password_is_one_clear_message(team, tmp_path) -> None:
    store = TeamStore(_user_url(team, "ann_agent"), "wrong-password")
    with pytest.raises(TeamStoreError, match="rejected the user or password"):
        await store.whoami()
    assert await TeamStore(_user_url(team, "sue_senior"), PASSWORDS["sue_senior"]).whoami() == ("sue_senior",
                                                                                               "senior")


def test_window_shows_sync_state_and_senior_review_reads_the_team(team, tmp_path, open_window, run_until,
                                                                   loop) -> None:
    from ui.review_window import ReviewWindow

    ann = _desk(tmp_path / "ann3", team, "ann_agent")
    esc = loop.run_until_complete(_escalate(ann, "1003", "confusing_flow"))
    window = open_window(ann)
    run_until(lambda: window.team_status.text().startswith("Team store: synced"), timeout=30)
    assert window.team_status.isVisible()

    sue = _desk(tmp_path / "sue3", team, "sue_senior")
    senior = open_window(sue)
    review = ReviewWindow(lambda: senior.session, senior.runner, senior)
    review.week.setText("")
    review.refresh()
    run_until(lambda: any(e.uid == esc.uid for e in review.rows), timeout=30)
    row = next(i for i, e in enumerate(review.rows) if e.uid == esc.uid)
    review.table.setCurrentCell(row, 0)
    review.retag.setCurrentIndex(review.retag.findData("bug_outage"))
    review.root_cause.setText("address form rejects flats")
    review.save_review()
    run_until(lambda: review.status.text().count("Saved") == 1, timeout=30)
    window.sync_team()
    run_until(lambda: not window.runner.running("team-sync"), timeout=30)
    reviewed = loop.run_until_complete(ann.feedback.for_ticket(TicketId("1003")))
    assert reviewed[-1].reviewed_reason == "bug_outage" and reviewed[-1].root_cause == "address form rejects flats"
    review.close()


async def test_a_cut_off_review_push_resumes_and_a_nul_byte_blocks_nothing(team, tmp_path) -> None:
    """Issue 25: three queued reviews, the push cut off after the first: every later sync used to fail on
    the first review's duplicate key. A NUL byte pasted into a note used to fail every later sync of that desk."""
    ann = _desk(tmp_path / "ann3", team, "ann_agent")
    sue = _desk(tmp_path / "sue3", team, "sue_senior")
    try:
        escs = [await _escalate(ann, t) for t in ("1001", "1002", "1003")]
        ctx = await ann.open_ticket(TicketId("1004"))
        route = await ann.route_ticket(ctx)
        nul = await ann.escalate(ctx, route, "Draft\x00text", "edited", "missing_data", "pasted \x00 note",
                                 write_back=False)
        status = await ann.team.sync_once()
        assert not status.error and status.pending == 0, status  # the NUL row went, the rest with it
        listed = {e.uid: e for e in await sue.escalations(EscalationFilter())}
        assert nul.uid in listed and "\x00" not in listed[nul.uid].note

        assert (await sue.team.sync_once()).error == ""
        for n, esc in enumerate(escs):  # the senior reviews three offline
            await sue.feedback.record_review(f"rev-{tmp_path.name}-{n}", esc.uid, "bug_outage", f"cause {n}", False,
                                             "sue")
        real_add, calls = sue.team.store.add_review, 0

        async def cut_after_first(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            if calls > 1:
                raise TeamStoreError("the connection dropped")
            return await real_add(*args, **kwargs)

        sue.team.store.add_review = cut_after_first  # type: ignore[method-assign]
        assert (await sue.team.sync_once()).error  # cut off after the first review
        sue.team.store.add_review = real_add  # type: ignore[method-assign]
        status = await sue.team.sync_once()
        assert not status.error and status.pending == 0, status
        reviewed = {e.uid: e for e in await sue.team.store.escalations(EscalationFilter(), "demo")}
        assert all(reviewed[e.uid].reviewed_reason == "bug_outage" for e in escs)
    finally:
        for s in (ann, sue):
            await s.aclose()


async def test_the_database_says_who_wrote_a_row(team, tmp_path) -> None:
    """Issue 25: agent and reviewer were free text. Straight SQL as each role, not only through the app."""
    async with await psycopg.AsyncConnection.connect(_user_url(team, "bob_agent"), password=PASSWORDS["bob_agent"],
                                                     autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO assist.escalations (uid, workspace, ticket_id, intent, tier, model, route_reasons, "
            "draft_state, draft_text, reason, note, suggested_reason, written_back, agent, created_at, week) "
            "VALUES ('forged-1', 'demo', '1', 'other', 'fast', '', '', 'none', '', 'other', '', '', false, "
            "'ann', '2020-01-06', '2020-W02')")
        row = await (await conn.execute("SELECT agent, received_at > now() - interval '1 minute', week, "
                                        "created_at > now() - interval '1 minute' FROM assist.escalations "
                                        "WHERE uid = 'forged-1'")).fetchone()
        from datetime import UTC, datetime

        from assist.text import iso_week

        # the login, the server's receipt time, and the week it arrived (not the backdated 2020-W02)
        assert row == ("bob_agent", True, iso_week(datetime.now(UTC)), True)
    # ... and the lead's report for that week says a row came with a clock it did not believe
    lead = TeamStore(_user_url(team, "lee_lead"), PASSWORDS["lee_lead"])
    report = await team_report(lead, iso_week(datetime.now(UTC)))
    assert report.clock_adjusted >= 1
    from assist.reports import to_html

    assert "clock was outside the accepted window" in to_html(report)
    async with await psycopg.AsyncConnection.connect(_user_url(team, "sue_senior"), password=PASSWORDS["sue_senior"],
                                                     autocommit=True) as conn:
        await conn.execute("INSERT INTO assist.reviews (uid, escalation_uid, reason, root_cause, flow_needs_fixing, "
                           "reviewer) VALUES ('forged-r', 'forged-1', 'other', '', false, 'lee (team lead)')")
        reviewer = (await (await conn.execute("SELECT reviewer FROM assist.reviews WHERE uid = 'forged-r'"))
                    .fetchone())[0]
        assert reviewer == "sue_senior"


async def test_a_review_dated_2099_moves_no_cursor(team, tmp_path) -> None:
    """Issue 25: a review inserted with a far-future date moved every desk's pull cursor past later reviews."""
    ann = _desk(tmp_path / "ann4", team, "ann_agent")
    try:
        first, second = await _escalate(ann, "1005"), await _escalate(ann, "1006")
        assert not (await ann.team.sync_once()).error
        async with await psycopg.AsyncConnection.connect(_user_url(team, "sue_senior"),
                                                         password=PASSWORDS["sue_senior"], autocommit=True) as conn:
            await conn.execute("INSERT INTO assist.reviews (uid, escalation_uid, reason, root_cause, "
                               "flow_needs_fixing, reviewer, created_at) VALUES (%s, %s, 'bug_outage', '', false, "
                               "'sue', '2099-01-01')", (f"future-{tmp_path.name}", first.uid))
            assert not (await ann.team.sync_once()).error  # the desk pulls it
            await conn.execute("INSERT INTO assist.reviews (uid, escalation_uid, reason, root_cause, "
                               "flow_needs_fixing, reviewer) VALUES (%s, %s, 'policy_exception', '', false, 'sue')",
                               (f"later-{tmp_path.name}", second.uid))
        assert not (await ann.team.sync_once()).error
        import sqlite3

        with sqlite3.connect(ann.paths.journal_file) as db:
            got = {r[0] for r in db.execute("SELECT uid FROM escalation_reviews")}
        assert {f"future-{tmp_path.name}", f"later-{tmp_path.name}"} <= got  # the later one was not skipped
    finally:
        await ann.aclose()


async def test_a_row_the_server_refuses_is_set_aside_and_the_rest_keep_flowing(team, tmp_path) -> None:
    """Issue 25: a row the team store refuses for its content (here a damaged time from an older journal)
    is set aside with the server's reason, shown in the desk's sync status; the rows around it arrive."""
    ann = _desk(tmp_path / "ann5", team, "ann_agent")
    try:
        before = await _escalate(ann, "1001")
        bad = await _escalate(ann, "1002")
        after = await _escalate(ann, "1003")
        await ann.journal._db.run(lambda c: c.execute("UPDATE escalations SET created_at = 'yesterday-ish' "
                                                      "WHERE uid = ?", (bad.uid,)))
        status = await ann.team.sync_once()
        assert not status.error and status.pending == 0, status
        assert status.set_aside == 1 and "set aside" in status.text() and "timestamp" in status.text()
        stored = {e.uid for e in await ann.team.store.escalations(EscalationFilter(), "demo")}
        assert before.uid in stored and after.uid in stored and bad.uid not in stored
        assert [r[1] for r in await ann.team.refused()] == [bad.uid]
        assert (await ann.team.sync_once()).set_aside == 1  # said again, never re-sent in a loop
    finally:
        await ann.aclose()
