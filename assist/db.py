"""One worker thread per SQLite file, so blocking sqlite calls never run on the event loop.

The connection is opened on the worker thread and only ever used there (SQLite connections are not
shared across threads). Callers ``await worker.run(fn, *args)`` where ``fn(conn, *args)`` does the work.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


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

    def __init__(self, path: Path, init: Callable[[sqlite3.Connection], None] | None = None) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{path.stem}")
        self._conn: sqlite3.Connection | None = None
        self._init = init
        self._closed = False

    def _get(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self.path)
            if self._init is not None:
                self._init(self._conn)
        return self._conn

    def call(self, fn: Callable[..., T], *args: object) -> T:
        """Run synchronously on the worker (CLI and tests without a loop)."""
        return self._executor.submit(lambda: fn(self._get(), *args)).result()

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(self._get(), *args))

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
