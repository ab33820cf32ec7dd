"""The real litellm call path against a local OpenAI-compatible server over real HTTP (SSE)."""

from __future__ import annotations

import pytest

from assist.domain import Delta, TicketContext, TicketId, Tier
from assist.settings import ModelTier, Settings
from tests.openai_server import OpenAIServer

MODEL = "openai/gpt-4o-mini"


@pytest.fixture
def llm():
    server = OpenAIServer()
    yield server
    server.close()


def _settings(llm: OpenAIServer, *, redact: bool = True, timeout: float = 10.0) -> Settings:
    s = Settings()
    s.models.fast = ModelTier(model=MODEL, api_base=llm.api_base, timeout_s=timeout)
    s.models.frontier = ModelTier(model=MODEL, api_base=llm.api_base, timeout_s=timeout)
    s.routing.llm_classifier = False
    s.ai.redact_pii = redact
    return s


async def _run(session, ticket_id: str):
    ctx = await session.open_ticket(TicketId(ticket_id))
    r = await session.route_ticket(ctx)
    events = [e async for e in session.draft(ctx, r)]
    return ctx, r, [e.text for e in events if isinstance(e, Delta)], events[-1]


async def test_streams_a_cited_draft_with_cost_and_latency(make_session, secrets, llm) -> None:
    from assist.model_keys import key_name

    secrets.set(key_name(_settings(llm).models.fast), "sk-test-123")
    llm.reply = ("Hi Derek, your grinder order KC-48377 hasn't shipped yet [1]. Orders are roasted and "
                 "packed within 1-2 business days [2]. Best, Sam")
    s = make_session(_settings(llm))
    ctx, r, deltas, draft = await _run(s, "1002")
    assert r.tier is Tier.FAST and r.model == MODEL
    assert len(deltas) > 5 and "".join(deltas) == llm.reply  # really streamed, piece by piece
    assert draft.text == llm.reply and draft.error == ""
    assert draft.check.unknown == () and draft.check.cited == (1, 2)
    assert draft.cost_usd > 0  # litellm's local price map
    assert draft.latency_ms >= 0
    sent = llm.requests[-1]
    assert sent["stream"] is True and sent["model"] == "gpt-4o-mini"
    assert "[1] Order KC-48377" in sent["messages"][1]["content"]  # numbered sources in the prompt
    runs = await s.journal.draft_runs(TicketId("1002"))
    assert runs[-1]["model"] == MODEL and runs[-1]["cost_usd"] > 0


