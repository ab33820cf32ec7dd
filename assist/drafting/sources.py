"""Sources and citations: the query a ticket searches the knowledge base with, the customer's own records as
numbered sources, and the check that every ``[n]`` in a draft points at a source it was given and that
sentences stating numbers, prices, dates or policy terms cite one."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from assist.domain import (
    Citation,
    CitationCheck,
    Customer,
    Order,
    Source,
    Ticket,
)
from assist.routing import customer_messages, customer_text
from assist.settings import AISettings
from assist.text import content_stems

_MARKER = re.compile(r"\[(\d{1,3})\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_CLAIM = re.compile(
    r"\d|[$€£]|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|"
    r"january|february|march|april|june|july|august|september|october|november|december|"
    r"refund\w*|credit\w*|policy|guarantee\w*|warrant\w*|free of charge|free|within|business days?|"
    r"charged?|invoice\w*|price\w*|cost\w*)\b",
    re.IGNORECASE,
)

# -- sources ------------------------------------------------------------------------------------


def retrieval_query(ticket: Ticket, hints: str = "") -> str:
    """What to search the knowledge base for: the customer's words, latest first, plus the intent's
    retrieval hints from the workspace's taxonomy."""
    parts = [ticket.subject, *reversed(customer_messages(ticket, 8000)), hints]
    return "\n".join(p for p in parts if p)[:4000]


def _date(dt: datetime | None) -> str:
    return f"{dt:%a %d %b}" if dt else ""


def relevant_order(ticket: Ticket, customer: Customer | None) -> Order | None:
    if customer is None or not customer.orders:
        return None
    """The customer's order the ticket is about: the one it names, else the one whose items it mentions,
    else the latest one still on its way. A delivered order the ticket says nothing of is not assumed
    (a customer asking about a scale bought elsewhere is not told about their last subscription box)."""
    text = customer_text(ticket)
    for order in customer.orders:  # only the customer's own orders: an id of someone else's is never used
        if re.search(rf"(?<![\w-]){re.escape(order.id)}(?![\w-])", text, re.IGNORECASE):
            return order
    words = set(content_stems(f"{ticket.subject} {text}"))
    overlap = [(len(words & set(content_stems(" ".join(o.items)))), n) for n, o in enumerate(customer.orders)]
    best, n = max(overlap, key=lambda p: (p[0], -p[1]))
    if best:
        return customer.orders[n]
    latest = customer.orders[0]  # most recent first
    return latest if latest.status not in ("delivered", "cancelled", "refunded", "returned") else None


def order_fact(order: Order, now: datetime | None = None) -> str:
    """One plain sentence about an order, written from the CRM record."""
    now = now or datetime.now(UTC)
    items = ", ".join(order.items) or "your order"
    carrier = f" with {order.carrier}" if order.carrier else ""
    tracking = f" (tracking number {order.tracking_number})" if order.tracking_number else ""
    overdue = order.eta is not None and order.eta < now
    status = order.status
    if status == "processing":
        return f"Your order {order.id} ({items}) is being prepared and hasn't shipped yet."
    if status == "label_created":
        return (f"Your order {order.id} ({items}) has a shipping label{carrier}{tracking}, "
                "but the carrier hasn't scanned it yet.")
    if status == "delivered":
        return f"Your order {order.id} ({items}) was delivered{carrier} on {_date(order.eta)}{tracking}."
    if status == "exception":
        return (f"Your order {order.id} ({items}) shipped{carrier}{tracking} and the carrier reports a "
                "delivery exception.")
    due = f"; it was due on {_date(order.eta)}" if overdue else (
        f" and is due on {_date(order.eta)}" if order.eta else "")
    verb = "is in transit" if status == "in_transit" else "shipped"
    when = f" on {_date(order.shipped_at)}" if order.shipped_at and verb == "shipped" else ""
    return f"Your order {order.id} ({items}) {verb}{carrier}{when}{tracking}{due}."


def crm_sources(ticket: Ticket, customer: Customer | None, facts: tuple[str, ...]) -> list[Source]:
    """The customer's own facts as citable sources: those the intent's taxonomy entry names (``order``:
    the order that matters; ``plan``: the subscription)."""
    if customer is None:
        return []
    sources = []
    order = relevant_order(ticket, customer)
    if order is not None and "order" in facts:
        sources.append(Source(f"crm:order:{order.id}", "crm", f"Order {order.id}", "CRM record",
                              order_fact(order), score=100.0))
    if customer.plan and "plan" in facts:
        sources.append(Source(
            f"crm:plan:{customer.id}", "crm", f"{customer.name}'s subscription", "CRM record",
            f"You're on the {customer.plan} plan.", score=100.0,
        ))
    return sources


def number_sources(sources: list[Source]) -> tuple[Citation, ...]:
    return tuple(Citation(n, s) for n, s in enumerate(sources, start=1))


# -- verification -------------------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        out += [s.strip() for s in _SENTENCE.split(line) if s.strip()]
    return out


def check_citations(text: str, citations: tuple[Citation, ...], ignore: tuple[str, ...] = ()) -> CitationCheck:
    """Markers must name a given source; factual sentences must carry a marker."""
    known = {c.number for c in citations}
    found = [int(n) for n in _MARKER.findall(text)]
    unknown = tuple(sorted({n for n in found if n not in known}))
    uncited = tuple(
        s for s in sentences(text)
        if _CLAIM.search(_MARKER.sub("", s)) and not _MARKER.search(s) and s not in ignore
        and not s.endswith("?")
    )
    return CitationCheck(tuple(sorted(set(found) & known)), unknown, uncited)


# -- the offline tier ---------------------------------------------------------------------------


def first_name(name: str) -> str:
    return (name.split() or ["there"])[0]


def phrase_text(settings: AISettings, key: str, **values: str) -> str:
    """The workspace's wording for ``key``, or the built-in one when its phrasebook predates that key."""
    from assist.settings import default_phrasebook

    template = settings.phrasebook.get(key) or default_phrasebook().get(key, "")
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def reflow(passage: str) -> str:
    """Join hard-wrapped lines inside paragraphs; keep list items and blank lines."""
    return re.sub(r"(?<!\n)\n(?!\n|- |\* |\d+\. )", " ", passage).replace("\n- ", "\n")


def cite(sentence: str, number: int) -> str:
    """Put the marker inside the sentence's closing punctuation: "... 5 days [2]." """
    sentence = sentence.rstrip()
    if sentence and sentence[-1] in ".!":
        return f"{sentence[:-1]} [{number}]{sentence[-1]}"
    return f"{sentence} [{number}]"
