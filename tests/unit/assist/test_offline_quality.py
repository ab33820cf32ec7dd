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
    "1007": (("within 7 days of delivery with a photo",), ("taste guarantee", "Coffee cannot be returned")),
    "1009": (("returned within 30 days", "business days to appear"), ("Coffee cannot be returned", "taste guarantee")),
    "1010": (("duplicate",), ("authorization hold", "cancel before the billing date")),
    "1011": (("refund the duplicate in full", "corrected invoice"), ("custom quote", "second Office box")),
    "1015": (("Cancel subscription",), ("gift subscription",)),
    "1018": (("Decaf is available on Plus", "Change plan"), ("taste guarantee",)),
    "1022": (("reset link",), ("two-factor", "delete your account")),
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
