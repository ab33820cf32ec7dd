"""Operations bound to the ticket they were started for (Anki's ``CollectionOp`` pattern).

A send, note, escalation, approval or dismissal is created with its ticket id and the exact input it
acts on (the draft text at the moment of the click, the proposal id). Its success and failure handlers
are told whether the agent is still on that ticket, so they can never write into another ticket's
editor; a failure's banner names its ticket, and Retry re-runs *the same operation* — same ticket,
same text — never "whatever the window shows now".
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from assist.domain import TicketId
from assist.errors import AssistError


@dataclass(frozen=True)
class TicketOp:
    """One operation on one ticket.

    Attributes:
        ticket_id: the ticket it acts on, fixed when the agent clicked.
        name: task name (a new op of the same name and ticket cancels a stale one).
        what: for messages: "send the reply to", "approve Refund order on".
        start: makes the coroutine; called again, unchanged, by Retry.
        success: called with the result and whether the agent is still on ``ticket_id``.
        failure: optional, called with the error and the same flag before the banner shows.
    """

    ticket_id: TicketId
    name: str
    what: str
    start: Callable[[], Coroutine[Any, Any, Any]]
    success: Callable[[Any, bool], None]
    failure: Callable[[AssistError, bool], None] | None = None


class OpRunner:
    """Runs TicketOps through the window's TaskRunner; errors go to a banner that belongs to the op."""

    def __init__(self, runner: Any, banner: Any, current: Callable[[], TicketId | None]) -> None:
        self._runner = runner
        self._banner = banner
        self._current = current

    def run(self, op: TicketOp) -> None:
        def ok(result: Any) -> None:
            op.success(result, self._current() == op.ticket_id)

        def failed(exc: AssistError) -> None:
            if op.failure is not None:
                op.failure(exc, self._current() == op.ticket_id)
            self._banner.show_message(f"Couldn't {op.what} #{op.ticket_id}: {exc}", retry=lambda: self.run(op))

        self._runner.run(f"{op.name}:{op.ticket_id}", op.start(), on_ok=ok, on_error=failed)

    def running(self, name: str, ticket_id: TicketId) -> bool:
        return bool(self._runner.running(f"{name}:{ticket_id}"))
