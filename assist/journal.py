"""The local journal: drafts (autosaved), sent replies and notes. SQLite in WAL mode.

Schema changes are numbered migrations applied in order and recorded in ``PRAGMA user_version``; a
journal written by an older Assist is upgraded in place, a newer one is refused rather than damaged.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

from assist.db import SqliteWorker, connect, statements
from assist.domain import Draft, DraftRecord, Route, TicketId
from assist.errors import JournalError
from assist.text import iso_week

MIGRATIONS: tuple[str, ...] = (
    # 1: drafts and what was sent
    """
    CREATE TABLE drafts (
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace, ticket_id)
    );
    CREATE TABLE sent (
        id INTEGER PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('reply', 'note')),
        body TEXT NOT NULL,
        agent TEXT NOT NULL,
        sent_at TEXT NOT NULL
    );
    CREATE INDEX sent_ticket ON sent (workspace, ticket_id);
    """,
    # 2: every draft the assistant produced: route, model, grounding, cost and latency
    """
    CREATE TABLE draft_runs (
        id INTEGER PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        agent TEXT NOT NULL,
        tier TEXT NOT NULL,
        model TEXT NOT NULL,
        intent TEXT NOT NULL,
        reasons TEXT NOT NULL,
        grounded INTEGER NOT NULL,
        citations TEXT NOT NULL,
        unknown_citations INTEGER NOT NULL,
        uncited_claims INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        latency_ms INTEGER NOT NULL,
        error TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX draft_runs_ticket ON draft_runs (workspace, ticket_id);
    CREATE INDEX draft_runs_created ON draft_runs (created_at);
    """,
    # 3: AI Actions: proposals and the audit trail of everything done with them
    """
    CREATE TABLE action_proposals (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        action TEXT NOT NULL,
        title TEXT NOT NULL,
        risk TEXT NOT NULL,
        params TEXT NOT NULL,
        why TEXT NOT NULL,
        source TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        idempotency_key TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX action_proposals_ticket ON action_proposals (workspace, ticket_id);
    CREATE TABLE action_audit (
        id INTEGER PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        proposal_id TEXT NOT NULL,
        action TEXT NOT NULL,
        event TEXT NOT NULL,
        detail TEXT NOT NULL,
        agent TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX action_audit_ticket ON action_audit (workspace, ticket_id);
    """,
    # 4: the feedback loop. Rows carry a random uid so journals from several agents merge without
    # double counting, and their ISO week so a weekly report reads one index range.
    """
    ALTER TABLE draft_runs ADD COLUMN uid TEXT;
    UPDATE draft_runs SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
    ALTER TABLE draft_runs ADD COLUMN week TEXT;
    UPDATE draft_runs SET week = iso_week(created_at) WHERE week IS NULL;
    CREATE UNIQUE INDEX draft_runs_uid ON draft_runs (uid);
    CREATE INDEX draft_runs_week ON draft_runs (week);
    CREATE TABLE escalations (
        uid TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        intent TEXT NOT NULL,
        tier TEXT NOT NULL,
        model TEXT NOT NULL,
        route_reasons TEXT NOT NULL,
        draft_state TEXT NOT NULL,
        draft_text TEXT NOT NULL,
        reason TEXT NOT NULL,
        note TEXT NOT NULL,
        suggested_reason TEXT NOT NULL,
        written_back INTEGER NOT NULL,
        agent TEXT NOT NULL,
        created_at TEXT NOT NULL,
        week TEXT NOT NULL
    );
    CREATE INDEX escalations_week ON escalations (week);
    CREATE TABLE escalation_reviews (
        uid TEXT PRIMARY KEY,
        escalation_uid TEXT NOT NULL,
        reason TEXT NOT NULL,
        root_cause TEXT NOT NULL,
        flow_needs_fixing INTEGER NOT NULL,
        reviewer TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX escalation_reviews_escalation ON escalation_reviews (escalation_uid);
    CREATE TABLE draft_outcomes (
        uid TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        intent TEXT NOT NULL,
        tier TEXT NOT NULL,
        model TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('unchanged', 'edited', 'discarded', 'no_draft')),
        edit_ratio REAL NOT NULL,
        opened_at TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        seconds_to_send REAL NOT NULL,
        agent TEXT NOT NULL,
        week TEXT NOT NULL
    );
    CREATE INDEX draft_outcomes_week ON draft_outcomes (week);
    """,
    # 5: actions are bound to the ticket's requester (ownership is checked against it at approval) and
    # keep the customer-facing wording of their result for the draft.
    """
    ALTER TABLE action_proposals ADD COLUMN requester TEXT NOT NULL DEFAULT '';
    ALTER TABLE action_proposals ADD COLUMN customer_text TEXT NOT NULL DEFAULT ''
    """,
    # 6: the team store (assist.team): escalations keep their transcript; the outbox is the journal itself,
    # rows after the last rowid the server acknowledged per table; the journal's own id makes integer-keyed
    # rows (the action audit) unique across desks.
    """
    ALTER TABLE escalations ADD COLUMN transcript TEXT NOT NULL DEFAULT '';
    CREATE TABLE team_sync (tbl TEXT PRIMARY KEY, last_rowid INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('journal_uid', lower(hex(randomblob(16))))
    """,
    # 7: weekly rollups for the report's trends (the team store keeps the same ones): kept by triggers as
    # rows arrive, so ten weeks of trends read a few hundred rows however large the journal grows.
    """
    CREATE TABLE rollup_cells (week TEXT, intent TEXT, tier TEXT, model TEXT, replies INTEGER NOT NULL DEFAULT 0,
        light INTEGER NOT NULL DEFAULT 0, tickets INTEGER NOT NULL DEFAULT 0, cost REAL NOT NULL DEFAULT 0,
        escalations INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (week, intent, tier, model)) WITHOUT ROWID;
    CREATE TABLE rollup_cell_tickets (week TEXT, intent TEXT, tier TEXT, model TEXT, workspace TEXT, ticket_id TEXT,
        PRIMARY KEY (week, intent, tier, model, workspace, ticket_id)) WITHOUT ROWID;
    CREATE TABLE rollup_weeks (week TEXT PRIMARY KEY, tickets INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    CREATE TABLE rollup_week_tickets (week TEXT, workspace TEXT, ticket_id TEXT,
        PRIMARY KEY (week, workspace, ticket_id)) WITHOUT ROWID;
    INSERT INTO rollup_cells (week, intent, tier, model, replies, light)
        SELECT week, intent, tier, model, count(*), sum(outcome = 'unchanged' OR (outcome = 'edited'
        AND edit_ratio >= 0.8)) FROM draft_outcomes GROUP BY 1, 2, 3, 4;
    INSERT INTO rollup_cell_tickets SELECT DISTINCT week, intent, tier, model, workspace, ticket_id
        FROM draft_outcomes;
    UPDATE rollup_cells SET tickets = (SELECT count(*) FROM rollup_cell_tickets t WHERE t.week = rollup_cells.week
        AND t.intent = rollup_cells.intent AND t.tier = rollup_cells.tier AND t.model = rollup_cells.model);
    INSERT INTO rollup_week_tickets SELECT DISTINCT week, workspace, ticket_id FROM draft_outcomes;
    INSERT INTO rollup_weeks SELECT week, count(*) FROM rollup_week_tickets GROUP BY week;
    INSERT INTO rollup_cells (week, intent, tier, model, cost) SELECT week, intent, tier, model, sum(cost_usd)
        FROM draft_runs WHERE true GROUP BY 1, 2, 3, 4
        ON CONFLICT (week, intent, tier, model) DO UPDATE SET cost = cost + excluded.cost;
    INSERT INTO rollup_cells (week, intent, tier, model, escalations) SELECT week, intent, tier, model, count(*)
        FROM escalations WHERE true GROUP BY 1, 2, 3, 4
        ON CONFLICT (week, intent, tier, model) DO UPDATE SET escalations = escalations + excluded.escalations;
    CREATE TRIGGER rollup_outcome AFTER INSERT ON draft_outcomes BEGIN
        INSERT INTO rollup_cells (week, intent, tier, model) VALUES (NEW.week, NEW.intent, NEW.tier, NEW.model)
            ON CONFLICT DO NOTHING;
        UPDATE rollup_cells SET replies = replies + 1,
            light = light + (NEW.outcome = 'unchanged' OR (NEW.outcome = 'edited' AND NEW.edit_ratio >= 0.8)),
            tickets = tickets + NOT EXISTS (SELECT 1 FROM rollup_cell_tickets t WHERE t.week = NEW.week
                AND t.intent = NEW.intent AND t.tier = NEW.tier AND t.model = NEW.model
                AND t.workspace = NEW.workspace AND t.ticket_id = NEW.ticket_id)
            WHERE week = NEW.week AND intent = NEW.intent AND tier = NEW.tier AND model = NEW.model;
        INSERT OR IGNORE INTO rollup_cell_tickets VALUES (NEW.week, NEW.intent, NEW.tier, NEW.model, NEW.workspace,
            NEW.ticket_id);
        INSERT INTO rollup_weeks (week) VALUES (NEW.week) ON CONFLICT DO NOTHING;
        UPDATE rollup_weeks SET tickets = tickets + 1 WHERE week = NEW.week AND NOT EXISTS (SELECT 1 FROM
            rollup_week_tickets t WHERE t.week = NEW.week AND t.workspace = NEW.workspace
            AND t.ticket_id = NEW.ticket_id);
        INSERT OR IGNORE INTO rollup_week_tickets VALUES (NEW.week, NEW.workspace, NEW.ticket_id);
    END;
    CREATE TRIGGER rollup_run AFTER INSERT ON draft_runs BEGIN
        INSERT INTO rollup_cells (week, intent, tier, model, cost) VALUES (NEW.week, NEW.intent, NEW.tier,
            NEW.model, NEW.cost_usd) ON CONFLICT (week, intent, tier, model) DO UPDATE SET cost = cost + excluded.cost;
    END;
    CREATE TRIGGER rollup_escalation AFTER INSERT ON escalations BEGIN
        INSERT INTO rollup_cells (week, intent, tier, model, escalations) VALUES (NEW.week, NEW.intent, NEW.tier,
            NEW.model, 1) ON CONFLICT (week, intent, tier, model) DO UPDATE SET escalations = escalations + 1;
    END
    """,
    # 8: covering indexes for the weekly report: a week's figures are read from index pages in order
    # instead of one table lookup per row (5M rows: 2.5 s -> see docs/performance.md)
    """
    CREATE INDEX draft_outcomes_week_report ON draft_outcomes (week, uid, workspace, ticket_id, outcome,
        edit_ratio, seconds_to_send);
    CREATE INDEX draft_runs_week_report ON draft_runs (week, uid, workspace, ticket_id, tier, model, cost_usd);
    CREATE INDEX escalations_week_report ON escalations (week, uid, reason);
    CREATE INDEX escalation_reviews_latest ON escalation_reviews (escalation_uid, created_at, reason, root_cause);
    """,
    # 9: rows the team store refused for their content (an invalid value, a broken constraint): set aside with
    # the server's reason, so the rest of the outbox keeps flowing and the desk can say which and why
    """
    CREATE TABLE team_refused (tbl TEXT NOT NULL, uid TEXT NOT NULL, reason TEXT NOT NULL,
        refused_at TEXT NOT NULL, PRIMARY KEY (tbl, uid));
    """,
    # 10: the weekly report's per-agent table reads the agent from the same covering index
    """
    DROP INDEX IF EXISTS draft_outcomes_week_report;
    CREATE INDEX draft_outcomes_week_report ON draft_outcomes (week, uid, workspace, ticket_id, outcome,
        edit_ratio, seconds_to_send, agent);
    """,
    # 11: a reply that solved the ticket keeps when the helpdesk says the ticket was created, so the report can
    # give the helpdesk's own created -> solved time beside the open-to-send time
    """
    ALTER TABLE draft_outcomes ADD COLUMN ticket_created_at TEXT NOT NULL DEFAULT '';
    ALTER TABLE draft_outcomes ADD COLUMN solved INTEGER NOT NULL DEFAULT 0;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def open_read_only(path: Path) -> sqlite3.Connection:
    """A journal for reading (reports): the file read-only; an older journal is upgraded in a private
    in-memory copy, never in place."""
    if not path.exists():
        raise FileNotFoundError(f"no journal at {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    if conn.execute("PRAGMA user_version").fetchone()[0] < 4:  # before the feedback tables: copied (small)
        mem = sqlite3.connect(":memory:", isolation_level=None)
        conn.backup(mem)
        conn.close()
        migrate(mem)
        conn = mem
    conn.row_factory = sqlite3.Row
    return conn


def migrate(conn: sqlite3.Connection, migrations: tuple[str, ...] = MIGRATIONS) -> int:
    """Bring the schema up to date; returns the version reached."""
    conn.create_function("iso_week", 1, iso_week, deterministic=True)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise JournalError(
            f"The journal was written by a newer Assist (schema {version}, this one knows "
            f"{len(migrations)}). Update Assist; the journal was left untouched."
        )
    for number, script in enumerate(migrations[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
    return len(migrations)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


log = logging.getLogger(__name__)


def is_corrupt(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and any(
        w in text for w in ("not a database", "malformed", "corrupt", "disk image"))


def salvage(damaged: Path, fresh: sqlite3.Connection) -> int:
    """Copy every row that can still be read from a damaged journal into a fresh one; rows read."""
    saved = 0
    try:
        old = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
        tables = [r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    except sqlite3.Error:
        return 0
    wanted = {r[0] for r in fresh.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in tables:
        if table not in wanted:
            continue
        cols = [r[1] for r in fresh.execute(f"PRAGMA table_info({table})")]
        try:
            have = [r[1] for r in old.execute(f"PRAGMA table_info({table})")]
            common = [c for c in cols if c in have]
            rows = old.execute(f"SELECT {', '.join(common)} FROM {table}")
            while True:
                try:
                    row = rows.fetchone()
                except sqlite3.Error:
                    break  # the rest of this table is unreadable
                if row is None:
                    break
                try:
                    fresh.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(common)}) "
                                  f"VALUES ({', '.join('?' * len(common))})", row)
                    saved += 1
                except sqlite3.Error:
                    continue
        except sqlite3.Error:
            continue
    old.close()
    return saved


def open_journal(path: Path) -> tuple[sqlite3.Connection, str]:
    """Open (and migrate) the journal; a damaged one is set aside, a fresh one started and what can be
    read of the old one copied over. Returns the connection and a notice for the agent ('' if none)."""
    conn: sqlite3.Connection | None = None
    try:
        conn = connect(path)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        migrate(conn)
        return conn, ""
    except sqlite3.DatabaseError as exc:
        if not is_corrupt(exc):
            raise
        if conn is not None:
            conn.close()
    return recover(path)


def recover(path: Path) -> tuple[sqlite3.Connection, str]:
    """Set a damaged journal aside, start a fresh one, copy over what can be read; (connection, notice)."""
    aside = path.with_name(f"{path.stem}.damaged-{datetime.now():%Y%m%d-%H%M%S}{path.suffix}")
    path.rename(aside)
    for extra in ("-wal", "-shm"):
        side = path.with_name(path.name + extra)
        if side.exists():
            side.rename(aside.with_name(aside.name + extra))
    conn = connect(path)
    migrate(conn)
    rows = salvage(aside, conn)
    notice = (f"The journal was damaged. It was kept aside as {aside.name} and a new one started; "
              f"{rows} records could be read from the old one and were copied over.")
    log.error(notice)
    return conn, notice


class Journal:
    """Async facade over the journal file; every call runs on the journal's own worker thread."""

    def __init__(self, path: Path, workspace: str) -> None:
        self.path = path
        self.workspace = workspace
        self.notice = ""  # set when a damaged journal was replaced at open: tell the agent once
        self._db = SqliteWorker(path, opener=self._open, recover=self._recover)

    def _open(self, path: Path) -> sqlite3.Connection:
        conn, notice = open_journal(path)
        self.notice = self.notice or notice
        return conn

    def _recover(self, path: Path, exc: sqlite3.Error) -> sqlite3.Connection | None:
        """Damage met later (a page deep in the file): recover once, then the call is retried."""
        if not is_corrupt(exc):
            return None
        conn, notice = recover(path)
        self.notice = self.notice or notice
        return conn

    async def save_draft(self, ticket_id: TicketId, body: str) -> None:
        def _save(conn: sqlite3.Connection) -> None:
            if body.strip():
                conn.execute(
                    "INSERT INTO drafts (workspace, ticket_id, body, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (workspace, ticket_id) DO UPDATE SET body = excluded.body, "
                    "updated_at = excluded.updated_at",
                    (self.workspace, ticket_id, body, _now()),
                )
            else:
                conn.execute(
                    "DELETE FROM drafts WHERE workspace = ? AND ticket_id = ?",
                    (self.workspace, ticket_id),
                )

        await self._db.run(_save)

    async def load_draft(self, ticket_id: TicketId) -> DraftRecord | None:
        def _load(conn: sqlite3.Connection) -> DraftRecord | None:
            row = conn.execute(
                "SELECT body, updated_at FROM drafts WHERE workspace = ? AND ticket_id = ?",
                (self.workspace, ticket_id),
            ).fetchone()
            if row is None:
                return None
            return DraftRecord(ticket_id, row["body"], datetime.fromisoformat(row["updated_at"]))

        return await self._db.run(_load)

    async def record_sent(self, ticket_id: TicketId, kind: str, body: str, agent: str) -> None:
        """Log a reply/note and drop the draft it came from, in one transaction."""

        def _record(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO sent (workspace, ticket_id, kind, body, agent, sent_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self.workspace, ticket_id, kind, body, agent, _now()),
            )
            conn.execute(
                "DELETE FROM drafts WHERE workspace = ? AND ticket_id = ?",
                (self.workspace, ticket_id),
            )
            conn.execute("COMMIT")

        await self._db.run(_record)

    async def record_draft_run(
        self, ticket_id: TicketId, route: Route, draft: Draft, agent: str
    ) -> None:
        now = _now()

        def _record(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO draft_runs (workspace, ticket_id, agent, tier, model, intent, reasons, "
                "grounded, citations, unknown_citations, uncited_claims, cost_usd, latency_ms, error, "
                "created_at, uid, week) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self.workspace, ticket_id, agent, str(draft.tier), draft.model, route.intent,
                    json.dumps(list(route.reasons)), int(draft.grounded),
                    json.dumps([c.source.id for c in draft.citations]), len(draft.check.unknown),
                    len(draft.check.uncited_claims), draft.cost_usd, draft.latency_ms, draft.error,
                    now, uuid.uuid4().hex, iso_week(now),
                ),
            )

        await self._db.run(_record)

    async def draft_runs(self, ticket_id: TicketId) -> list[dict[str, object]]:
        def _rows(conn: sqlite3.Connection) -> list[dict[str, object]]:
            return [
                dict(r) for r in conn.execute(
                    "SELECT * FROM draft_runs WHERE workspace = ? AND ticket_id = ? ORDER BY id",
                    (self.workspace, ticket_id),
                )
            ]

        return await self._db.run(_rows)

    async def sent_count(self, ticket_id: TicketId | None = None) -> int:
        def _count(conn: sqlite3.Connection) -> int:
            if ticket_id is None:
                return int(conn.execute("SELECT count(*) FROM sent").fetchone()[0])
            return int(
                conn.execute(
                    "SELECT count(*) FROM sent WHERE workspace = ? AND ticket_id = ?",
                    (self.workspace, ticket_id),
                ).fetchone()[0]
            )

        return await self._db.run(_count)

    async def opened(self) -> str:
        """Open the journal now (off the UI thread); the damaged-journal notice, if there was one."""
        await self._db.run(lambda _c: None)
        return self.take_notice()

    def take_notice(self) -> str:
        """The damaged-journal notice, once ('' when there is none)."""
        notice, self.notice = self.notice, ""
        return notice

    def schema_version(self) -> int:
        return int(self._db.call(lambda c: c.execute("PRAGMA user_version").fetchone()[0]))

    def close(self) -> None:
        self._db.close()


def health(path: Path) -> str:
    """'' when the journal file reads cleanly (or doesn't exist yet), else what is wrong. Changes nothing."""
    if not path.exists():
        return ""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"damaged ({exc})"
    return "" if result == "ok" else f"damaged ({result})"
