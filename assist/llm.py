"""The model gateway: every model call Assist makes — drafts, intent, action proposals, evaluation,
anything later — goes through here, and only here is litellm imported.

What the gateway guarantees, so no caller can forget it:
- **masking**: for a cloud tier with redaction on, every message is masked (emails, phones, cards,
  IBANs, national ids, addresses) before it leaves, and placeholders are restored in what comes back
  (streamed text and tool-call arguments alike); ``redact`` is a required argument;
- **parameters**: unsupported ones are dropped (``drop_params``), so reasoning models that refuse
  ``temperature`` still answer; no retries hidden inside litellm;
- **timeouts** from the tier, and litellm's exceptions translated to ``LLMError`` types with a message
  for the agent; cost from litellm's local price map, computed off the event loop.

litellm is imported lazily on a worker thread (it costs seconds and ~200 MB).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import time
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from assist.errors import LLMError, LLMRateLimitError, LLMResponseError, LLMTimeoutError
from assist.redact import Redactor, safe_prefix
from assist.settings import ModelTier

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]

def is_cloud(tier: ModelTier) -> bool:
    """A model counts as local only when its api_base points at this machine."""
    if not tier.api_base:
        return not tier.model.startswith("ollama")
    host = urlsplit(tier.api_base).hostname or ""
    return host not in ("localhost", "127.0.0.1", "::1") and not host.startswith("127.")


def _litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    # WORKAROUND: litellm's streaming TypedDicts use typing.ReadOnly, and pydantic warns once per
    # schema it builds for them; the warning says nothing an agent could act on.
    warnings.filterwarnings("ignore", message=r".*using the .ReadOnly. qualifier", category=UserWarning)
    import litellm

    litellm.suppress_debug_info = True
    # Token counting for Llama/Cohere/DeepSeek names would fetch a tokenizer from a model hub: an
    # outbound call nobody configured (and a 24 s stall offline). Count with the local tiktoken instead.
    litellm.disable_hf_tokenizer_download = True
    return litellm


def _warm_litellm() -> Any:
    """Import litellm and run its one-off set-up (cost tables, logging, provider modules) once.

    Done on a worker thread: on the event loop the first draft of a session froze the window for
    ~0.4 s inside litellm's first cost calculation and its lazy imports.
    """
    litellm = _litellm()
    try:
        litellm.completion_cost(model="gpt-4o-mini", prompt="warm up", completion="warm up")
    except Exception:  # warming is best effort; the real call reports real errors
        pass
    for module in _LAZY_MODULES:  # what litellm would otherwise import during the first stream
        try:
            importlib.import_module(module)
        except Exception:  # a module moved between litellm versions: nothing to warm
            pass
    try:  # litellm defers its pydantic schema builds to first use: build the streaming ones here
        from litellm.types.utils import Delta as LDelta
        from litellm.types.utils import ModelResponse, ModelResponseStream, StreamingChoices, Usage

        chunk = ModelResponseStream(choices=[StreamingChoices(delta=LDelta(content="warm", role="assistant"))])
        litellm.stream_chunk_builder([chunk], messages=[{"role": "user", "content": "warm"}])
        ModelResponse(usage=Usage(prompt_tokens=1, completion_tokens=1, total_tokens=2)).model_dump()  # type: ignore[no-untyped-call]
    except Exception:
        pass
    return litellm


# Measured with litellm 1.110: modules its first streamed completion imports on the calling thread.
_LAZY_MODULES = (
    "anyio._backends._asyncio", "anyio.streams.memory", "anyio.streams.stapled", "anyio.streams.tls",
    "litellm._service_logger", "litellm.litellm_core_utils.logging_callback_manager",
    "litellm.litellm_core_utils.litellm_logging", "litellm.integrations.generic_api.generic_api_callback",
    "litellm.integrations.prometheus_services", "litellm.llms.github_copilot.authenticator",
    "litellm.llms.openai.chat.gpt_audio_transformation", "litellm.proxy._types",
    "litellm.proxy.openai_files_endpoints.common_utils", "litellm.proxy.spend_tracking.savings",
    "litellm.types.litellm_core_utils.streaming_chunk_builder_utils",
)


_warmed = False


async def load_litellm() -> Any:
    """Import (and warm) litellm on a worker thread: the import takes seconds and would freeze the window."""
    global _warmed
    if not _warmed:
        await asyncio.to_thread(_warm_litellm)
        _warmed = True
    return _litellm()


def _translate(exc: Exception, partial: str, model: str) -> LLMError:
    litellm = _litellm()
    kept = " What was already drafted is kept." if partial else ""
    if isinstance(exc, litellm.RateLimitError):
        return LLMRateLimitError(f"{model} is rate-limiting requests (429). Wait a minute and retry.{kept}", partial)
    if isinstance(exc, litellm.Timeout) or "timed out" in str(exc).lower() or "timeout" in type(exc).__name__.lower():
        return LLMTimeoutError(f"{model} did not answer in time.{kept}", partial)
    if isinstance(exc, litellm.AuthenticationError):
        return LLMError(f"{model} rejected the API key. Update it in Settings.{kept}", partial)
    if isinstance(exc, litellm.APIConnectionError | litellm.ServiceUnavailableError | litellm.InternalServerError):
        return LLMError(f"Couldn't reach {model}: {str(exc)[:200]}.{kept}", partial)
    if isinstance(exc, litellm.APIError | litellm.BadRequestError):
        return LLMResponseError(f"{model} returned an error: {str(exc)[:200]}.{kept}", partial)
    return LLMResponseError(f"{model} sent a malformed answer ({type(exc).__name__}).{kept}", partial)


def _endpoint(tier: ModelTier, api_key: str | None) -> dict[str, Any]:
    """api_base and key for litellm. Local OpenAI-compatible servers (Ollama, vLLM) take no key,
    but the OpenAI client insists on one, so they get a placeholder; cloud providers without a key
    in the keyring fall back to litellm's own environment variables."""
    out: dict[str, Any] = {"max_retries": 0}
    if tier.api_base:
        out["api_base"] = tier.api_base
        out["api_key"] = api_key or "no-key"
    elif api_key:
        out["api_key"] = api_key
    return out


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of streamed draft text (already restored from PII placeholders)."""

    text: str


def priced(litellm: Any, model: str) -> bool:
    """Is the model in litellm's local price map (so its cost needs no download)?"""
    table = getattr(litellm, "model_cost", {}) or {}
    return model in table or model.split("/", 1)[-1] in table


