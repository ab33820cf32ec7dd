"""Write journal rows with chosen values and times, through the real schema (for report tests)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime
from pathlib import Path

from assist.journal import Journal
from assist.text import iso_week


def new_journal(path: Path) -> sqlite3.Connection:
    journal = Journal(path, "demo")
    journal.schema_version()  # opening creates and migrates the file
    journal.close()
    conn = sqlite3.connect(path, isolation_level=None)
    return conn


def outcome(conn: sqlite3.Connection, ticket: str, when: datetime, outcome: str, ratio: float, seconds: float,
            tier: str = "offline", model: str = "offline", intent: str = "where_is_my_order", uid: str = "",
            agent: str = "sam") -> str:
    uid = uid or uuid.uuid4().hex
    conn.execute("INSERT INTO draft_outcomes (uid, workspace, ticket_id, intent, tier, model, outcome, edit_ratio, "
                 "opened_at, sent_at, seconds_to_send, agent, week) "
                 "VALUES (?, 'demo', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (uid, ticket, intent, tier, model, outcome, ratio, when.isoformat(), when.isoformat(), seconds,
                  agent, iso_week(when)))
    return uid


def escalation(conn: sqlite3.Connection, ticket: str, when: datetime, reason: str, intent: str, tier: str,
               model: str = "", agent: str = "sam") -> str:
    uid = uuid.uuid4().hex
    conn.execute("INSERT INTO escalations (uid, workspace, ticket_id, intent, tier, model, route_reasons, "
                 "draft_state, draft_text, reason, note, suggested_reason, written_back, agent, created_at, week) "
                 "VALUES (?, 'demo', ?, ?, ?, ?, '[]', 'none', '', ?, '', '', 0, ?, ?, ?)",
                 (uid, ticket, intent, tier, model, reason, agent, when.isoformat(), iso_week(when)))
    return uid


def review(conn: sqlite3.Connection, escalation_uid: str, reason: str, note: str, fix: bool, when: datetime) -> None:
    conn.execute("INSERT INTO escalation_reviews VALUES (?, ?, ?, ?, ?, 'lee', ?)",
                 (uuid.uuid4().hex, escalation_uid, reason, note, int(fix), when.isoformat()))


def draft_run(conn: sqlite3.Connection, ticket: str, when: datetime, tier: str, model: str, cost: float,
              intent: str = "refund") -> None:
    conn.execute(
        "INSERT INTO draft_runs (workspace, ticket_id, agent, tier, model, intent, reasons, grounded, citations, "
        "unknown_citations, uncited_claims, cost_usd, latency_ms, error, created_at, uid, week) "
        "VALUES ('demo', ?, 'sam', ?, ?, ?, '[]', 1, ?, 0, 0, ?, 100, '', ?, ?, ?)",
        (ticket, tier, model, intent, json.dumps([]), cost, when.isoformat(), uuid.uuid4().hex, iso_week(when)))
