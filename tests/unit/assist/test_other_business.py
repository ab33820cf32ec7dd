"""Drafts for another business (issue 26): Ledgerly, invoicing software for freelancers, with its own
taxonomy, tickets and a knowledge base written partly as internal agent guidance (tests/fixtures/
other_business). The offline tier is held to the same rubric as the demo's: facts that must appear, claims
that must not, and no agent-facing instruction in what the customer would read."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from assist.domain import AuthorRole, Draft, Message, Ticket, TicketContext, TicketId, TicketStatus
from assist.paths import Paths
from assist.secrets import SecretStore
from assist.settings import Settings, WorkspaceSettings
from assist.workspace import build_session

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "other_business"
AGENT_FACING = re.compile(r"\[(?!\d+\])[A-Z][^\]]*\]|this article is for|admin panel|tell the customer", re.I)


async def _drafts(paths: Paths, secrets: SecretStore, answers: bool) -> tuple[list[str], dict[str, str]]:
    """Ledgerly's suite drafted offline: (the ids whose draft has every fact, {id: draft text}); ``answers``:
    the team's past replies (history.jsonl, as ``assist learn`` stores them) are sources too."""
    from assist.learning.answers import PREFIX, answer_documents
    from assist.learning.history import read_file

    folder = paths.config_dir / "workspaces" / "ledgerly"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "taxonomy.toml").write_text((FIXTURE / "taxonomy.toml").read_text())
    settings = Settings()
    settings.workspaces["ledgerly"] = WorkspaceSettings()  # cases carry their tickets: no helpdesk is read
    settings.active_workspace = "ledgerly"
    settings.agent.display_name = "Robin"
    session = build_session(paths, settings, secrets)
    try:
        await session.kb.ingest([str(FIXTURE / "kb")])  # its own articles (the demo's are never added)
        if answers:
            await session.kb.replace_answers(answer_documents(read_file(FIXTURE / "history.jsonl")), PREFIX)
        await session.kb.maintained()
        now = datetime.now(UTC)
        answered, texts = [], {}
        for line in (FIXTURE / "suite.jsonl").read_text().splitlines():
            case = json.loads(line)
            expect = case["expect"]
            ticket = Ticket(TicketId(case["id"]), case["subject"], TicketStatus.OPEN, case["customer_email"], "Pat",
                            now, now, (Message("1", "Pat", AuthorRole.CUSTOMER, case["messages"][0]["body"], now),))
            ctx = TicketContext(ticket, None, "")
            route = await session.route_ticket(ctx)
            assert route.human_only == expect["human"], case["id"]
            final = [e async for e in session.draft(ctx, route, record=False)][-1]
            assert isinstance(final, Draft)
            text = final.text
            assert not AGENT_FACING.search(text), (case["id"], text)  # guidance goes to the note, never here
            assert not [f for f in expect["forbid"] if f.lower() in text.lower()], (case["id"], text)
            assert "coffee" not in text.lower() and "KC-" not in text  # nothing of the demo shop
            if expect["human"]:
                continue
            texts[case["id"]] = text
            if all(f.lower() in text.lower() for f in expect["facts"]):
                answered.append(case["id"])
        return answered, texts
    finally:
        await session.aclose()


async def test_another_business_gets_grounded_drafts_and_never_its_agent_guidance(paths: Paths,
                                                                                  secrets: SecretStore) -> None:
    answered, texts = await _drafts(paths, secrets, answers=False)
    # measured 2026-12-08: 6 of 9 answer with the fact that decides it (pricing, refund window, refund
    # timing, export, downgrade timing, and the 2FA lockout asks for what the guidance needs); the others ask a
    # clarifying question or show guidance to the agent; none is wrong
    assert len(texts) == 9 and len(answered) >= 6, answered
    # "Transactions ... are imported again" is what reconnecting does, and reconnecting applies "if a feed has
    # not updated for 48 hours", which is not what this customer said: neither is quoted
    assert "imported again" not in texts["lb-6"] and "refresh every 6 hours" in texts["lb-6"]


async def test_the_teams_past_answers_make_drafts_answer_without_another_customers_details(
        paths: Paths, secrets: SecretStore) -> None:
    """With the team's replies to twelve solved tickets as sources, drafts answer what the articles left to
    guidance (spam folder, reconnecting the bank, Business details): 9 of 9 measured, 6 without. What was done
    for another customer ("I have reset two-factor authentication on your account") and their details (names,
    emails, numbers) never reach this customer; the team's own address (in two replies) does."""
    answered, texts = await _drafts(paths, secrets, answers=True)
    assert len(answered) >= 8, answered
    everything = "\n".join(texts.values())
    for other in ("Marta", "marta.silva", "Jonas", "Noor", "88213", "44120913", "4417", "7700", "Peter Haas",
                  "I have reset", "sent on our side", "new phone"):
        assert other not in everything, other
    assert "billing@ledgerly.app" in texts["lb-1"]


def test_guidance_found_below_the_score_threshold_still_goes_to_the_agent_never_to_the_customer() -> None:
    """A small guidance article scores under min_source_score but its heading is what was asked: the agent is
    told how to handle it, the customer is asked for what it needs, and none of its lines are quoted."""
    from assist.domain import Source
    from tests.drafts import offline

    guide = Source("g#0", "g", "Memberships", "Cancel membership",
                   "Get Full Name or Account ID with [Pull up Account].\nThe membership ends on the renewal date.\n"
                   "Choose [Cancel Membership] and tell the customer when it ends.", score=4.2)
    draft = offline("I'd like to cancel my membership please", [guide], agent="Robin", subject="cancel")
    assert draft.note.startswith("How to handle this") and "[Cancel Membership]" in draft.note
    assert not AGENT_FACING.search(draft.text) and "renewal date" not in draft.text
    assert "full name or account ID" in draft.text
