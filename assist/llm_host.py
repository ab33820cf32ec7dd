"""The model host: a child process that imports litellm and makes the model calls the app sends it.

litellm costs ~3.7 s of CPU and ~200 MB to import (openai's types, provider modules, price tables).
In the window's process that was 459 MB idle as soon as a model was configured, and its import and
first calls competed with the UI thread for the GIL. Here it costs neither: the window stays a
~140 MB process, and a crash or a hang inside a provider SDK ends this process, not the agent's
window (the next call starts a new one).

What crosses the pipe is already checked: ``assist.llm`` masks PII, picks the tier, timeouts and
parameters in the app's process, at the core boundary; this process only runs ``litellm.acompletion``
with those arguments and reports what came back. Protocol: one JSON object per line.

- app -> host: ``{"id": n, "op": "stream"|"complete"|"embed", "kwargs": {...}}``, ``{"op": "cancel", "id": n}``
- host -> app: ``{"ready": true}`` once litellm is warm; for a stream ``{"id": n, "piece": "..."}``
  then ``{"id": n, "end": true, "cost": 0.0012}``; for a completion ``{"id": n, "text": "...",
  "tool_calls": [{"name": ..., "arguments": "<json>"}]}``; for embeddings ``{"id": n, "vectors": [[...]]}``;
  on failure ``{"id": n, "error": kind,
  "message": "...", "type": "..."}`` with kind one of quota, rate_limit, timeout, auth, not_found,
  too_long, refused, server, connection, api,
  malformed.

The host exits when its stdin closes (the app quit or died).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import sys
import threading
import warnings
from typing import Any, BinaryIO


def configure() -> Any:
    """Import litellm set up the way Assist needs it."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    # WORKAROUND: litellm's streaming TypedDicts use typing.ReadOnly, and pydantic warns once per
    # schema it builds for them; the warning says nothing an agent could act on.
    warnings.filterwarnings("ignore", message=r".*using the .ReadOnly. qualifier", category=UserWarning)
    import litellm

    litellm.suppress_debug_info = True
    # Token counting for Llama/Cohere/DeepSeek names would fetch a tokenizer from a model hub: an
    # outbound call nobody configured (and a 24 s stall offline). Count with the local tiktoken instead.
    litellm.disable_hf_tokenizer_download = True
    # The cost is what the provider billed (its usage, asked for with include_usage): litellm's own token
    # counter loads tiktoken encodings for logging on the first stream, +107 MB in this process (316 -> 209 MB
    # after a first draft, measured here) for a count nobody reads. A provider that sends no usage gets cost 0.
    litellm.disable_token_counter = True
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


def warm() -> Any:
    """Import litellm and run its one-off set-up (cost tables, logging, provider modules, the pydantic
    schemas it builds on first use) before the first request, so the first draft pays none of it."""
    litellm = configure()
    try:  # pricing from billed usage, as streams report it (include_usage)
        from litellm.types.utils import Choices, Message, ModelResponse, Usage

        litellm.completion_cost(completion_response=ModelResponse(
            model="gpt-4o-mini", choices=[Choices(message=Message(content="warm", role="assistant"))],
            usage=Usage(prompt_tokens=1, completion_tokens=1, total_tokens=2)))
    except Exception:  # warming is best effort; the real call reports real errors
        pass
    for module in _LAZY_MODULES:
        try:
            importlib.import_module(module)
        except Exception:  # a module moved between litellm versions: nothing to warm
            pass
    try:
        from litellm.types.utils import Delta as LDelta
        from litellm.types.utils import ModelResponse, ModelResponseStream, StreamingChoices, Usage

        chunk = ModelResponseStream(choices=[StreamingChoices(delta=LDelta(content="warm", role="assistant"))])
        litellm.stream_chunk_builder([chunk], messages=[{"role": "user", "content": "warm"}])
        ModelResponse(usage=Usage(prompt_tokens=1, completion_tokens=1, total_tokens=2)).model_dump()  # type: ignore[no-untyped-call]
    except Exception:
        pass
    try:  # one mocked streamed call: litellm's call path (wrappers, logging, chunk types) runs once here
        async def mocked() -> None:
            stream = await litellm.acompletion(model="openai/gpt-4o-mini", stream=True, mock_response="warm",
                                               messages=[{"role": "user", "content": "warm"}])
            async for _ in stream:
                pass

        asyncio.run(mocked())
    except Exception:
        pass
    return litellm


