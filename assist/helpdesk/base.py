"""The ``Helpdesk`` protocol every connector implements (demo, Zendesk, Freshdesk, Request Tracker)."""

from __future__ import annotations

from typing import Protocol

from assist.domain import Message, QueueFilter, Ticket, TicketId, TicketSummary


class Helpdesk(Protocol):
    """A helpdesk the agent already uses. All methods raise ``ConnectorError`` subclasses only."""

    name: str

    async def list_queue(self, flt: QueueFilter, limit: int = 500) -> list[TicketSummary]:
        """Tickets matching ``flt``, most recently updated first."""
        ...

    async def get_ticket(self, ticket_id: TicketId) -> Ticket:
        """The ticket with its whole thread, oldest message first."""
        ...

    async def post_reply(self, ticket_id: TicketId, body: str, *, public: bool, author: str) -> Message:
        """A public reply (``public=True``) or an internal note."""
        ...

    async def set_tags(self, ticket_id: TicketId, tags: tuple[str, ...]) -> None: ...

    async def aclose(self) -> None: ...
