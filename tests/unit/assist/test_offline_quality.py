"""Offline drafts worth sending (issue 15): for the 13 demo tickets a frontline agent sampled, the
draft answers what was asked and adds nothing unrelated. Each ticket lists the points an agent
expects and the sentences that would make them delete the draft. At least 10 of 13 must pass; the
ones that don't are printed, so the next change to drafting can be measured against them."""

from __future__ import annotations

from assist.domain import TicketId

# ticket: (points the reply must make, things it must not say)
EXPECTED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "1001": (("KC-48213", "due on"), ("If tracking says delivered", "delivery exception")),
    "1002": (("hasn't shipped yet", "processing"), ("Label created", "International orders", "December 8")),
    "1003": (("label", "3 business days"), ("default address", "delivery exception")),
    "1004": (("counts as lost",), ("If tracking says delivered", "Domestic US orders")),
    "1005": (("due on",), ("change you did not make", "delivery exception", "Order by December 15")),
    # the customer attached a photo already (issue 26): the remedy, not "send a photo"
    "1007": (("free replacement",), ("taste guarantee", "Coffee cannot be returned", "with a photo")),
    "1009": (("returned within 30 days", "business days to appear"), ("Coffee cannot be returned", "taste guarantee")),
    "1010": (("duplicate",), ("authorization hold", "cancel before the billing date")),
    "1011": (("refund the duplicate in full", "corrected invoice"), ("custom quote", "second Office box")),
    "1015": (("Cancel subscription",), ("gift subscription",)),
    "1018": (("Decaf is available on Plus", "Change plan"), ("taste guarantee",)),
    # "checked spam. tried 4 times." (issue 26): never told to check spam again
    "1022": (("reset link",), ("two-factor", "delete your account", "Check spam")),
    # "Tried Chrome and Safari. I need the November invoice": no coffee-return sentence matched on "need"
    "1027": (("clear the browser cache",), ("send the coffee back",)),
    "1030": (("change its delivery address",), ("If you move to a country",)),
}


async def test_offline_drafts_answer_the_question_without_unrelated_sentences(make_session) -> None:
    s = make_session()
    failures = []
    for ticket_id, (points, never) in EXPECTED.items():
        ctx = await s.open_ticket(TicketId(ticket_id))
        route = await s.route_ticket(ctx)
        draft = [e async for e in s.draft(ctx, route, record=False)][-1]
        missing = [p for p in points if p.lower() not in draft.text.lower()]
        unwanted = [n for n in never if n.lower() in draft.text.lower()]
        if missing or unwanted:
            failures.append(f"#{ticket_id}: missing {missing}, unrelated {unwanted}")
        assert len(set(draft.text.split("\n\n"))) == len(draft.text.split("\n\n")), "a repeated paragraph"
    print("\n".join(failures))
    assert len(failures) <= 3, "\n".join(failures)


async def test_nothing_fits_says_so_plainly(make_session) -> None:
    s = make_session()
    ctx = await s.open_ticket(TicketId("1029"))  # a broken confirmation email: no article covers it
    route = await s.route_ticket(ctx)
    draft = [e async for e in s.draft(ctx, route, record=False)][-1]
    assert not draft.grounded
    assert "Nothing in the knowledge base answers what the customer asked" in draft.note
    assert "score" not in draft.note  # no "best score 6.7, needs 5.0"


def test_agent_facing_sentences_are_never_copied() -> None:
    from assist.domain import Source
    from assist.drafting import pick_sentences

    article = Source("kb:x#1", "kb:x", "Refunds", "", "Refunds above $150 need a team lead's approval. "
                     "Tell the customer the refund takes 5 days. Refunds reach your card within 5 business days.")
    picked = pick_sentences([article], {"refun": 2.0, "card": 2.0, "days": 1.0})
    text = " ".join(line for _, lines in picked for line in lines)
    assert text == "Refunds reach your card within 5 business days."


