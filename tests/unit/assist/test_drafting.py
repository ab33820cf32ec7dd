"""Drafting: citation verification, the offline tier on every demo intent, no guessing, redaction."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import pytest

from assist.domain import AuthorRole, Citation, Message, Source, Ticket, TicketId, TicketStatus, Tier
from assist.drafting import check_citations
from assist.paths import resources_dir
from assist.redact import Redactor, luhn_ok

SRC = (Citation(1, Source("a#0", "a", "Refunds", "How long", "Refunds take 5-10 business days.")),
       Citation(2, Source("b#0", "b", "Shipping", "Times", "Delivery takes 3-5 business days.")))


def test_citation_check_accepts_cited_facts() -> None:
    check = check_citations("Refunds take 5-10 business days [1]. Delivery takes 3-5 days [2].", SRC)
    assert check.ok and check.cited == (1, 2)


def test_citation_check_flags_unknown_markers_and_uncited_claims() -> None:
    text = ("Refunds take 5-10 business days [1]. We will refund $40 by Friday. "
            "As per policy [7], you get a free box. Thanks for your patience.")
    check = check_citations(text, SRC)
    assert check.unknown == (7,)
    assert check.uncited_claims == ("We will refund $40 by Friday.",)
    assert not check.ok


def _demo_tickets() -> list[dict]:
    return json.loads((resources_dir() / "demo" / "tickets.json").read_text())


# 1029 (a broken confirmation email) has no article: it asks instead (test_offline_quality.py)
ROUTINE = [t["id"] for t in _demo_tickets() if t["intent"] not in ("gdpr", "manager") and t["id"] != "1029"]


async def _draft(session, ticket_id: str):
    ctx = await session.open_ticket(TicketId(ticket_id))
    r = await session.route_ticket(ctx)
    events = [e async for e in session.draft(ctx, r)]
    return ctx, r, events[-1]


@pytest.mark.parametrize("ticket_id", ROUTINE)
async def test_offline_tier_drafts_with_valid_citations(make_session, ticket_id: str) -> None:
    ctx, r, draft = await _draft(make_session(), ticket_id)
    if r.tier is Tier.HUMAN:
        assert draft.text == "" and draft.note.startswith("Human only")
        return
    assert draft.tier is Tier.OFFLINE
    assert draft.text.startswith(f"Hi {ctx.ticket.requester_name.split()[0]},")
    assert draft.check.unknown == () and draft.check.uncited_claims == ()
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", draft.text)}
    assert numbers == {c.number for c in draft.citations}
    for c in draft.citations:  # every cited passage exists and says what the draft quotes from it
        assert c.source.text
    assert draft.grounded, draft.note


async def test_where_is_my_order_names_the_real_status_and_cites_shipping(make_session) -> None:
    s = make_session()
    started = time.perf_counter()
    ctx, r, draft = await _draft(s, "1001")
    elapsed = time.perf_counter() - started
    print(f"WISMO offline draft in {elapsed * 1000:.0f} ms")
    order = ctx.customer.orders[0]
    assert order.id == "KC-48213" and order.status == "shipped"
    assert "KC-48213" in draft.text and "shipped with UPS" in draft.text and order.tracking_number in draft.text
    cited_docs = {c.source.doc_id for c in draft.citations}
    assert "kb:shipping-times.md" in cited_docs
    assert f"crm:order:{order.id}" in {c.source.id for c in draft.citations}
    runs = await s.journal.draft_runs(TicketId("1001"))
    assert runs[-1]["tier"] == "offline" and runs[-1]["grounded"] == 1


async def test_gdpr_erasure_gets_no_draft(make_session) -> None:
    _, r, draft = await _draft(make_session(), "1033")
    assert r.reasons[0] == "human only: legal request"
    assert draft.text == ""
    assert draft.note.startswith("Human only: legal request")


async def test_no_grounding_asks_instead_of_guessing(make_session) -> None:
    s = make_session()
    now = datetime.now(UTC)
    ticket = Ticket(TicketId("9100"), "question", TicketStatus.OPEN, "x@example.com", "Robin Doe", now, now,
                    (Message("1", "Robin", AuthorRole.CUSTOMER, "Do you sponsor marathon runners?", now),))
    from assist.domain import TicketContext

    ctx = TicketContext(ticket, None)
    r = await s.route_ticket(ctx)
    draft = [e async for e in s.draft(ctx, r)][-1]
    assert not draft.grounded
    assert "clarifying question instead of guessing" in draft.note
    # not about an order (issue 26): asked what happened, not for an order number
    assert "Could you tell me a little more about what happened" in draft.text and "order number" not in draft.text
    assert draft.citations == ()


def test_redaction_round_trip() -> None:
    text = ("Reach me at maria.gonzalez82@gmail.com or +1 (503) 555-0142. Card 4242 4242 4242 4242. "
            "Ship to 1421 Alder St, Portland or Flat 5, 9 Cotham Hill, Bristol BS6 6LA. "
            "Order KC-48213, tracking 9400111899223817745120.")
    r = Redactor()
    masked = r.mask(text)
    for secret in ("maria.gonzalez82@gmail.com", "555-0142", "4242 4242 4242 4242", "1421 Alder St",
                   "Cotham Hill", "BS6 6LA"):
        assert secret not in masked
    assert "KC-48213" in masked and "9400111899223817745120" in masked  # ids stay useful
    assert r.restore(masked) == text
    assert r.restore("I emailed [EMAIL_1] about [CARD_1].") == (
        "I emailed maria.gonzalez82@gmail.com about 4242 4242 4242 4242."
    )


def test_only_real_card_numbers_are_cards() -> None:
    assert luhn_ok("4242424242424242")
    assert not luhn_ok("4242424242424241")
    assert "[CARD_1]" not in Redactor().mask("reference 1234 5678 9012 3456")


def test_guidance_that_has_the_agent_ask_the_customer_to_do_something_is_asked_of_the_customer() -> None:
    """Internal guidance ("Instruct the customer to log out of their account and log back in. Choose the
    [Log Out/In] option as your action.") becomes a question to the customer in the second person; the agent's
    tool never reaches them; what the procedure needs collected is asked for as well."""
    from tests.drafts import offline

    guide = Source("g#0", "site", "Troubleshoot Site", "Search Not Working",
                   "- Instruct the customer to log out of their account and log back in. Choose the [Log Out/In] "
                   "option as your action.\n- Tell the customer to try clearing out their cookies.\nIf it still "
                   "fails, get the customer's email address and enter it into [Record Reason].", score=7.0)
    draft = offline("the search on your site returns nothing", [guide])
    assert "Could you log out of your account and log back in?" in draft.text
    assert "If that doesn't help, could you try clearing out your cookies?" in draft.text
    assert "email address" in draft.text
    assert not re.search(r"\[Log Out|\[Record|the customer|their", draft.text)
    assert draft.note.startswith("How to handle this (“Troubleshoot Site › Search Not Working”)")
    # in a run of steps, one after the agent's own action waits for it: never asked first
    reset = Source("g#1", "2fa", "Lockouts", "Handling a lockout", "Verify the owner: ask for the account email.\n"
                   "Open [Admin > Users] and choose [Reset 2FA].\nTell the customer to sign in again within a day.",
                   score=7.0)
    draft = offline("lost my phone, the lockout code never comes", [reset])
    assert "sign in" not in draft.text and "account email address" in draft.text


@pytest.fixture
async def guidelines(tmp_path):  # type: ignore[no-untyped-def]
    """ABCD's agent guidelines (MIT; tests/fixtures/abcd_guidelines) as a knowledge base, words only."""
    from pathlib import Path

    from assist.knowledge.base import KnowledgeBase

    base = KnowledgeBase(tmp_path / "kb.db")
    await base.ingest([str(Path(__file__).resolve().parents[2] / "fixtures" / "abcd_guidelines")])
    await base.maintained()
    yield base
    base.close()


async def test_of_the_first_procedures_found_the_one_whose_heading_names_the_question_is_handed_over(
        guidelines) -> None:  # type: ignore[no-untyped-def]
    """Words only, BM25 ranks "Recover Password" first for a forgotten username; the draft hands the agent
    "Recover Username", the one whose heading names what was asked, and asks for what that procedure needs."""
    from tests.drafts import offline

    question = "I forgot my username and can't get into my account"
    found = await guidelines.search(question, 8)
    assert found[0].heading == "Recover Password"
    draft = offline(question, found)
    assert draft.note.startswith("How to handle this (“Account Access › Recover Username”)")
    assert "zip code" in draft.text  # what Recover Username collects (Recover Password asks no zip code)


async def test_a_category_title_alone_hands_over_no_procedure(guidelines) -> None:  # type: ignore[no-untyped-def]
    """ABCD's "Account Access" article is a category over three procedures: a question sharing only "account"
    with it is handed none of them (the draft asks), where one its heading names is."""
    from tests.drafts import offline

    vague = "help with my account please"
    found = await guidelines.search(vague, 8)
    assert found and found[0].label == "Account Access › Recover Password"
    draft = offline(vague, found)
    assert not draft.note.startswith("How to handle this") and "password" not in draft.text.lower()
    named = "need to change the phone number on my account"
    assert offline(named, await guidelines.search(named, 8)).note.startswith(
        "How to handle this (“Manage Account › Manage Change Phone”)")