async def test_the_cost_is_what_the_provider_billed(make_session, secrets, llm) -> None:
    """The stream asks for the provider's own token count (OpenAI's ``include_usage``), so the cost in
    the journal (and the weekly report) is the billed tokens at the price-map rate, not a local
    tokenizer's estimate of them."""
    import json
    from importlib.util import find_spec
    from pathlib import Path

    from assist.model_keys import key_name

    secrets.set(key_name(_settings(llm).models.fast), "sk-test-123")
    llm.reply = "Hi Derek, your order ships tomorrow [1]."
    llm.usage = {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
    s = make_session(_settings(llm))
    *_, draft = await _run(s, "1002")
    assert llm.requests[-1]["stream_options"] == {"include_usage": True}
    spec = find_spec("litellm")
    assert spec is not None and spec.origin is not None
    prices = json.loads((Path(spec.origin).parent / "model_prices_and_context_window_backup.json").read_text())
    rate = prices["gpt-4o-mini"]
    billed = 1200 * rate["input_cost_per_token"] + 300 * rate["output_cost_per_token"]
    assert draft.cost_usd == pytest.approx(billed)
    runs = await s.journal.draft_runs(TicketId("1002"))
    assert runs[-1]["cost_usd"] == pytest.approx(billed)


async def test_unknown_citation_is_flagged(make_session, llm) -> None:
    llm.reply = "Your order shipped [1]. Refunds take 3 days [9]. We give everyone $50 credit."
    s = make_session(_settings(llm))
    *_, draft = await _run(s, "1002")
    assert draft.check.unknown == (9,)
    assert draft.check.uncited_claims == ("We give everyone $50 credit.",)


async def test_pii_is_masked_for_a_cloud_model_and_restored(make_session, llm, monkeypatch) -> None:
    # Tests can't leave the machine, so the loopback server stands in for a cloud endpoint.
    monkeypatch.setattr("assist.llm.is_cloud", lambda tier: True)
    s = make_session(_settings(llm))
    llm.reply = "Hi Grace, I've sent a new reset link to [EMAIL_1] [1]."
    _, _, deltas, draft = await _run(s, "1022")
    prompt = " ".join(m["content"] for m in llm.requests[-1]["messages"])
    assert "gracekim.design@gmail.com" not in prompt
    assert "[EMAIL_1]" in prompt
    assert draft.text == "Hi Grace, I've sent a new reset link to gracekim.design@gmail.com [1]."
    assert "".join(deltas) == draft.text


async def test_local_model_gets_the_text_unmasked(make_session, llm) -> None:
    s = make_session(_settings(llm))
    llm.reply = "Hi Grace [1]."
    await _run(s, "1022")
    assert "gracekim.design@gmail.com" in llm.requests[-1]["messages"][1]["content"]


async def test_rate_limit_gives_clear_message(make_session, llm) -> None:
    llm.mode = "429"
    s = make_session(_settings(llm))
    *_, draft = await _run(s, "1002")
    assert "rate-limiting" in draft.note and "429" in draft.note and "offline draft" in draft.note
    assert draft.tier.value == "offline" and "KC-48377" in draft.text  # the agent still gets a draft
    assert len(llm.requests) == 1  # no silent retry storm against a rate limit


async def test_timeout_keeps_what_was_drafted(make_session, llm) -> None:
    llm.mode = "stall"
    llm.reply = "Hi Derek, your order KC-48377 is being packed [1] and ships soon."
    s = make_session(_settings(llm, timeout=1.0))
    _, _, deltas, draft = await _run(s, "1002")
    assert "did not answer in time" in draft.error
    assert "What was already drafted is kept" in draft.error
    assert draft.text.startswith("Hi Derek, your") and draft.text == "".join(deltas)


async def test_malformed_chunk_keeps_what_was_drafted(make_session, llm) -> None:
    llm.mode = "malformed"
    llm.reply = "Hi Derek, your order KC-48377 is being packed [1] and ships soon."
    s = make_session(_settings(llm))
    _, _, deltas, draft = await _run(s, "1002")
    assert draft.error and "kept" in draft.error
    assert draft.text.startswith("Hi Derek, your")


async def test_revoked_key_says_update_settings(make_session, llm) -> None:
    llm.mode = "401"
    s = make_session(_settings(llm))
    *_, draft = await _run(s, "1002")
    assert "rejected the API key" in draft.note and "Settings" in draft.note
    assert draft.tier.value == "offline" and draft.text


async def test_unreachable_tier_falls_back_to_offline_at_once(make_session) -> None:
    import time

    settings = Settings()
    settings.models.fast = ModelTier(model="openai/gpt-4o-mini", api_base="http://127.0.0.1:9/v1")
    settings.models.frontier = settings.models.fast
    settings.routing.llm_classifier = False
    s = make_session(settings)
    started = time.perf_counter()
    *_, draft = await _run(s, "1002")
    elapsed = time.perf_counter() - started
    assert draft.tier.value == "offline" and "KC-48377" in draft.text
    assert "was not used" in draft.note and "Couldn't reach" in draft.note
    print(f"fallback after {elapsed:.2f} s")  # informational: seconds, not the 13 s it used to take



async def test_llm_classifier_is_used_when_a_model_is_configured(make_session, llm) -> None:
    settings = _settings(llm)
    settings.routing.llm_classifier = True
    llm.reply = "change_plan"
    s = make_session(settings)
    ctx = await s.open_ticket(TicketId("1002"))  # offline says where_is_my_order
    r = await s.route_ticket(ctx)
    assert r.intent == "change_plan" and r.intent_confidence == 1.0
    assert llm.requests[0].get("stream") in (None, False)


async def test_ungrounded_ticket_never_reaches_the_model(make_session, llm) -> None:
    from datetime import UTC, datetime

    from assist.domain import AuthorRole, Message, Ticket, TicketStatus

    s = make_session(_settings(llm))
    now = datetime.now(UTC)
    ticket = Ticket(TicketId("9200"), "q", TicketStatus.OPEN, "x@example.com", "Robin", now, now,
                    (Message("1", "Robin", AuthorRole.CUSTOMER, "Do you sponsor marathon runners?", now),))
    ctx = TicketContext(ticket, None)
    r = await s.route_ticket(ctx)
    draft = [e async for e in s.draft(ctx, r)][-1]
    assert llm.requests == []
    assert not draft.grounded and "instead of guessing" in draft.note


@pytest.mark.parametrize("model", ["openai/o3-mini", "openai/gpt-5-mini", "openai/o4-mini"])
async def test_reasoning_models_draft_without_unsupported_parameters(make_session, llm, model) -> None:
    """OpenAI's reasoning models refuse `temperature`; the gateway drops what a model doesn't take."""
    settings = _settings(llm)
    settings.models.fast = ModelTier(model=model, api_base=llm.api_base)
    settings.models.frontier = settings.models.fast
    s = make_session(settings)
    llm.reply = "Hi Derek [1]."
    *_, draft = await _run(s, "1002")
    assert draft.error == "" and draft.text.startswith("Hi Derek")
    body = llm.requests[-1]
    assert body["model"] == model.split("/", 1)[1]
    assert "temperature" not in body


def test_no_tokenizer_download_for_local_model_names() -> None:
    from assist import llm_host

    litellm = llm_host.configure()  # what the model host runs before serving
    assert litellm.disable_hf_tokenizer_download is True
    from litellm.utils import _select_tokenizer_helper

    for model in ("ollama_chat/llama3.1", "ollama_chat/llama2", "deepseek-chat", "command-r"):
        assert _select_tokenizer_helper(model)["type"] == "openai_tokenizer", model  # local, no hub


async def test_litellm_runs_in_the_model_host_and_a_dead_host_is_replaced(make_session, llm) -> None:
    """Issue 16: the window's process never imports litellm (~200 MB, seconds of CPU); the model host
    does. A host that dies (killed, crashed in a provider SDK) costs one clear error, not the window,
    and the next draft starts a new one."""
    from assist import llm as gateway
    from tests.helpers import modules_loaded_by

    llm.reply = "Hi Derek, your order is being packed [1]."
    s = make_session(_settings(llm))
    *_, draft = await _run(s, "1002")
    assert draft.error == "" and draft.text == llm.reply
    assert modules_loaded_by("assist.llm, assist.session", ("litellm",)) == []
    first = gateway._HOST._proc
    assert first is not None
    first.kill()
    first.wait()
    *_, again = await _run(s, "1002")
    assert again.error == "" and again.text == llm.reply
    assert gateway._HOST._proc is not None and gateway._HOST._proc.pid != first.pid


async def test_an_idle_model_host_stops_and_opening_a_ticket_for_a_model_starts_it_again(
        make_session, llm, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 29: the host's ~200 MB go back to the machine when no model has been asked for a while; routing a
    ticket to a model tier starts it again in the background, and the draft is the model's, not a failure."""
    import asyncio

    from assist import llm as gateway

    llm.reply = "Hi Derek, your order is being packed [1]."
    monkeypatch.setattr(gateway._HOST, "IDLE_S", 0.5)
    s = make_session(_settings(llm))
    *_, draft = await _run(s, "1002")
    assert draft.error == "" and gateway._HOST._proc is not None
    first = gateway._HOST._proc
    for _ in range(100):  # idle: it stops (the timer's thread), its process ends
        if gateway._HOST._proc is None:
            break
        await asyncio.sleep(0.05)
    assert gateway._HOST._proc is None and first.wait(timeout=5) is not None
    ctx = await s.open_ticket(TicketId("1002"))
    route = await s.route_ticket(ctx)
    assert route.tier is not Tier.OFFLINE
    for _ in range(200):  # started again in the background (a thread spawns it), not waited on
        if gateway._HOST._proc is not None:
            break
        await asyncio.sleep(0.05)
    assert gateway._HOST._proc is not None
    *_, again = await _run(s, "1002")
    assert again.error == "" and again.text == llm.reply


async def test_a_hung_model_host_is_replaced_not_waited_on_again(make_session, llm, monkeypatch) -> None:
    """Issue 25: after the host hung (SIGSTOP mid-draft) every later draft went to the same pid and waited the
    full timeout. Now the first wait ends in one clear sentence and the next draft gets a fresh host."""
    import os
    import signal

    from assist import llm as gateway

    llm.reply = "Hi Derek, your order is being packed [1]."
    monkeypatch.setattr(gateway._HOST, "GRACE_S", 0.5)  # a fresh host's first answer still has the tier's 8 s
    s = make_session(_settings(llm, timeout=8.0))
    *_, draft = await _run(s, "1002")
    assert draft.error == ""
    hung = gateway._HOST._proc
    assert hung is not None
    os.kill(hung.pid, signal.SIGSTOP)
    try:
        *_, stuck = await _run(s, "1002")
        assert "stopped answering" in stuck.fallback and "restarted" in stuck.fallback  # and an offline draft
        assert stuck.text
        *_, again = await _run(s, "1002")
        assert again.error == "" and again.text == llm.reply
        assert gateway._HOST._proc is not None and gateway._HOST._proc.pid != hung.pid
    finally:
        if hung.poll() is None:
            os.kill(hung.pid, signal.SIGCONT)
            hung.kill()
        hung.wait()


async def test_each_provider_gets_its_own_key_and_no_other(make_session, secrets) -> None:
    """Issue 24: one keyring slot served both tiers, so OpenAI for fast and another provider for frontier could
    not both work, and the key went to every api_base. Two providers that reject each other's key."""
    from msgspec.structs import replace

    from assist.model_keys import key_name

    a, b = OpenAIServer(), OpenAIServer()
    try:
        a.key, b.key = "sk-provider-a", "sk-provider-b"
        s = Settings()
        s.models.fast = ModelTier(model=MODEL, api_base=a.api_base)
        s.models.frontier = ModelTier(model="openai/gpt-4o", api_base=b.api_base)
        s.routing.llm_classifier = False
        secrets.set(key_name(s.models.fast), a.key)
        secrets.set(key_name(s.models.frontier), b.key)
        session = make_session(s)
        ctx = await session.open_ticket(TicketId("1002"))
        r = await session.route_ticket(ctx)
        for tier, model, server in ((Tier.FAST, MODEL, a), (Tier.FRONTIER, "openai/gpt-4o", b)):
            server.reply = f"Hi Derek, from the {tier.value} tier [1]."
            events = [e async for e in session.draft(ctx, replace(r, tier=tier, model=model), fallback=False)]
            assert events[-1].error == "" and events[-1].text == server.reply, events[-1].error
        assert set(a.keys_seen) == {"Bearer sk-provider-a"} and set(b.keys_seen) == {"Bearer sk-provider-b"}
    finally:
        a.close()
        b.close()


def test_the_single_key_of_earlier_versions_moves_to_its_provider_and_never_to_a_local_server(secrets) -> None:
    from assist.model_keys import api_key, key_name, provider

    s = Settings()
    s.models.fast = ModelTier(model="gpt-4o-mini")  # OpenAI's own endpoint
    s.models.frontier = ModelTier(model="ollama_chat/llama3.1", api_base="http://localhost:11434")
    secrets.set("model-api-key", "sk-legacy")
    assert provider("gpt-4o-mini") == "openai" and provider("claude-3-5-sonnet-latest") == "anthropic"
    assert provider("openai/x", "http://localhost:11434/v1") == "localhost:11434"
    assert api_key(secrets, s.models.frontier, s.models) is None  # the local server gets no one's key
    assert api_key(secrets, s.models.fast, s.models) == "sk-legacy"
    assert secrets.get(key_name(s.models.fast)) == "sk-legacy" and secrets.get("model-api-key") is None


@pytest.mark.parametrize(("mode", "says"), [
    ("404", "doesn't know the model"),
    ("500", "had an error on its side"),
    ("quota", "out of credit or over its budget"),
])
async def test_each_provider_failure_has_its_own_sentence(make_session, llm, mode, says) -> None:
    """Issue 24: a 404 'model not found' read 'sent a malformed answer', a 500 'Couldn't reach', an exhausted
    quota 'rate-limiting'. Each now says what happened and what to do; the agent still gets the offline draft."""
    llm.mode = mode
    s = make_session(_settings(llm))
    *_, draft = await _run(s, "1002")
    assert says in draft.note, draft.note
    assert "malformed" not in draft.note and "Couldn't reach" not in draft.note
    assert draft.tier.value == "offline" and "KC-48377" in draft.text


async def test_a_reply_lost_to_reasoning_says_so_and_its_cost_is_journaled(make_session, secrets, llm) -> None:
    """Issue 24: a reasoning model that spent the 700-token budget thinking gave 'an empty draft' and the
    billed call was journaled at $0."""
    llm.mode = "length_empty"
    llm.usage = {"prompt_tokens": 1200, "completion_tokens": 700, "total_tokens": 1900}
    s = make_session(_settings(llm))
    *_, draft = await _run(s, "1002")
    assert "token budget" in draft.note and "max_tokens" in draft.note
    assert draft.tier.value == "offline" and "KC-48377" in draft.text
    runs = await s.journal.draft_runs(TicketId("1002"))
    billed = [r for r in runs if r["model"] == MODEL]
    assert billed and billed[-1]["cost_usd"] > 0 and "token budget" in str(billed[-1]["error"])


async def test_a_proxys_reported_cost_and_a_named_models_price_are_journaled(make_session, llm) -> None:
    """Issue 24: proxy aliases and OpenAI-compatible endpoints were priced at $0; the proxy's own
    x-litellm-response-cost was ignored."""
    s = Settings()
    s.models.fast = ModelTier(model="openai/team-fast", api_base=llm.api_base)  # an alias only the proxy knows
    s.models.frontier = s.models.fast
    s.routing.llm_classifier = False
    llm.proxy_cost = 0.0123
    llm.reply = "Hi Derek [1]."
    session = make_session(s)
    *_, draft = await _run(session, "1002")
    assert draft.cost_usd == pytest.approx(0.0123)
    llm.proxy_cost = None  # no header: an alias litellm cannot price stays $0, never a guess
    *_, draft = await _run(session, "1002")
    assert draft.cost_usd == 0.0


async def test_o_series_models_keep_the_reply_rules_as_developer_instructions(make_session, llm) -> None:
    """Issue 24: o-series models got the system prompt as a user message (litellm's conversion)."""
    for model, role in (("openai/o3-mini", "developer"), ("openai/gpt-4o-mini", "system")):
        s = _settings(llm)
        s.models.fast = ModelTier(model=model, api_base=llm.api_base)
        llm.reply = "Hi Derek [1]."
        await _run(make_session(s), "1002")
        assert llm.requests[-1]["messages"][0]["role"] == role, model


def test_the_model_is_told_guidance_is_for_following_not_quoting_and_a_long_thread_is_cut() -> None:
    """Issue 26: the model tiers' prompt binds the same rules as the offline drafter."""
    from datetime import UTC, datetime

    from assist.domain import AuthorRole, Citation, Message, Route, Source, Ticket, TicketStatus, Tier
    from assist.drafting import build_messages

    now = datetime.now(UTC)
    guide = Source("kb:g#1", "kb:g", "Rentals", "Late return", "Get the rider's full name for [Find Rider].\n"
                   "Choose the [Waive Fee] option as your action.\nTell them the fee is $5.", score=9.0)
    msgs = tuple(Message(str(i), "Kim", AuthorRole.CUSTOMER, f"message {i} " + "x" * 200, now) for i in range(5000))
    ticket = Ticket(TicketId("7"), "late", TicketStatus.OPEN, "k@x.com", "Kim", now, now, msgs)
    route = Route(Tier.FAST, "other", 0.5, "low", "low", 0.0, model=MODEL)
    system, user = build_messages(ticket, None, (Citation(1, guide),), route, Settings().ai, "Sam")
    assert "INTERNAL GUIDANCE" in system["content"] and "[1] Rentals › Late return (INTERNAL GUIDANCE" in \
        user["content"]
    assert len(user["content"]) < 40_000 and "message 0 " in user["content"] and "message 4999 " in user["content"]
    # the team's past answer to another customer: its facts, never what was done in that case
    answer = Source("answer:8111#0", "answer:8111", "How we answered #8111", "2FA",
                    "I have reset two-factor authentication on your account. Set it up again within 24 hours.")
    system, user = build_messages(ticket, None, (Citation(1, answer),), route, Settings().ai, "Sam")
    assert "PAST ANSWER" in system["content"] and "never what was done in that case" in system["content"]
    assert "[1] How we answered #8111 › 2FA (PAST ANSWER" in user["content"]
    assert "earlier messages left out" in user["content"]
