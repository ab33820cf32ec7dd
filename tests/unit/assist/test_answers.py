"""The team's own answers as sources (issue 26): after `assist learn`, agents' replies to solved tickets are
retrieved and cited like articles, with the other customer's details taken out first."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from assist.cli import main
from assist.domain import Source
from assist.knowledge.base import KnowledgeBase
from assist.learning.answers import scrub
from assist.paths import Paths

PRIVATE = ["Maria", "Lopez", "maria.lopez@example.com", "+44 20 7946 0958", "KC-48290", "1234567", "$24.90",
           "March 3rd", "12 Baker Street", "4111 1111 1111 1111"]


def test_a_past_reply_keeps_its_policy_and_loses_the_other_customers_details() -> None:
    reply = ("Hi Maria Lopez,\n\nI have refunded $24.90 to your card 4111 1111 1111 1111 on March 3rd; refunds "
             "show within 5-10 business days. Order KC-48290 (order number 1234567) goes back to 12 Baker "
             "Street, London NW1 6XE. Call +44 20 7946 0958 or write to maria.lopez@example.com.\n\nBest,\nSam")
    clean = scrub(reply)
    assert not [p for p in PRIVATE if p in clean], clean
    assert clean.startswith("Hi there,") and "within 5-10 business days" in clean and clean.endswith("Sam")


def _history(path: Path, n_lost: int) -> Path:
    rows = []
    for i in range(n_lost):
        rows.append({"id": f"L{i}", "subject": "parcel not here", "label": "lost_parcel",
                     "body": f"my parcel KC-4{i:04d} never arrived, tracking is stuck",
                     "reply": f"Hi Maria,\n\nsorry about that. When tracking has not moved for 7 days we send a "
                              f"replacement at no cost; I have sent one for order KC-4{i:04d} to "
                              f"maria.lopez@example.com's address.\n\nBest,\nSam"})
    for i in range(6):
        rows.append({"id": f"P{i}", "subject": "new password", "label": "password",
                     "body": "i can't log in, the reset link expired",
                     "reply": "Hello Derek, reset links last 24 hours: request a new one from the sign-in page "
                              "and use it within the day. Thanks, Sam"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_learned_replies_are_sources_without_anyones_details(paths: Paths, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["learn", "--workspace", "shop", "--tickets", str(_history(tmp_path / "h.jsonl", 8))]) == 0
    assert "team answers: 14 past replies are sources for drafts (14 new or changed, 0 removed" in \
        capsys.readouterr().out

    async def search() -> list[Source]:
        kb = KnowledgeBase(paths.workspace_dir("shop") / "kb.db")
        try:
            return await kb.search("my parcel is lost, tracking shows nothing for a week", 3)
        finally:
            kb.close()

    found = asyncio.run(search())
    assert found and found[0].title.startswith("How we answered #L")
    assert "we send a replacement" in found[0].text
    assert not [p for p in ("Maria", "maria.lopez@example.com", "KC-4") if p in found[0].text]
    # learned again from a shorter history: answers no longer in it are no longer sources
    assert main(["learn", "--workspace", "shop", "--tickets", str(_history(tmp_path / "h2.jsonl", 3))]) == 0
    assert "(0 new or changed, 5 removed" in capsys.readouterr().out


def test_the_teams_own_address_stays_and_a_returning_customers_goes() -> None:
    from assist.learning.answers import answer_documents
    from assist.learning.history import HistoryTicket

    def reply(name: str, extra: str) -> str:
        return f"Hi {name},\n\nPlease add help@tidyshop.io to your contacts so our emails reach you. {extra}\n\nBest"

    history = [HistoryTicket("1", "emails", "no emails", reply=reply("Ana", "We wrote to ana.b@example.org.")),
               HistoryTicket("2", "emails", "still none", reply=reply("Ana", "Sent again to ana.b@example.org.")),
               HistoryTicket("3", "emails", "missing", reply=reply("Ben", "That should do it."))]
    texts = [doc.sections[0].text for doc, _ in answer_documents(history).values()]
    assert all("help@tidyshop.io" in t for t in texts)  # given to Ana and Ben: the team's
    assert not any("ana.b@example.org" in t for t in texts)  # only ever in replies to Ana: hers
