"""Fallback CRM: what the helpdesk itself knows about the requester (name, email, other tickets)."""

from __future__ import annotations

from assist.domain import Customer, CustomerId, PastTicket, QueueFilter
from assist.helpdesk.base import Helpdesk


class HelpdeskCRM:
    name = "Helpdesk requester"

    def __init__(self, helpdesk: Helpdesk) -> None:
        self._helpdesk = helpdesk

    async def get_customer(self, email: str) -> Customer | None:
        if not email:
            return None
        tickets = await self._helpdesk.list_queue(QueueFilter(text=email, statuses=()), limit=20)
        mine = [t for t in tickets if t.requester_email.lower() == email.lower()]
        name = mine[0].requester_name if mine else email
        return Customer(CustomerId(email), name or email, email,
                        past_tickets=tuple(PastTicket(t.id, t.subject, t.status, t.updated_at) for t in mine))

    async def aclose(self) -> None:
        return None
