"""Operations bound to the ticket they were started for (Anki's ``CollectionOp`` pattern), and reads for one
ticket (``OpRunner.read``): the one way the open ticket's work runs.

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

from assist.domain import ActionProposal, Ticket, TicketId
from assist.errors import AssistError


@dataclass(frozen=True)
class Changes:
    """What an operation changed, for the views that show it (Anki's ``OpChanges``). Success and failure
    handlers return one; the controller's ``apply`` is the one place the panes are refreshed from it.

    Attributes:
        thread: the ticket as the helpdesk has it now (the thread pane shows it).
        reopen: tags, notes and the customer changed: open the ticket again.
        proposal: one action card's new state (the card, the Actions tab's count).
        proposals: the cards are stale: ask for the ticket's proposals again.
        history: the ticket's audit trail grew.
        queue: the ticket's place in the queue changed.
        sent: the editor's text went out ("sent" or "note_added", the draft pane's state): the editor empties.
        settled: banners about the ticket no longer apply (it was escalated).
        note: a line for the status bar.
    """

    thread: Ticket | None = None
    reopen: bool = False
    proposal: ActionProposal | None = None
    proposals: bool = False
    history: bool = False
    queue: bool = False
    sent: str = ""
    settled: bool = False
    note: str = ""


@dataclass(frozen=True)
class TicketOp:
    """One operation on one ticket.

    Attributes:
        ticket_id: the ticket it acts on, fixed when the agent clicked.
        name: task name (a new op of the same name and ticket cancels a stale one).
        what: for messages: "send the reply to", "approve Refund order on".
        start: makes the coroutine; called again, unchanged, by Retry.
        success: called with the result and whether the agent is still on ``ticket_id``; returns what
            changed (``Changes``) or None.
        failure: optional, called with the error and the same flag before the banner shows; may return
            ``Changes`` too (what to re-read after a failure).
    """

    ticket_id: TicketId
    name: str
    what: str
    start: Callable[[], Coroutine[Any, Any, Any]]
    success: Callable[[Any, bool], Changes | None]
    failure: Callable[[AssistError, bool], Changes | None] | None = None


class OpRunner:
    """Runs TicketOps through the window's TaskRunner; what they changed goes to ``apply``, errors to a
    banner that belongs to the op."""

    def __init__(self, runner: Any, banner: Any, current: Callable[[], TicketId | None],
                 apply: Callable[[TicketId, Changes, bool], None] = lambda _t, _c, _h: None) -> None:
        self._runner = runner
        self._banner = banner
        self._current = current
        self._apply = apply

    def _dispatch(self, op: TicketOp, changes: Changes | None, here: bool) -> None:
        if changes is not None:
            self._apply(op.ticket_id, changes, here)

    def run(self, op: TicketOp) -> None:
        def ok(result: Any) -> None:
            here = self._current() == op.ticket_id
            self._dispatch(op, op.success(result, here), here)

        def failed(exc: AssistError) -> None:
            if op.failure is not None:
                here = self._current() == op.ticket_id
                self._dispatch(op, op.failure(exc, here), here)
            self._banner.show_message(f"Couldn't {op.what} #{op.ticket_id}: {exc}", retry=lambda: self.run(op))

        self._runner.run(f"{op.name}:{op.ticket_id}", op.start(), on_ok=ok, on_error=failed)

    def read(self, ticket_id: TicketId, name: str, start: Callable[[], Coroutine[Any, Any, Any]],
             shown: Callable[[Any], None]) -> None:
        """A read for one ticket (its route, proposals, history): the next read of the same name supersedes
        it; its result is shown only while the agent is still on that ticket; a failure's banner names the
        ticket and its Retry reads that ticket again."""
        def ok(result: Any) -> None:
            if self._current() == ticket_id:
                shown(result)

        def failed(exc: AssistError) -> None:
            if self._current() == ticket_id:
                again = lambda: self.read(ticket_id, name, start, shown)  # noqa: E731
                self._banner.show_message(f"#{ticket_id}: {exc}", retry=again, ticket=ticket_id)

        self._runner.run(name, start(), on_ok=ok, on_error=failed)

    def running(self, name: str, ticket_id: TicketId) -> bool:
        return bool(self._runner.running(f"{name}:{ticket_id}"))
