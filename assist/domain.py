"""Domain objects every layer passes around; connectors return these, never dicts.

Frozen ``msgspec.Struct``s: immutable, hashable and compared by value like frozen dataclasses, but a
class is built in ~0.1 ms instead of ~1.3 ms (issue 16: 18 of them were 20 ms of every start). Change
one with ``msgspec.structs.replace``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NewType

from msgspec import Struct, field

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


class Attachment(Struct, frozen=True):
    """A file on a message: listed by name, size and type; never rendered, fetched only on request."""

    id: str
    name: str
    size: int
    content_type: str


class Message(Struct, frozen=True):
    id: str
    author: str
    role: AuthorRole
    body: str
    created_at: datetime
    public: bool = True
    body_format: BodyFormat = BodyFormat.TEXT
    attachments: tuple[Attachment, ...] = ()


class TicketSummary(Struct, frozen=True):
    """One row of the queue: enough to list, search and fetch the customer in parallel."""

    id: TicketId
    subject: str
    status: TicketStatus
    requester_email: str
    requester_name: str
    updated_at: datetime
    priority: str = "normal"
    tags: tuple[str, ...] = ()


class Ticket(Struct, frozen=True):
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
    # Helpdesk fields a team may label its tickets with (``assist learn --label-field``): RT "queue" and
    # "cf.NAME"; Zendesk "type", "form" and "field.ID"; Freshdesk "type", "group" and "cf.NAME".
    fields: tuple[tuple[str, str], ...] = ()

    def field(self, name: str) -> str:
        return next((v for k, v in self.fields if k == name), "")

    @property
    def summary(self) -> TicketSummary:
        return TicketSummary(
            self.id, self.subject, self.status, self.requester_email, self.requester_name,
            self.updated_at, self.priority, self.tags,
        )


class Order(Struct, frozen=True):
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


class PastTicket(Struct, frozen=True):
    id: TicketId
    subject: str
    status: TicketStatus
    created_at: datetime


class Customer(Struct, frozen=True):
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


class TicketContext(Struct, frozen=True):
    """What the window shows for one ticket: the thread and who is asking."""

    ticket: Ticket
    customer: Customer | None
    customer_error: str = ""


class DraftRecord(Struct, frozen=True):
    ticket_id: TicketId
    body: str
    updated_at: datetime


class QueueFilter(Struct, frozen=True):
    text: str = ""
    statuses: tuple[TicketStatus, ...] = field(
        default=(TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
    )


# -- knowledge ---------------------------------------------------------------------------------


ANSWER_PREFIX = "answer:"  # document ids of the team's past answers among knowledge-base passages


class Source(Struct, frozen=True):
    """One knowledge-base passage a draft may cite."""

    id: str  # chunk id, stable across re-ingests of unchanged documents
    doc_id: str
    title: str
    heading: str
    text: str
    url: str = ""
    score: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.title} › {self.heading}" if self.heading and self.heading != self.title else self.title


# -- routing -----------------------------------------------------------------------------------


class Tier(StrEnum):
    HUMAN = "human"
    OFFLINE = "offline"
    FAST = "fast"
    FRONTIER = "frontier"


class Trigger(Struct, frozen=True):
    """A hard escalation trigger that fired: the ticket goes to a human before any model sees it."""

    kind: str
    reason: str  # shown to the agent, e.g. "legal request"
    evidence: str  # the words that fired it


class Route(Struct, frozen=True):
    tier: Tier
    intent: str
    intent_confidence: float
    complexity: str
    risk: str
    sentiment: float
    reasons: tuple[str, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    duplicates: tuple[TicketId, ...] = ()
    model: str = ""
    intent_title: str = ""  # as the workspace's taxonomy names it
    review: bool = False  # the router was not sure enough for the workspace's precision: a person picks
    candidates: tuple[tuple[str, float], ...] = ()  # the likeliest intents, for review

    @property
    def human_only(self) -> bool:
        return self.tier is Tier.HUMAN


# -- drafting ----------------------------------------------------------------------------------


class Citation(Struct, frozen=True):
    number: int
    source: Source


class CitationCheck(Struct, frozen=True):
    """What verification found in a draft's text."""

    cited: tuple[int, ...] = ()
    unknown: tuple[int, ...] = ()
    uncited_claims: tuple[str, ...] = ()  # sentences with numbers/dates/prices/policy terms, no [n]

    @property
    def ok(self) -> bool:
        return not self.unknown and not self.uncited_claims


class Delta(Struct, frozen=True):
    """A piece of streamed draft text (already restored from PII placeholders)."""

    text: str


class Draft(Struct, frozen=True):
    text: str
    tier: Tier
    model: str
    citations: tuple[Citation, ...] = ()
    check: CitationCheck = field(default_factory=CitationCheck)
    grounded: bool = True
    note: str = ""  # why the draft is a question / a human note / incomplete
    cost_usd: float = 0.0
    latency_ms: int = 0
    error: str = ""
    fallback: str = ""  # why the routed model wasn't used and this is the offline draft instead


# -- actions -----------------------------------------------------------------------------------


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    DISMISSED = "dismissed"
    BLOCKED = "blocked"  # targets something that is not the requester's: a warning, never runnable
    UNKNOWN = "unknown"  # interrupted (crash) after it may have reached the service: the agent checks


class ActionProposal(Struct, frozen=True):
    """An action the assistant suggests; it runs only after an approval recorded in the journal."""

    id: str
    ticket_id: TicketId
    action: str
    title: str
    risk: str
    params: dict[str, object]
    why: str
    source: str  # "rules" or "model"
    status: ProposalStatus = ProposalStatus.PROPOSED
    result: str = ""
    error: str = ""
    idempotency_key: str = ""
    requester: str = ""  # the ticket requester's email when proposed: approval checks ownership against it
    customer_text: str = ""  # the result in words a customer reads ("$12.00 refunded to your card")

    @property
    def irreversible(self) -> bool:
        return self.risk == "irreversible"


class AuditEvent(Struct, frozen=True):
    ticket_id: TicketId
    proposal_id: str
    action: str
    event: str
    detail: str
    agent: str
    created_at: datetime