def masker(tier: ModelTier, redact: bool) -> Redactor | None:
    """The redactor for one call: only for cloud tiers, only when redaction is on."""
    return Redactor() if redact and is_cloud(tier) else None


def _masked(messages: Messages, redactor: Redactor | None) -> Messages:
    if redactor is None:
        return messages
    return [{**m, "content": redactor.mask(m["content"])} for m in messages]


def _request(tier: ModelTier, api_key: str | None, messages: Messages, **extra: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "model": tier.model, "messages": messages, "timeout": tier.timeout_s, "num_retries": 0,
        # parameters a model does not support (temperature on reasoning models...) are dropped,
        # not sent and refused
        "drop_params": True,
    }
    kwargs.update(extra)
    kwargs.update(_endpoint(tier, api_key))
    return kwargs


async def stream(
    messages: Messages,
    tier: ModelTier,
    api_key: str | None,
    *,
    redact: bool,
    usage: dict[str, Any],
) -> AsyncIterator[Delta]:
    """Stream a completion. Raises LLMError (with ``partial``) on failure.

    ``usage`` receives ``cost_usd`` (from litellm's local price map) once the stream ends.
    """
    litellm = await load_litellm()
    redactor = masker(tier, redact)
    messages = _masked(messages, redactor)
    raw, emitted, chunks = "", "", []
    kwargs = _request(tier, api_key, messages, stream=True, max_tokens=tier.max_tokens,
                      temperature=tier.temperature)
    try:
        response = await litellm.acompletion(**kwargs)
        breather = time.perf_counter()
        async for chunk in response:
            chunks.append(chunk)
            if time.perf_counter() - breather > 0.008:
                # Buffered chunks come back-to-back without a real wait, and each costs litellm
                # ~0.5 ms: let the UI breathe so a burst never freezes the window.
                await asyncio.sleep(0)
                breather = time.perf_counter()
            choices = getattr(chunk, "choices", None)
            if not choices:
                continue
            piece = getattr(choices[0].delta, "content", None) or ""
            raw += piece
            visible = raw[: safe_prefix(raw)]
            restored = redactor.restore(visible) if redactor else visible
            if len(restored) > len(emitted):
                yield Delta(restored[len(emitted):])
                emitted = restored
    except LLMError:
        raise
    except Exception as exc:
        raise _translate(exc, emitted, tier.model) from exc
    restored = redactor.restore(raw) if redactor else raw
    if len(restored) > len(emitted):
        yield Delta(restored[len(emitted):])
    if not restored.strip():
        raise LLMResponseError(f"{tier.model} returned an empty draft.", "")

    def _cost() -> float:
        # Only for models in litellm's local price map: for anything else (a local Llama) litellm
        # would count tokens with a tokenizer it downloads from a model hub: an outbound call nobody
        # configured, and seconds of stall.
        if not priced(litellm, tier.model):
            return 0.0
        full = litellm.stream_chunk_builder(chunks, messages=messages)
        return float(litellm.completion_cost(completion_response=full) or 0.0)

    try:  # token counting can load tokenizers: keep it off the UI thread
        usage["cost_usd"] = await asyncio.to_thread(_cost)
    except Exception:  # unknown price for a local model: cost is simply unknown (0)
        usage["cost_usd"] = 0.0


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]  # placeholders already restored to the real values


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    tool_calls: tuple[ToolCall, ...] = field(default_factory=tuple)


