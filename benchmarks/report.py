"""Weekly report over a 1M-row journal (target: <= 1 s on a 2-core machine).

Builds a journal with N rows spread over a year (60% draft outcomes, 30% draft runs, 10%
escalations, a fifth of those reviewed), then times build_report for one week. Baseline in the same
run: the same report over a 10k-row journal, so the ratio shows how the report scales with history.

    python benchmarks/report.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assist.journal import Journal
from assist.reports import build_report, export  # noqa: E402
from assist.text import iso_week  # noqa: E402

REASONS = ["customer_frustration", "missing_data", "confusing_flow", "model_misunderstood", "policy_exception",
           "legal_compliance", "bug_outage", "other"]
INTENTS = ["where_is_my_order", "refund", "charged_twice", "cancel_subscription", "change_plan", "login",
           "broken_feature", "address_change", "gdpr", "manager"]
TIERS = [("offline", "offline"), ("fast", "gpt-4o-mini"), ("frontier", "gpt-4o")]


def build(path: Path, rows: int, seed: int = 7) -> None:
    j = Journal(path, "demo")
    j.schema_version()
    j.close()
    rnd = random.Random(seed)
    start = datetime(2025, 12, 1, tzinfo=UTC)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")

    def when() -> datetime:
        return start + timedelta(seconds=rnd.randrange(365 * 86400))

    outcomes, runs, escs, reviews = [], [], [], []
    for i in range(rows):
        kind = i % 10
        t = when()
        ticket = str(rnd.randrange(rows // 4 + 1))
        tier, model = TIERS[rnd.randrange(3)]
        if kind < 6:
            outcome = rnd.choice(["unchanged", "edited", "edited", "discarded", "no_draft"])
            ratio = {"unchanged": 1.0, "no_draft": 0.0}.get(outcome, rnd.random())
            outcomes.append((uuid.uuid4().hex, "demo", ticket, rnd.choice(INTENTS), tier, model, outcome, ratio,
                             t.isoformat(), t.isoformat(), rnd.expovariate(1 / 900), "agent", iso_week(t)))
        elif kind < 9:
            runs.append(("demo", ticket, "agent", tier, model, rnd.choice(INTENTS), "[]", 1, "[]", 0, 0,
                         0.0 if tier == "offline" else rnd.random() / 500, 800, "", t.isoformat(),
                         uuid.uuid4().hex, iso_week(t)))
        else:
            uid = uuid.uuid4().hex
            escs.append((uid, "demo", ticket, rnd.choice(INTENTS), tier, model, "[]", "edited", "", rnd.choice(REASONS),
                         "", "", 0, "agent", t.isoformat(), iso_week(t)))
            if rnd.random() < 0.2:
                reviews.append((uuid.uuid4().hex, uid, rnd.choice(REASONS), "root cause note", 1, "lead",
                                (t + timedelta(days=2)).isoformat()))
    conn.executemany("INSERT INTO draft_outcomes (uid, workspace, ticket_id, intent, tier, model, outcome, edit_ratio, "
                     "opened_at, sent_at, seconds_to_send, agent, week) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     outcomes)
    conn.executemany(
        "INSERT INTO draft_runs (workspace, ticket_id, agent, tier, model, intent, reasons, grounded, citations, "
        "unknown_citations, uncited_claims, cost_usd, latency_ms, error, created_at, uid, week) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", runs)
    conn.executemany(
        "INSERT INTO escalations (uid, workspace, ticket_id, intent, tier, model, route_reasons, draft_state, "
        "draft_text, reason, note, suggested_reason, written_back, agent, created_at, week) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", escs)
    conn.executemany("INSERT INTO escalation_reviews VALUES (?, ?, ?, ?, ?, ?, ?)", reviews)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def time_report(path: Path, week: str, repeat: int = 5) -> tuple[float, float, int]:
    best, total, replies = float("inf"), 0.0, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        report = build_report([path], week)
        export(report, "html")
        elapsed = time.perf_counter() - t0
        best, total, replies = min(best, elapsed), total + elapsed, report.replies_sent
    return best, total / repeat, replies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--journal", type=Path, help="keep the big journal here and reuse it next time "
                                                      "(building 5M rows takes ~7 min)")
    args = parser.parse_args()
    week = "2026-W20"
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "small.db", args.journal or Path(tmp) / "big.db"
        t0 = time.perf_counter()
        if not big.exists():
            build(big, args.rows)
        else:
            Journal(big, "demo").close()  # an older kept journal: migrated as the app would
        built = time.perf_counter() - t0
        build(small, 10_000)
        base_best, base_mean, base_replies = time_report(small, week)
        best, mean, replies = time_report(big, week)
        size = big.stat().st_size / 1e6
    print(f"journal: {args.rows:,} rows, {size:.0f} MB, built in {built:.1f} s")
    print(f"weekly report {week} (build + HTML export): best {best * 1000:.0f} ms, mean {mean * 1000:.0f} ms "
          f"({replies:,} replies that week)")
    print(f"baseline, same report over 10,000 rows: best {base_best * 1000:.1f} ms ({base_replies} replies)")
    print(f"ratio {args.rows // 1_000_000}M/10k: {best / base_best:.1f}x   target <= 1000 ms: "
          f"{'met' if best <= 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
