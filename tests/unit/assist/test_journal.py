import sqlite3
from pathlib import Path

import pytest

from assist.domain import TicketId
from assist.errors import JournalError
from assist.journal import SCHEMA_VERSION, Journal, migrate

T = TicketId("1001")


async def test_draft_survives_reopen_and_is_cleared_by_send(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    j = Journal(path, "demo")
    await j.save_draft(T, "Hi Maria, your order")
    await j.save_draft(T, "Hi Maria, your order shipped")
    j.close()

    j = Journal(path, "demo")
    draft = await j.load_draft(T)
    assert draft is not None and draft.body == "Hi Maria, your order shipped"
    await j.record_sent(T, "reply", draft.body, "sam")
    assert await j.load_draft(T) is None
    assert await j.sent_count(T) == 1
    j.close()


async def test_drafts_are_per_workspace(tmp_path: Path) -> None:
    a, b = Journal(tmp_path / "j.db", "demo"), Journal(tmp_path / "j.db", "zendesk")
    await a.save_draft(T, "demo text")
    assert await b.load_draft(T) is None
    a.close()
    b.close()


async def test_empty_draft_deletes(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db", "demo")
    await j.save_draft(T, "x")
    await j.save_draft(T, "   ")
    assert await j.load_draft(T) is None
    j.close()


def test_wal_mode_and_schema_version(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db", "demo")
    assert j.schema_version() == SCHEMA_VERSION
    j.close()
    conn = sqlite3.connect(tmp_path / "j.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_migrations_apply_in_order_and_keep_rows(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "j.db", isolation_level=None)
    v1 = ("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",)
    assert migrate(conn, v1) == 1
    conn.execute("INSERT INTO notes (body) VALUES ('kept')")
    v2 = (*v1, "ALTER TABLE notes ADD COLUMN agent TEXT DEFAULT 'unknown'")
    assert migrate(conn, v2) == 2
    assert conn.execute("SELECT body, agent FROM notes").fetchone() == ("kept", "unknown")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2


def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "j.db", isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, ("CREATE TABLE a (x); CREATE TABLE a (y)",))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name='a'").fetchone()[0] == 0


def test_newer_journal_is_refused_untouched(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "j.db", isolation_level=None)
    conn.execute("PRAGMA user_version = 99")
    with pytest.raises(JournalError, match="newer Assist"):
        migrate(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 99
