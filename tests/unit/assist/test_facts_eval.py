"""Eval checks facts, not "cited one of five articles" (issue 13): the facts of the agent's actual reply
that a draft must not contradict, and cases imported from a team's solved tickets."""

from __future__ import annotations

import json

from msgspec.structs import replace

from assist.cli import main
from assist.domain import Draft
from assist.evaluation import import_cases, load_suite, run_case
from assist.facts import contradictions, extract
from assist.learning.history import HistoryTicket
from assist.paths import resources_dir
from tests.support_corpus import generate, write_jsonl

SUITE = resources_dir() / "demo" / "eval.jsonl"


def test_facts_of_each_kind_and_what_contradicts_them() -> None:
    ref = extract("I've refunded £35.50 to your card; it arrives within 5 working days. Order AB-1234 ships "
                  "on Monday.")
    assert ref == {"amount": ["£35.50"], "date": ["Monday"], "id": ["AB-1234"], "term": ["5 working days"]}
    wrong = contradictions("I've refunded £12, it takes 3-5 days, order AB-1234, arriving Friday.", ref)
    assert [w.split()[0] for w in wrong] == ["amount", "date", "term"]
    assert not contradictions("Refunded £35.50 within 5 business days (AB-1234).", ref)
    assert not contradictions("We'll email you in 2 hours.", {"amount": ["£3"]})  # a kind it never stated


async def test_the_demo_case_for_1009_fails_a_draft_about_the_wrong_order(make_session) -> None:
    s = make_session()
    await s.prepare()
    case = next(c for c in load_suite(SUITE) if c.id == "demo-1009")
    right = await run_case(s, case)
    assert all(right.checks.values()), right.notes

    async def wrong_draft(ctx, route, **_kw):  # the first wave's draft: her last box, the taste guarantee
        async for event in original(ctx, route, record=False, fallback=False):
            if isinstance(event, Draft):
                yield replace(event, text="Your order KC-48150 (Pro box (November)) was delivered [1]. Our taste "
                                          "guarantee refunds it within 14 days [2].")
    original = s.draft
    s.draft = wrong_draft  # type: ignore[method-assign]
    result = await run_case(s, case)
    assert not result.checks["forbidden_absent"] and not result.checks["consistent"]
    assert not result.checks["facts"]


def test_eval_import_builds_cases_with_reference_facts(paths, tmp_path, capsys) -> None:
    rows = generate(200, seed=2, intents=6)
    file = write_jsonl(rows, tmp_path / "solved.jsonl")
    out = tmp_path / "suite.jsonl"
    assert main(["eval", "import", "--tickets", str(file), "--out", str(out)]) == 0
    cases = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(cases) == len(rows)
    refund = next(c for c in cases if "£" in c["expect"]["reference"])
    assert refund["expect"]["reference_facts"]["amount"]
    assert refund["messages"][0]["role"] == "customer"
    assert "200 cases from 200 tickets" in capsys.readouterr().out
    # the file runs as a suite (intents only where the workspace's taxonomy has them: the demo's has none)
    assert len(load_suite(out)) == 200 and all("intent" not in c["expect"] for c in cases)


def test_tickets_without_a_reply_are_left_out() -> None:
    cases = import_cases([HistoryTicket("1", "s", "b", "x", ""), HistoryTicket("2", "s", "b", "x", "Done, £5.")],
                         {"x"})
    assert [c["id"] for c in cases] == ["hist-2"] and cases[0]["expect"]["intent"] == "x"
