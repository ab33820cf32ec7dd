"""The ``Helpdesk`` protocol every connector implements (demo, Zendesk, Freshdesk, Request Tracker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from assist.domain import Message, QueueFilter, Ticket, TicketId, TicketStatus, TicketSummary


class Helpdesk(Protocol):
    """A helpdesk the agent already uses. All methods raise ``ConnectorError`` subclasses only."""

    name: str

    async def list_queue(self, flt: QueueFilter, limit: int = 500) -> list[TicketSummary]:
        """Tickets matching ``flt``, most recently updated first."""
        ...

    async def get_ticket(self, ticket_id: TicketId, on_requester: Callable[[str], None] | None = None) -> Ticket:
        """The ticket with its whole thread, oldest message first. ``on_requester`` is called with the
        requester's email as soon as it is known (before the thread's other requests), so the caller can
        fetch the customer meanwhile: a ticket opened by id costs the slowest fetch, not their sum."""
        ...

    async def post_reply(self, ticket_id: TicketId, body: str, *, public: bool, author: str,
                         status: TicketStatus | None = None) -> Message:
        """A public reply (``public=True``) or an internal note; ``status`` also sets the ticket's status."""
        ...

    async def set_tags(self, ticket_id: TicketId, tags: tuple[str, ...]) -> None: ...

    async def add_tags(self, ticket_id: TicketId, tags: tuple[str, ...]) -> None:
        """Add tags, keeping every tag already there (a colleague's included): never a stale overwrite."""
        ...

    async def fetch_attachment(self, ticket_id: TicketId, attachment_id: str) -> bytes:
        """One file of a message, fetched only when the agent opens it."""
        ...

    async def current_agent(self) -> str:
        """The name the helpdesk knows the signed-in agent by; '' when it can't tell."""
        ...

    async def aclose(self) -> None: ...
