"""One customer message drafted by the offline tier against given passages (tests of what a draft says)."""

from __future__ import annotations

from datetime import UTC, datetime

from assist.domain import AuthorRole, Draft, Message, Route, Source, Ticket, TicketId, TicketStatus, Tier
from assist.settings import AISettings


def offline(body: str, sources: list[Source], agent: str = "Sam", subject: str = "help") -> Draft:
    from assist.drafting.offline import offline_draft

    now = datetime.now(UTC)
    ticket = Ticket(TicketId("1"), subject, TicketStatus.OPEN, "jo@example.org", "Jo Doe", now, now,
                    (Message("1", "Jo Doe", AuthorRole.CUSTOMER, body, now),))
    return offline_draft(ticket, None, Route(Tier.OFFLINE, "other", 0.0, "low", "low", 0.0), sources,
                         AISettings(), agent)
