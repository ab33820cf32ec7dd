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


async def test_damaged_journal_is_replaced_and_readable_rows_salvaged(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    j = Journal(path, "demo")
    for i in range(400):
        await j.save_draft(TicketId(str(i)), f"draft number {i} " + "words " * 40)
    j.close()
    data = bytearray(path.read_bytes())
    page = 4096
    last = len(data) // page
    data[page * (last - 12): page * (last - 10)] = b"\xee" * (page * 2)  # two pages among the drafts
    path.write_bytes(bytes(data))

    j = Journal(path, "demo")
    assert await j.opened() == ""  # the first pages read fine: the damage shows when it is met
    restored = [await j.load_draft(TicketId(str(i))) for i in range(400)]
    notice = j.take_notice()
    assert "kept aside" in notice
    saved = int(notice.split("; ")[1].split()[0])
    assert 0 < saved < 400 + 10
    restored = [await j.load_draft(TicketId(str(i))) for i in range(400)]
    assert sum(r is not None for r in restored) >= 100  # what could be read is back
    await j.save_draft(TicketId("new"), "still works")
    assert (await j.load_draft(TicketId("new"))).body == "still works"
    assert await j.opened() == ""  # told once
    j.close()
    assert len(list(tmp_path.glob("journal.damaged-*.db"))) == 1


async def test_read_only_data_dir_is_one_clear_error(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        # root ignores permission bits: a file where the folder should be fails the same way
        (tmp_path / "data").write_text("not a folder")
        path = tmp_path / "data" / "journal.db"
    else:
        (tmp_path / "ro").mkdir(mode=0o500)
        path = tmp_path / "ro" / "journal.db"
    j = Journal(path, "demo")
    with pytest.raises(JournalError, match="Couldn't use"):
        await j.save_draft(TicketId("1"), "text")
    j.close()


async def test_disk_full_is_a_journal_error_not_a_crash(tmp_path: Path) -> None:
    j = Journal(tmp_path / "journal.db", "demo")
    await j.save_draft(TicketId("1"), "first")

    def _limit(conn) -> None:  # the file may not grow: the next page it needs is refused like a full disk
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")

    await j._db.run(_limit)
    with pytest.raises(JournalError, match="disk is full"):
        for i in range(200):
            await j.save_draft(TicketId(str(i)), "long text " * 400)
    assert (await j.load_draft(TicketId("1"))).body == "first"
    j.close()


async def test_a_superseded_search_really_stops_on_the_database_worker(tmp_path: Path) -> None:
    """Issue 16: a queue search the agent typed past is cancelled on the worker too; the next one
    does not wait behind it. Writes are never interrupted: a cancelled caller's save still lands."""
    import asyncio

    from assist.db import SqliteWorker

    worker = SqliteWorker(tmp_path / "w.db")
    endless = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
               "SELECT count(*) FROM n WHERE i % 7 = 99")  # runs until interrupted
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def search(conn: sqlite3.Connection) -> object:
        loop.call_soon_threadsafe(started.set)
        return conn.execute(endless).fetchone()

    old = asyncio.ensure_future(worker.run(search, interruptible=True))
    await started.wait()
    queued = asyncio.ensure_future(worker.run(lambda c: c.execute(endless).fetchone(), interruptible=True))
    await asyncio.sleep(0.05)
    old.cancel()
    queued.cancel()  # never starts
    assert await worker.run(lambda c: c.execute("SELECT 42").fetchone()[0]) == 42  # not stuck behind them

    def save(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
        conn.execute("INSERT INTO t VALUES (1)")

    write = asyncio.ensure_future(worker.run(save))
    await asyncio.sleep(0)
    write.cancel()
    assert await worker.run(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0]) == 1
    worker.close()
