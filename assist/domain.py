"""Domain objects every layer passes around. Frozen dataclasses; connectors return these, never dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NewType

TicketId = NewType("TicketId", str)
CustomerId = NewType("CustomerId", str)


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    CLOSED = "closed"


class AuthorRole(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


class BodyFormat(StrEnum):
    TEXT = "text"
    HTML = "html"
    MARKDOWN = "markdown"


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    author: str
    role: AuthorRole
    body: str
    created_at: datetime
    public: bool = True
    body_format: BodyFormat = BodyFormat.TEXT


@dataclass(frozen=True, slots=True)
class TicketSummary:
    """One row of the queue: enough to list, search and fetch the customer in parallel."""

    id: TicketId
    subject: str
    status: TicketStatus
    requester_email: str
    requester_name: str
    updated_at: datetime
    priority: str = "normal"
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ticket:
    id: TicketId
    subject: str
    status: TicketStatus
    requester_email: str
    requester_name: str
    created_at: datetime
    updated_at: datetime
    messages: tuple[Message, ...]
    priority: str = "normal"
    tags: tuple[str, ...] = ()
    url: str = ""

    @property
    def summary(self) -> TicketSummary:
        return TicketSummary(
            self.id, self.subject, self.status, self.requester_email, self.requester_name,
            self.updated_at, self.priority, self.tags,
        )


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    placed_at: datetime
    status: str
    total: float
    currency: str
    items: tuple[str, ...] = ()
    carrier: str = ""
    tracking_number: str = ""
    shipped_at: datetime | None = None
    eta: datetime | None = None
    shipping_address: str = ""


@dataclass(frozen=True, slots=True)
class PastTicket:
    id: TicketId
    subject: str
    status: TicketStatus
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Customer:
    id: CustomerId
    name: str
    email: str
    plan: str = ""
    tier: str = ""
    lifetime_value: float = 0.0
    currency: str = "USD"
    customer_since: datetime | None = None
    company: str = ""
    orders: tuple[Order, ...] = ()
    past_tickets: tuple[PastTicket, ...] = ()
    notes: str = ""


@dataclass(frozen=True, slots=True)
class TicketContext:
    """What the window shows for one ticket: the thread and who is asking."""

    ticket: Ticket
    customer: Customer | None
    customer_error: str = ""


@dataclass(frozen=True, slots=True)
class DraftRecord:
    ticket_id: TicketId
    body: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class QueueFilter:
    text: str = ""
    statuses: tuple[TicketStatus, ...] = field(
        default=(TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
    )
