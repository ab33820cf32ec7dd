"""Qt fixtures: a qasync loop on pytest-qt's QApplication, and a helper to run it until a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
import qasync

from ui.main_window import MainWindow


@pytest.fixture
def loop(qapp):
    loop = qasync.QEventLoop(qapp)
    errors: list[dict] = []
    loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)
    assert not errors, f"event loop errors: {errors}"


@pytest.fixture
def run_until(loop):
    def _run(cond: Callable[[], object], timeout: float = 10.0) -> None:
        async def _wait() -> None:
            deadline = time.monotonic() + timeout
            while not cond():
                if time.monotonic() > deadline:
                    raise AssertionError("condition not met in time")
                await asyncio.sleep(0.01)

        loop.run_until_complete(_wait())

    return _run


@pytest.fixture
def open_window(qtbot, loop, run_until, make_session):
    """Opens a main window on a session; closes it (saving the draft) at the end."""
    windows: list[MainWindow] = []

    def _open(session=None) -> MainWindow:
        w = MainWindow(session or make_session())
        w.show()
        w.start()
        windows.append(w)
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