def test_internal_guidance_goes_to_the_agent_and_the_customer_is_asked_for_what_it_needs() -> None:
    """Issue 26: on a knowledge base written as agent guidance, instructions were pasted into the customer's
    reply ("Choose the [Log Out/In] option as your action [1]."). Written here for a bike-rental desk."""
    from datetime import UTC, datetime

    from assist.domain import AuthorRole, Message, Route, Source, Ticket, TicketId, TicketStatus, Tier
    from assist.drafting import agent_facing, offline_draft
    from assist.settings import AISettings

    for line in ("Choose the [Log Out/In] option as your action.", "Enter 'extend rental' into [Update Booking].",
                 "This article is for the Late Return case.", "Ask them for the booking reference.",
                 "Get the rider's full name for [Find Rider].", "Options include: 'swap bike' or 'refund'."):
        assert agent_facing(line), line
    for line in ("Refunds reach your card within 5 business days [2].", "If both charges have settled, they are "
                 "no longer pending.", "You can return the bike at any of our stations until 8pm."):
        assert not agent_facing(line), line
    guide = Source("kb:late#1", "kb:late", "Rentals", "Late return of a bike",
                   "Start by getting the rider's full name or account ID for [Find Rider].\n"
                   "Then confirm their booking with [Check Booking] using their email address.\n"
                   "If the bike came back within an hour, choose the [Waive Fee] option as your action.\n"
                   "Otherwise tell them the late fee is $5 per started hour.", score=9.0)
    now = datetime.now(UTC)
    ticket = Ticket(TicketId("7"), "late return", TicketStatus.OPEN, "kim@example.com", "Kim Lee", now, now,
                    (Message("m1", "Kim Lee", AuthorRole.CUSTOMER, "I brought the bike back late yesterday, "
                             "will I be charged a late return fee?", now),))
    route = Route(Tier.OFFLINE, "other", 0.5, "low", "low", 0.0, model="offline")
    draft = offline_draft(ticket, None, route, [guide], AISettings(), "Sam")
    body = draft.text
    assert "[" not in body.replace("[1]", "") and "as your action" not in body and "them" not in body
    assert "full name or account ID" in body and "email address" in body  # what the guidance says to collect
    assert draft.note.startswith("How to handle this (“Rentals › Late return of a bike”)")
    assert "[Find Rider]" in draft.note  # the agent gets the steps


def test_what_the_customer_already_did_is_never_asked_again() -> None:
    from assist.domain import Source
    from assist.drafting import already_done, pick_sentences

    done = already_done("the reset email never arrives. checked spam. tried 4 times. I've cleared the cache too")
    article = Source("kb:x#1", "kb:x", "Login", "", "Check your spam folder for the reset email. "
                     "Clear your browser cache and try again. The reset email can take up to 10 minutes to arrive.")
    picked = pick_sentences([article], {"reset": 2.0, "email": 2.0, "spam": 2.0, "cache": 1.0, "arriv": 1.0},
                            done=done)
    text = " ".join(line for _, lines in picked for line in lines)
    assert "spam folder" not in text and "Clear your browser cache" not in text
    assert "up to 10 minutes" in text


def test_a_consequence_is_never_quoted_without_its_condition() -> None:
    """Issue 26: 'The item has already shipped and the date cannot be altered.' came without its 'If ...'."""
    from assist.domain import Source
    from assist.drafting import pick_sentences

    article = Source("kb:x#1", "kb:x", "Deliveries", "", "You can change the delivery date of an order once. "
                     "If the parcel left the depot more than a day ago, the courier has it. "
                     "In that case the delivery date cannot be changed any more.")
    terms = {"deliv": 2.0, "date": 2.0, "chang": 2.0, "canno": 2.0}  # "can it still be changed?"
    picked = pick_sentences([article], terms, context=frozenset({"parce", "depot", "left", "day", "ago"}))
    text = " ".join(line for _, lines in picked for line in lines)
    assert "In that case" in text and "If the parcel left the depot" in text  # kept with its condition
    picked = pick_sentences([article], terms)  # nothing says the parcel left the depot: the condition doesn't hold
    text = " ".join(line for _, lines in picked for line in lines)
    assert "In that case" not in text and "You can change the delivery date" in text


def test_a_question_about_when_is_answered_by_a_sentence_that_gives_a_time() -> None:
    """Issue 26: '#1002 never answers ...' a 'when will it ship?' got status sentences, not the shipping time."""
    from datetime import UTC, datetime

    from assist.domain import AuthorRole, Message, Source, Ticket, TicketId, TicketStatus
    from assist.drafting import pick_sentences, question_terms

    now = datetime.now(UTC)
    asked = "My parcel is still processing. When will it ship?"
    ticket = Ticket(TicketId("1"), "dispatch", TicketStatus.OPEN, "a@x.com", "Ann", now, now,
                    (Message("m", "Ann", AuthorRole.CUSTOMER, asked, now),))
    article = Source("kb:x#1", "kb:x", "Dispatch", "", "Parcels in processing are being packed at the warehouse. "
                     "Parcels ship within 2 working days of the order.")
    picked = pick_sentences([article], question_terms(ticket))
    assert "within 2 working days" in " ".join(line for _, lines in picked for line in lines)