REASONING_TOKENS = 4000  # a reasoning model's budget: thinking and the reply (a draft alone needs ~700)


def kind(litellm: Any, exc: BaseException) -> str:
    """litellm's exception as one of the kinds ``assist.llm`` turns into a message for the agent."""
    text = str(exc).lower()
    budget = getattr(litellm, "BudgetExceededError", None)
    if (budget is not None and isinstance(exc, budget)) or any(
            w in text for w in ("insufficient_quota", "exceeded your current quota", "budget has been exceeded",
                                "credit balance is too low", "billing")):
        return "quota"
    if isinstance(exc, litellm.RateLimitError):
        return "rate_limit"
    if isinstance(exc, litellm.Timeout) or "timed out" in text or "timeout" in type(exc).__name__.lower():
        return "timeout"
    if isinstance(exc, litellm.AuthenticationError):
        return "auth"
    if isinstance(exc, litellm.NotFoundError) or any(
            w in text for w in ("llm provider not provided", "model_not_found", "does not exist",
                                "unknown model", "is not a valid model")):
        return "not_found"
    if isinstance(exc, litellm.ContextWindowExceededError):
        return "too_long"
    if isinstance(exc, litellm.ContentPolicyViolationError):
        return "refused"
    # litellm reports a refused or unresolvable address as an InternalServerError ("Connection error."): the
    # server was never reached, which is a different sentence from a provider's own 5xx
    if isinstance(exc, litellm.APIConnectionError) or any(
            w in text for w in ("connection error", "connection refused", "connecterror", "name or service not known",
                                "nodename nor servname", "network is unreachable", "cannot connect")):
        return "connection"
    if isinstance(exc, litellm.ServiceUnavailableError | litellm.InternalServerError):
        return "server"
    if isinstance(exc, litellm.APIError | litellm.BadRequestError):
        return "api"
    return "malformed"


