"""One worker thread per SQLite file, so blocking sqlite calls never run on the event loop.

The connection is opened on the worker thread and only ever used there (SQLite connections are not
shared across threads). Callers ``await worker.run(fn, *args)`` where ``fn(conn, *args)`` does the work.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from assist.errors import JournalError

T = TypeVar("T")
log = logging.getLogger(__name__)


class _Job:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False


class _Skipped(Exception):
    """A job cancelled before or while it ran (its caller is gone)."""


def _retrieve(future: asyncio.Future[Any]) -> None:
    """A shielded job whose caller was cancelled: nobody reads its result, so log a failure here."""
    if not future.cancelled() and future.exception() is not None:
        log.warning("A database job finished after its caller stopped waiting: %s", future.exception())


def translate(exc: sqlite3.Error, path: Path) -> JournalError:
    """A SQLite failure as a message for the agent: what happened to which file, and what to do."""
    text = str(exc).lower()
    if "full" in text:
        why = "the disk is full. Free some space; nothing typed is lost meanwhile"
    elif "locked" in text or "busy" in text:
        why = "another program has it locked. Close other copies of Assist"
    elif "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text:
        why = "it can't be written (read-only folder or missing permission). Check the data folder's permissions"
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        why = "the file is damaged"
    else:
        why = f"SQLite said: {exc}"
    return JournalError(f"Couldn't use {path.name}: {why}.")


def connect(path: Path) -> sqlite3.Connection:
    """Open a SQLite file in WAL mode with sane defaults for a desktop app."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class SqliteWorker:
    """Serialises every call on one SQLite connection through one thread."""

    def __init__(self, path: Path, init: Callable[[sqlite3.Connection], None] | None = None,
                 opener: Callable[[Path], sqlite3.Connection] | None = None,
                 recover: Callable[[Path, sqlite3.Error], sqlite3.Connection | None] | None = None) -> None:
        self.path = path
        self._opener = opener or connect
        self._recover = recover
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{path.stem}")
        self._conn: sqlite3.Connection | None = None
        self._init = init
        self._closed = False
        self._guard = threading.Lock()
        self._running: _Job | None = None

    def _get(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = self._opener(self.path)
            try:
                if self._init is not None:
                    self._init(conn)
            except BaseException:
                conn.close()  # opened again (and the error met again) on the next call
                raise
            self._conn = conn
        return self._conn

    def _do(self, fn: Callable[..., T], *args: object) -> T:
        try:
            try:
                return fn(self._get(), *args)
            except sqlite3.DatabaseError as exc:
                if self._running is not None and self._running.cancelled:  # interrupted on purpose
                    if self._conn is not None and self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise _Skipped from exc
                fresh = self._recover(self.path, exc) if self._recover is not None and self._conn else None
                if fresh is None:
                    raise
                old, self._conn = self._conn, fresh
                if old is not None:
                    old.close()
                return fn(self._conn, *args)
        except sqlite3.Error as exc:
            if self._conn is not None and self._conn.in_transaction:
                try:
                    self._conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise translate(exc, self.path) from exc
        except OSError as exc:  # the folder can't be created or read
            raise JournalError(f"Couldn't use {self.path}: {exc.strerror or exc}.") from exc

    def call(self, fn: Callable[..., T], *args: object) -> T:
        """Run synchronously on the worker (CLI and tests without a loop)."""
        return self._executor.submit(self._do, fn, *args).result()

    async def run(self, fn: Callable[..., T], *args: object, interruptible: bool = False) -> T:
        """Run ``fn(conn, *args)`` on the worker.

        A cancelled ``interruptible`` job (a read whose answer nobody wants any more: a superseded
        queue search on 10k tickets) really stops: still queued, it never starts; running, its SQL
        statement is interrupted, so the agent's next search does not wait behind it. Other jobs
        (writes) run to the end even when their caller is cancelled: nothing typed is lost."""
        loop = asyncio.get_running_loop()
        if not interruptible:
            # Shielded: a caller cancelled while its write waits in the queue (the window closing,
            # a newer save) still has it written; its outcome is logged, never lost silently.
            future = loop.run_in_executor(self._executor, lambda: self._do(fn, *args))
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                future.add_done_callback(_retrieve)
                raise
        job = _Job()

        def work() -> T:
            with self._guard:
                if job.cancelled:
                    raise _Skipped
                self._running = job
            try:
                return self._do(fn, *args)
            finally:
                with self._guard:
                    self._running = None

        future = loop.run_in_executor(self._executor, work)
        try:
            return await future
        except asyncio.CancelledError:
            with self._guard:
                job.cancelled = True
                if self._running is job and self._conn is not None:
                    self._conn.interrupt()  # the statement raises "interrupted"; nobody awaits it
            raise

    def close(self) -> None:
        """Close the connection and stop the thread; closing twice is harmless."""
        if self._closed:
            return
        self._closed = True

        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)


def statements(script: str) -> list[str]:
    """A script's statements, one by one (a trigger's body keeps its own semicolons)."""
    out, buf = [], ""
    for part in script.split(";"):
        buf += part + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                out.append(buf)
            buf = ""
    if buf.strip(" \n;"):
        out.append(buf)
    return out
