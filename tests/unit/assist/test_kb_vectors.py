"""Hybrid knowledge retrieval (issue 30): passages get sentence vectors once, in the background, and a ticket's
question finds the passage that answers it even when it shares few words with it; words still ground drafts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from assist import embeddings
from assist.domain import AuthorRole, Message, Route, Ticket, TicketContext, TicketId, TicketStatus, Tier
from assist.drafting.pipeline import Drafter
from assist.journal import Journal
from assist.knowledge.base import KnowledgeBase
from assist.settings import Settings
from assist.taxonomy import Taxonomy

pytestmark = pytest.mark.skipif(not embeddings.offline_installed(), reason="the offline encoder is not installed")

# another shop's help centre: its own products and wording (nothing of the demo's)
DOCS = {
    "returns.md": "# Returns and refunds\n\n## Getting your money back\nOnce the parcel reaches our warehouse, the "
                  "amount is credited to the original card within 5-10 business days.\n\n## Return labels\nPrint "
                  "the prepaid label from your account page and drop the parcel at any post office.\n",
    "account.md": "# Your account\n\n## Changing your email\nOpen the account page, choose Edit profile and type the "
                  "new address.\n\n## Account balance\nThe account page shows store credit and gift card balance.\n",
    "shipping.md": "# Shipping\n\n## Delivery times\nOrders ship within 1-2 business days; delivery takes 3-5 "
                   "days.\n\n## Lost parcels\nIf tracking has not moved for 7 days, we send a replacement.\n",
}


@pytest.fixture
async def kb(tmp_path: Path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "help"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    base = KnowledgeBase(tmp_path / "kb.db")
    await base.ingest([str(folder)])
    await base.maintained()
    yield base, folder
    base.close()


async def test_the_answer_ranks_first_with_vectors_where_words_alone_rank_another(kb) -> None:  # type: ignore[no-untyped-def]
    base, _ = kb
    encoder = embeddings.OfflineEncoder()
    assert await base.embed_passages(encoder.passages, encoder.id) == 6
    question = "how long until i see the refund"
    words = await base.search(question, 3)
    assert words[0].heading == "Return labels"  # shares "refund" with the article's title, not the answer
    hybrid = await base.search(question, 3, vector=encoder.encode([question])[0], encoder=encoder.id)
    assert hybrid[0].heading == "Getting your money back"
    # a passage only the vectors found keeps the words' score: 0, so it never grounds a draft by itself
    lost = await base.search("package never arrived", 3, vector=encoder.encode(["package never arrived"])[0],
                             encoder=encoder.id)
    assert lost[0].heading == "Lost parcels" and lost[0].score == 0.0
    assert await base.search("package never arrived", 3) == []


async def test_vectors_are_computed_once_then_only_for_a_changed_document(kb) -> None:  # type: ignore[no-untyped-def]
    base, folder = kb
    encoder = embeddings.OfflineEncoder()
    seen: list[tuple[int, int]] = []
    assert await base.embed_passages(encoder.passages, encoder.id, lambda d, t: seen.append((d, t))) == 6
    assert seen[-1] == (6, 6)
    assert await base.embed_passages(encoder.passages, encoder.id) == 0  # nothing new: nothing encoded
    (folder / "shipping.md").write_text(DOCS["shipping.md"].replace("7 days", "10 days"))
    await base.ingest([str(folder)])
    assert await base.vector_counts(encoder.id) == (4, 6)  # the edited article's two passages are stale
    assert await base.embed_passages(encoder.passages, encoder.id) == 2


async def test_vectors_from_another_encoder_are_never_mixed_in(kb) -> None:  # type: ignore[no-untyped-def]
    base, _ = kb
    encoder = embeddings.OfflineEncoder()
    await base.embed_passages(encoder.passages, encoder.id)
    question = "how long until i see the refund"
    other = await base.search(question, 3, vector=encoder.encode([question])[0], encoder="litellm/another-model")
    assert [s.id for s in other] == [s.id for s in await base.search(question, 3)]
    assert await base.has_vectors("litellm/another-model") is False


async def test_drafting_searches_with_the_tickets_vector_once_passages_have_vectors(kb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, _ = kb
    encoder = embeddings.CachedEncoder(embeddings.OfflineEncoder(), tmp_path / "vectors.sqlite")
    journal = Journal(tmp_path / "journal.db", "acme")

    async def ready() -> None:
        return None

    drafter = Drafter(Settings(), base, journal, Taxonomy, lambda _t: None, ready, encoder)
    now = datetime.now(UTC)
    ticket = Ticket(TicketId("77"), "refund?", TicketStatus.OPEN, "ana@example.org", "Ana", now, now,
                    (Message("1", "Ana", AuthorRole.CUSTOMER, "how long until i see the refund", now),))
    route = Route(Tier.OFFLINE, "other", 0.0, "low", "low", 0.0)
    before = await drafter.sources(TicketContext(ticket, None, ""), route)
    assert before[0].heading == "Return labels"  # no passage vectors yet: words only, no encoding
    await base.embed_passages(encoder.passages, encoder.id)
    after = await drafter.sources(TicketContext(ticket, None, ""), route)
    assert after[0].heading == "Getting your money back"
    # the Knowledge window searches as drafting does
    assert (await drafter.search("how long until i see the refund", 3))[0].heading == "Getting your money back"
    journal.close()


async def test_a_failing_encoder_leaves_knowledge_search_on_words(make_session, caplog) -> None:  # type: ignore[no-untyped-def]
    from assist.workspace import embed_knowledge

    session = make_session()

    class Broken:
        id = "broken/encoder"

        def passages(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("engine crashed")

        def encode(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("engine crashed")

    session.encoder = Broken()  # type: ignore[assignment]
    assert await embed_knowledge(session) == 0
    assert "Passage vectors stopped (RuntimeError)" in caplog.text
    assert await session.kb.search("refund", 3)  # words still answer


GUIDELINES = Path(__file__).resolve().parents[2] / "fixtures" / "abcd_guidelines"


async def test_a_procedure_is_found_by_what_its_heading_says_it_is_for(tmp_path: Path) -> None:
    """Another business's agent procedures (ABCD's, MIT): long, alike in their words (every one starts "Get Full
    Name or Account ID for [Pull up Account]"); the heading says what each is for. Words alone and the passages'
    vectors rank another procedure first for these messages; the headings' vectors put the right one first."""
    base = KnowledgeBase(tmp_path / "kb.db")
    try:
        await base.ingest([str(GUIDELINES)])
        await base.maintained()
        encoder = embeddings.OfflineEncoder()
        await base.embed_passages(encoder.passages, encoder.id, headings=encoder.encode)
        for question, heading in (("I forgot my username and can't get into my account", "Recover Username"),
                                  ("forgot my password, the reset thing isn't working for me", "Recover Password"),
                                  ("My box came today but one of the two items I ordered is missing", "Missing Item")):
            assert (await base.search(question, 3) or [None])[0] is None or \
                (await base.search(question, 3))[0].heading != heading  # words alone: another one
            found = await base.search(question, 3, vector=encoder.encode([question])[0], encoder=encoder.id)
            assert found[0].heading == heading, (question, [s.heading for s in found])
    finally:
        base.close()