async def complete(
    messages: Messages,
    tier: ModelTier,
    api_key: str | None,
    *,
    redact: bool,
    tools: list[dict[str, Any]] | None = None,
    max_tokens: int | None = None,
    timeout_s: float | None = None,
) -> Completion:
    """One non-streamed completion (intent, tool calls). Raises LLMError on failure."""
    litellm = await load_litellm()
    redactor = masker(tier, redact)
    extra: dict[str, Any] = {"temperature": 0}
    if tools:
        extra.update(tools=tools, tool_choice="auto")
    if max_tokens:
        extra["max_tokens"] = max_tokens
    kwargs = _request(tier, api_key, _masked(messages, redactor), **extra)
    if timeout_s is not None:
        kwargs["timeout"] = min(tier.timeout_s, timeout_s)
    try:
        resp = await litellm.acompletion(**kwargs)
        message = resp.choices[0].message
    except Exception as exc:
        raise _translate(exc, "", tier.model) from exc
    text = message.content or ""
    calls = []
    for call in getattr(message, "tool_calls", None) or []:
        raw = call.function.arguments or "{}"
        try:
            args = json.loads(redactor.restore(raw) if redactor else raw)
        except json.JSONDecodeError:
            args = {}
        calls.append(ToolCall(call.function.name, args if isinstance(args, dict) else {}))
    return Completion(redactor.restore(text) if redactor else text, tuple(calls))


async def classify(text: str, tier: ModelTier, api_key: str | None, *, redact: bool,
                   labels: list[str]) -> str | None:
    """Ask a model which label fits; None on any failure (the offline classifier's answer stands)."""
    prompt = ("Classify this support ticket into exactly one of these intents and answer with the intent "
              f"name only: {', '.join(labels)}.\n\nTicket:\n{text[:4000]}")
    try:
        answer = (await complete([{"role": "user", "content": prompt}], tier, api_key, redact=redact,
                                 max_tokens=10, timeout_s=20)).text.strip().lower()
    except LLMError as exc:  # classification is an optimisation
        log.info("Model intent failed, keeping the offline one: %s", exc)
        return None
    for label in labels:
        if label in answer:
            return label
    return None
