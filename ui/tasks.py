"""TaskRunner: the only way views start coroutines.

Keeps a reference to every task, cancels the previous task with the same name (so switching tickets
kills the stale fetch), and routes errors: ``AssistError`` to the view's handler or the banner, anything
else to ``sys.excepthook`` as a bug.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from assist.errors import AssistError

log = logging.getLogger(__name__)

OnError = Callable[[AssistError], None]


class TaskRunner:
    def __init__(self, on_error: OnError) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._default_error = on_error

    def run(
        self,
        name: str,
        coro: Coroutine[Any, Any, Any],
        on_ok: Callable[[Any], None] | None = None,
        on_error: OnError | None = None,
    ) -> asyncio.Task[Any]:
        previous = self._tasks.get(name)
        if previous is not None and not previous.done():
            previous.cancel()
        task = asyncio.ensure_future(coro)
        self._tasks[name] = task

        def _done(t: asyncio.Task[Any]) -> None:
            if self._tasks.get(name) is t:
                del self._tasks[name]
            if t.cancelled():
                return
            exc = t.exception()
            if exc is None:
                if on_ok is not None:
                    on_ok(t.result())
            elif isinstance(exc, AssistError):
                (on_error or self._default_error)(exc)
            else:
                log.error("Task %s failed", name, exc_info=exc)
                sys.excepthook(type(exc), exc, exc.__traceback__)

        task.add_done_callback(_done)
        return task

    def cancel(self, name: str) -> bool:
        """Cancel the running task of that name; True if there was one."""
        task = self._tasks.get(name)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def running(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    def pending(self) -> list[asyncio.Task[Any]]:
        return [t for t in self._tasks.values() if not t.done()]

    async def wait_for(self, prefix: str) -> None:
        """Wait for the running tasks whose name starts with ``prefix``."""
        tasks = [t for n, t in self._tasks.items() if n.startswith(prefix) and not t.done()]
        if tasks:
            await asyncio.wait(tasks)


    async def cancel_all(self) -> None:
        tasks = self.pending()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
