"""Qt fixtures: a qasync loop on pytest-qt's QApplication, and a helper to run it until a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
import qasync

from ui.main_window import MainWindow


@pytest.fixture(scope="session")
def _qasync_loop(qapp):
    """One qasync loop for the whole run. Closing a loop per test deleted its timer object while
    handles (httpx timeouts) were still scheduled on it, and Qt crashed firing them later."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()  # stops qasync's executor thread before Qt goes away
    asyncio.set_event_loop(None)


@pytest.fixture
def loop(_qasync_loop):
    errors: list[dict] = []
    _qasync_loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
    asyncio.set_event_loop(_qasync_loop)
    yield _qasync_loop
    _qasync_loop.set_exception_handler(None)
    assert not errors, f"event loop errors: {errors}"


@pytest.fixture
def live_windows() -> list[MainWindow]:
    return []


@pytest.fixture
def run_until(loop, live_windows):
    """Run the loop until ``cond`` holds and every open window's tasks are done.

    Waiting for idle matters: a task left pending would resume when Qt next processes events
    outside the running loop (pytest-qt does at teardown, QTest does on key clicks).
    """

    def _run(cond: Callable[[], object], timeout: float = 10.0, idle: bool = True) -> None:
        def busy() -> bool:
            return idle and any(w.runner.pending() for w in live_windows if not getattr(w, "_test_closed", False))

        async def _wait() -> None:
            deadline = time.monotonic() + timeout
            settled = 0
            while settled < 3:  # done callbacks may start follow-up tasks: see idle hold a few ticks
                settled = settled + 1 if cond() and not busy() else 0
                if time.monotonic() > deadline:
                    raise AssertionError("condition not met in time")
                await asyncio.sleep(0.01)

        loop.run_until_complete(_wait())

    return _run


@pytest.fixture
def open_window(qtbot, loop, run_until, make_session, live_windows):
    """Opens a main window on a session; closes it (saving the draft) at the end."""
    windows = live_windows

    def _open(session=None) -> MainWindow:
        w = MainWindow(session or make_session())
        windows.append(w)
        w.show()
        w.start()
        run_until(lambda: w.draft.editor.isEnabled())
        return w

    yield _open
    for w in windows:
        if not getattr(w, "_test_closed", False):
            close_window(loop, w)


def close_window(loop, window: MainWindow) -> None:
    window.close()
    loop.run_until_complete(window.shutdown())
    window._test_closed = True
    window.deleteLater()
