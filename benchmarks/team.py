"""The team store at scale (issue 17), on a real PostgreSQL (packaging/pg/pg-up.sh):

1. 50 agents x one week of events (draft outcomes, draft runs, escalations, action audits) written to 50
   journals, then pushed through each desk's outbox (TeamSync.push, 10 desks at a time): rows/s.
2. The weekly report (with its ten weeks of trends) from the team store as a lead: first over those
   rows (the same-run baseline), then after bulk-loading history up to 5M rows (a large team's year):
   target <= 1 s.

    python benchmarks/team.py [--rows 5000000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from _common import ROOT, private_dirs

from assist.journal import Journal
from assist.reports import team_report
from assist.team.store import TeamStore
from assist.team.sync import TeamSync
from assist.text import iso_week

AGENTS, PER_AGENT_TICKETS = 50, 150
INTENTS = ["billing", "delivery", "login", "cancel", "plan", "refund", "bug", "address"]
TIERS = [("offline", "offline"), ("fast", "mini"), ("frontier", "big")]
WEEK_START = datetime(2026, 11, 16, 9, tzinfo=UTC)


def desk_journal(path: Path, agent: str, rnd: random.Random) -> int:
    j = Journal(path, "team")
    j.schema_version()
    j.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    rows = 0
    for n in range(PER_AGENT_TICKETS):
        t = WEEK_START + timedelta(seconds=rnd.randrange(5 * 86400))
        tier, model = TIERS[rnd.randrange(3)]
        intent = rnd.choice(INTENTS)
        ticket = f"{agent}-{n}"
        outcome = rnd.choice(["unchanged", "edited", "edited", "discarded"])
        conn.execute("INSERT INTO draft_outcomes (uid, workspace, ticket_id, intent, tier, model, outcome, "
                     "edit_ratio, opened_at, sent_at, seconds_to_send, agent, week) VALUES (?, 'team', ?, ?, ?, ?, "
                     "?, ?, ?, ?, ?, ?, ?)",
                     (uuid.uuid4().hex, ticket, intent, tier, model, outcome, rnd.random(), t.isoformat(),
                      t.isoformat(), rnd.expovariate(1 / 900), agent, iso_week(t)))
        conn.execute("INSERT INTO draft_runs (workspace, ticket_id, agent, tier, model, intent, reasons, grounded, "
                     "citations, unknown_citations, uncited_claims, cost_usd, latency_ms, error, created_at, uid, "
                     "week) VALUES ('team', ?, ?, ?, ?, ?, '[]', 1, '[]', 0, 0, ?, 900, '', ?, ?, ?)",
                     (ticket, agent, tier, model, intent, rnd.random() / 500, t.isoformat(), uuid.uuid4().hex,
                      iso_week(t)))
        conn.execute("INSERT INTO action_audit (workspace, ticket_id, proposal_id, action, event, detail, agent, "
                     "created_at) VALUES ('team', ?, ?, 'lookup_order', 'succeeded', '{}', ?, ?)",
                     (ticket, uuid.uuid4().hex, agent, t.isoformat()))
        rows += 3
        if n % 10 == 0:
            conn.execute("INSERT INTO escalations (uid, workspace, ticket_id, intent, tier, model, route_reasons, "
                         "draft_state, draft_text, reason, note, suggested_reason, written_back, agent, created_at, "
                         "week, transcript) VALUES (?, 'team', ?, ?, ?, ?, '[]', 'edited', 'draft', "
                         "'missing_data', '', '', 0, ?, ?, ?, 'Escalated by Assist')",
                         (uuid.uuid4().hex, ticket, intent, tier, model, agent, t.isoformat(), iso_week(t)))
            rows += 1
    conn.execute("COMMIT")
    conn.close()
    return rows


BULK = """
INSERT INTO assist.{table} SELECT {select} FROM generate_series(1, %s) AS g(i)
"""
SELECTS = {
    "draft_outcomes": "md5(random()::text || i), 'agent' || (i %% 50), 'team', (i %% 200000)::text, "
                      "(ARRAY['billing','delivery','login','cancel','plan','refund','bug','address'])[1 + i %% 8], "
                      "(ARRAY['offline','fast','frontier'])[1 + i %% 3], (ARRAY['offline','mini','big'])[1 + i %% 3], "
                      "(ARRAY['unchanged','edited','discarded'])[1 + i %% 3], random(), "
                      "now() - (i %% 365) * interval '1 day', now() - (i %% 365) * interval '1 day', random() * 900, "
                      "'agent' || (i %% 50), to_char(now() - (i %% 365) * interval '1 day', 'IYYY-\"W\"IW')",
    "draft_runs": "md5(random()::text || i), 'agent' || (i %% 50), 'team', (i %% 200000)::text, "
                  "(ARRAY['offline','fast','frontier'])[1 + i %% 3], (ARRAY['offline','mini','big'])[1 + i %% 3], "
                  "(ARRAY['billing','delivery','login','cancel','plan','refund','bug','address'])[1 + i %% 8], "
                  "random() / 500, 900, true, '', 'agent' || (i %% 50), now() - (i %% 365) * interval '1 day', "
                  "to_char(now() - (i %% 365) * interval '1 day', 'IYYY-\"W\"IW')",
    "escalations": "md5(random()::text || i), 'agent' || (i %% 50), 'team', (i %% 200000)::text, "
                   "(ARRAY['billing','delivery','login','cancel','plan','refund','bug','address'])[1 + i %% 8], "
                   "(ARRAY['offline','fast','frontier'])[1 + i %% 3], (ARRAY['offline','mini','big'])[1 + i %% 3], "
                   "'[]', 'edited', 'draft', (ARRAY['missing_data','bug_outage','other'])[1 + i %% 3], '', '', "
                   "false, 'agent' || (i %% 50), 'transcript', now() - (i %% 365) * interval '1 day', "
                   "to_char(now() - (i %% 365) * interval '1 day', 'IYYY-\"W\"IW')",
}


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    args = parser.parse_args()
    root = private_dirs()
    env = subprocess.run(["bash", str(ROOT / "packaging" / "pg" / "pg-up.sh")], capture_output=True, text=True)
    if env.returncode:
        print(env.stderr)
        return 1
    values = dict(line.split("=", 1) for line in Path("/tmp/assist-pg/pg.env").read_text().split() if "=" in line)
    admin = values["PG_ADMIN_URL"]
    db = f"assist_bench_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {db}")
    admin_db = admin.rsplit("/", 1)[0] + f"/{db}"
    host = admin_db.split("@", 1)[1]
    try:
        await TeamStore(admin_db).init()
        for n in range(AGENTS):
            await TeamStore(admin_db).add_user(f"agent{n}", "agent", "bench-pass-1")
        await TeamStore(admin_db).add_user("lead0", "lead", "bench-pass-1")
        rnd = random.Random(3)
        desks = []
        total = 0
        for n in range(AGENTS):
            path = root / f"desk{n}.db"
            total += desk_journal(path, f"agent{n}", rnd)
            desks.append(TeamSync(Journal(path, "team"), TeamStore(f"postgresql://agent{n}@{host}", "bench-pass-1")))
        sem = asyncio.Semaphore(10)

        async def push(d: TeamSync) -> int:
            async with sem:
                return await d.push()

        started = time.perf_counter()
        pushed = sum(await asyncio.gather(*(push(d) for d in desks)))
        secs = time.perf_counter() - started
        for d in desks:
            d.journal.close()
        print(f"outbox: {AGENTS} desks x one week = {pushed:,} rows pushed in {secs:.1f} s "
              f"({pushed / secs:,.0f} rows/s); {total:,} rows written")
        lead = TeamStore(f"postgresql://lead0@{host}", "bench-pass-1")
        week = iso_week(WEEK_START)
        started = time.perf_counter()
        small = await team_report(lead, week)
        base = time.perf_counter() - started
        print(f"report from the team store at {pushed:,} rows: {base * 1000:.0f} ms "
              f"({small.replies_sent:,} replies, {small.escalations:,} escalations)")
        per = {"draft_outcomes": 0.6, "draft_runs": 0.3, "escalations": 0.1}
        started = time.perf_counter()
        with psycopg.connect(admin_db, autocommit=True) as conn:
            for table, share in per.items():
                conn.execute(BULK.format(table=table, select=SELECTS[table]), (int(args.rows * share),))
            conn.execute("ANALYZE")
        print(f"bulk history: {args.rows:,} rows loaded in {time.perf_counter() - started:.0f} s")
        times = []
        for _ in range(3):
            started = time.perf_counter()
            big = await team_report(lead, week)
            times.append(time.perf_counter() - started)
        best = min(times)
        print(f"report from the team store at {args.rows + pushed:,} rows: {best * 1000:.0f} ms (best of 3; "
              f"{big.replies_sent:,} replies that week) -> {best / base:.1f}x the {pushed:,}-row store; "
              f"{'met' if best <= 1.0 else 'not met'} (<= 1 s)")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
