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
from assist.journal_schema import MIGRATIONS, SCHEMA_VERSION
from assist.text import iso_week

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Journal", "health", "migrate", "now_iso", "open_read_only"]



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


def now_iso() -> str:
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
                    (self.workspace, ticket_id, body, now_iso()),
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
                (self.workspace, ticket_id, kind, body, agent, now_iso()),
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
        now = now_iso()

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