class Host:
    def __init__(self, out: BinaryIO, litellm: Any) -> None:
        self.out = out
        self.litellm = litellm
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def send(self, message: dict[str, Any]) -> None:
        self.out.write((json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8"))
        self.out.flush()

    def handle(self, line: bytes) -> None:
        try:
            message = json.loads(line)
            op, rid = message.get("op"), int(message.get("id", -1))
        except (ValueError, AttributeError, TypeError):
            return  # not ours: the app only ever sends one object per line
        if op == "cancel":
            task = self.tasks.get(rid)
            if task is not None:
                task.cancel()
        elif op in ("stream", "complete", "embed") and isinstance(message.get("kwargs"), dict):
            self.tasks[rid] = asyncio.ensure_future(self.run(rid, op, message["kwargs"]))

    async def run(self, rid: int, op: str, kwargs: dict[str, Any]) -> None:
        litellm = self.litellm
        try:
            if op in ("stream", "complete"):
                self.reasoning_budget(kwargs)
                developer_role(kwargs)
            if op == "stream":
                chunks, finish = [], ""
                response = await litellm.acompletion(**kwargs)
                async for chunk in response:
                    chunks.append(chunk)
                    choices = getattr(chunk, "choices", None)
                    piece = (getattr(choices[0].delta, "content", None) or "") if choices else ""
                    finish = (getattr(choices[0], "finish_reason", None) or finish) if choices else finish
                    if piece:
                        self.send({"id": rid, "piece": piece})
                cost = await asyncio.to_thread(self.cost, kwargs, chunks, response)
                self.send({"id": rid, "end": True, "cost": cost, "finish": finish})
            elif op == "embed":
                response = await litellm.aembedding(**kwargs)
                rows = sorted(response.data, key=lambda d: d["index"] if isinstance(d, dict) else d.index)
                self.send({"id": rid, "vectors": [d["embedding"] if isinstance(d, dict) else d.embedding
                                                  for d in rows]})
            else:
                response = await litellm.acompletion(**kwargs)
                message = response.choices[0].message
                calls = [{"name": c.function.name, "arguments": c.function.arguments or "{}"}
                         for c in getattr(message, "tool_calls", None) or []]
                self.send({"id": rid, "text": message.content or "", "tool_calls": calls})
        except asyncio.CancelledError:
            pass  # the app stopped waiting (Stop, another ticket): the request's connection is closed
        except Exception as exc:
            self.send({"id": rid, "error": kind(litellm, exc), "message": str(exc)[:500],
                       "type": type(exc).__name__})
        finally:
            self.tasks.pop(rid, None)

    def reasoning_budget(self, kwargs: dict[str, Any]) -> None:
        """A reasoning model spends tokens thinking before it writes: a draft's budget (700) would go to the
        thinking and the reply come back empty, billed. Such models get room for both, and low effort."""
        try:
            reasoning = bool(self.litellm.supports_reasoning(model=str(kwargs.get("model", ""))))
        except Exception:  # noqa: BLE001 - an unknown model: not known to reason
            reasoning = False
        if reasoning:
            kwargs["max_tokens"] = max(int(kwargs.get("max_tokens") or 0), REASONING_TOKENS)
            kwargs.setdefault("reasoning_effort", "low")

    def cost(self, kwargs: dict[str, Any], chunks: list[Any], response: Any = None) -> float:
        """What the call cost: a LiteLLM proxy's own figure (its ``x-litellm-response-cost`` header) when it
        sends one, else the billed tokens at the price of the model the request names, when litellm's local
        price map knows it ("openai/gemini-2.5-flash" on an OpenAI-compatible endpoint is priced as
        gemini-2.5-flash). Anything else (a local Llama) costs 0: no tokenizer is downloaded to guess."""
        reported = proxy_cost(response)
        if reported is not None:
            return reported
        name = priced_name(self.litellm, str(kwargs.get("model", "")))
        if name is None:
            return 0.0
        try:
            full = self.litellm.stream_chunk_builder(chunks, messages=kwargs.get("messages"))
            return float(self.litellm.completion_cost(completion_response=full, model=name) or 0.0)
        except Exception:  # unknown price: cost is simply unknown (0)
            return 0.0


_O_SERIES = re.compile(r"^(?:openai/|azure/)?(?!o1-mini|o1-preview)o[1-9]", re.IGNORECASE)


def developer_role(kwargs: dict[str, Any]) -> None:
    """OpenAI's o-series take instructions as a ``developer`` message (litellm turns ``system`` into a plain
    user message for them, so the reply rules lost their priority); o1-mini and o1-preview take neither."""
    if not _O_SERIES.match(str(kwargs.get("model", ""))):
        return
    kwargs["messages"] = [{**m, "role": "developer"} if isinstance(m, dict) and m.get("role") == "system" else m
                          for m in kwargs.get("messages") or []]


def proxy_cost(response: Any) -> float | None:
    headers = (getattr(response, "_hidden_params", None) or {}).get("additional_headers") or {}
    for key in ("llm_provider-x-litellm-response-cost", "x-litellm-response-cost"):
        if headers.get(key) not in (None, ""):
            try:
                return max(float(headers[key]), 0.0)
            except (TypeError, ValueError):
                return None
    return None


def priced_name(litellm: Any, model: str) -> str | None:
    """The name litellm's price map knows this model by: as given, or the model an OpenAI-compatible route
    ("openai/NAME", "hosted_vllm/NAME") names."""
    table = getattr(litellm, "model_cost", {}) or {}
    bare = model.split("/", 1)[-1]
    return next((c for c in (model, bare) if c in table), None)


async def serve(host: Host, source: BinaryIO) -> None:
    loop = asyncio.get_running_loop()
    closed = asyncio.Event()

    def read() -> None:  # a thread: reading a pipe blocks
        for line in source:
            loop.call_soon_threadsafe(host.handle, line)
        loop.call_soon_threadsafe(closed.set)

    threading.Thread(target=read, name="model-host-stdin", daemon=True).start()
    await closed.wait()
    for task in list(host.tasks.values()):
        task.cancel()


def main() -> int:
    # The protocol owns the original stdout; anything else printed (by litellm or a provider SDK, in
    # Python or C) goes to stderr instead of corrupting it, and the app logs stderr's lines.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from assist import logsafe

    for handler in logging.getLogger().handlers:
        logsafe.install(handler)
    host = Host(out, warm())
    host.send({"ready": True, "pid": os.getpid()})
    asyncio.run(serve(host, sys.stdin.buffer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
