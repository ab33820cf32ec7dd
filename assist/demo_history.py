"""Weeks of history for the demo workspace's report: a journal of its own, built from a description.

On a fresh install the lead's weekly report and its ten-week trends would be empty. The demo ships a
description of its desk instead of rows (``resources/demo/history.toml``: weeks, volume, agents, intents with
their tier, model, edit and escalation rates, costs, escalation reasons, re-tags), and this module writes a
journal from it dated back from the current week, so the figures are always recent. It is a separate file
(``demo-history.db`` in the data folder), read only by the demo workspace's report: a real workspace's
report never includes it. It is rebuilt when the week turns.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import tomllib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from assist.journal import Journal
from assist.text import iso_week

log = logging.getLogger(__name__)

FILE = "demo-history.db"
_META = "demo_history_week"


def ensure(data_dir: Path, spec: Path, now: datetime | None = None) -> Path | None:
    """The demo history journal for this week (built or rebuilt as needed), or None when it can't be."""
    now = now or datetime.now(UTC)
    path = data_dir / FILE
    week = iso_week(now)
    try:
        if path.exists() and _built_for(path) == week:
            return path
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        build(path, tomllib.loads(spec.read_text("utf-8")), now)
        return path
    except (OSError, sqlite3.Error, tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
        log.warning("Demo history unavailable (%s): the demo report shows this desk's own journal only", exc)
        return None


def _built_for(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (_META,)).fetchone()
        return str(row[0]) if row else ""
    except sqlite3.Error:
        return ""
    finally:
        conn.close()


def build(path: Path, spec: dict[str, Any], now: datetime) -> None:
    """Write the described weeks (the ``weeks`` before ``now``'s) into a new journal at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    journal = Journal(path, "demo")
    journal.schema_version()  # creates and migrates the file
    journal.close()
    rnd = random.Random(int(spec.get("seed", 1)))
    weeks = int(spec["weeks"])
    volume = [int(v) for v in spec["replies_per_week"]]
    agents = list(spec["agents"].items())
    intents = spec["intents"]
    costs = {str(k): float(v) for k, v in spec.get("costs", {}).items()}
    reasons = list(spec["reasons"].items())
    retags = spec.get("retags", {})
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    conn = sqlite3.connect(path)
    try:
        with conn:
            ticket = 5000
            for w in range(weeks):
                start = monday - timedelta(weeks=weeks - w)
                for _ in range(volume[w % len(volume)]):
                    ticket += 1
                    intent = rnd.choices(intents, weights=[float(i["share"]) for i in intents])[0]
                    also = intent.get("also")
                    if isinstance(also, dict) and rnd.random() < float(also.get("share", 0)):
                        intent = {**intent, **{k: v for k, v in also.items() if k != "share"}}
                    agent = rnd.choices([a for a, _ in agents], weights=[float(s) for _, s in agents])[0]
                    opened = start + timedelta(days=rnd.randrange(5), hours=8 + rnd.random() * 9)
                    seconds = max(40.0, rnd.gauss(float(intent["minutes"]) * 60, float(intent["minutes"]) * 20))
                    _reply(conn, rnd, str(ticket), intent, agent, opened, seconds, costs)
                    if rnd.random() < float(intent["escalate"]) * 1.5:
                        _escalation(conn, rnd, str(ticket), intent, agent, opened + timedelta(seconds=seconds),
                                    reasons, retags)
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_META, iso_week(now)))
    finally:
        conn.close()


def _reply(conn: sqlite3.Connection, rnd: random.Random, ticket: str, intent: dict[str, Any], agent: str,
           opened: datetime, seconds: float, costs: dict[str, float]) -> None:
    tier, model = str(intent["tier"]), str(intent["model"])
    sent = opened + timedelta(seconds=seconds)
    if rnd.random() < float(intent["light"]):
        outcome, ratio = ("unchanged", 1.0) if rnd.random() < 0.45 else ("edited", 0.8 + rnd.random() * 0.19)
    else:
        outcome, ratio = ("edited", 0.2 + rnd.random() * 0.55) if rnd.random() < 0.8 else ("discarded", 0.0)
    when = sent.isoformat(timespec="seconds")
    conn.execute("INSERT INTO draft_outcomes (uid, workspace, ticket_id, intent, tier, model, outcome, edit_ratio, "
                 "opened_at, sent_at, seconds_to_send, agent, week) VALUES (?, 'demo', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                 "?)", (uuid.uuid4().hex, ticket, intent["name"], tier, model, outcome, round(ratio, 3),
                        opened.isoformat(timespec="seconds"), when, round(seconds, 1), agent, iso_week(sent)))
    for n in range(1 + (rnd.random() < 0.25)):  # sometimes drafted twice
        cost = costs.get(model, 0.0) * (0.7 + rnd.random() * 0.6)
        conn.execute("INSERT INTO draft_runs (workspace, ticket_id, agent, tier, model, intent, reasons, grounded, "
                     "citations, unknown_citations, uncited_claims, cost_usd, latency_ms, error, created_at, uid, "
                     "week) VALUES ('demo', ?, ?, ?, ?, ?, '[]', 1, '[]', 0, 0, ?, ?, '', ?, ?, ?)",
                     (ticket, agent, tier, model, intent["name"], round(cost, 6), 300 + rnd.randrange(2500),
                      (opened + timedelta(seconds=20 * (n + 1))).isoformat(timespec="seconds"), uuid.uuid4().hex,
                      iso_week(opened)))


def _escalation(conn: sqlite3.Connection, rnd: random.Random, ticket: str, intent: dict[str, Any], agent: str,
                when: datetime, reasons: list[tuple[str, Any]], retags: dict[str, Any]) -> None:
    reason = rnd.choices([r for r, _ in reasons], weights=[float(w) for _, w in reasons])[0]
    uid = uuid.uuid4().hex
    conn.execute("INSERT INTO escalations (uid, workspace, ticket_id, intent, tier, model, route_reasons, draft_state, "
                 "draft_text, reason, note, suggested_reason, written_back, agent, created_at, week) VALUES (?, "
                 "'demo', ?, ?, ?, ?, '[]', 'edited', '', ?, '', ?, 1, ?, ?, ?)",
                 (uid, ticket, intent["name"], intent["tier"], intent["model"], reason, reason, agent,
                  when.isoformat(timespec="seconds"), iso_week(when)))
    if retags and rnd.random() < float(retags.get("share", 0)):
        to = rnd.choice([r for r in retags.get("to", []) if r != reason] or [reason])
        cause = rnd.choice(list(retags.get("root_causes", [""])))
        conn.execute("INSERT INTO escalation_reviews (uid, escalation_uid, reason, root_cause, flow_needs_fixing, "
                     "reviewer, created_at) VALUES (?, ?, ?, ?, ?, 'Lee Chen', ?)",
                     (uuid.uuid4().hex, uid, to, cause, int(rnd.random() < 0.4),
                      (when + timedelta(days=2)).isoformat(timespec="seconds")))
