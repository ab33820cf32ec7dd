"""The model gateway: every model call Assist makes — drafts, intent, action proposals, evaluation,
anything later — goes through here, and only here is litellm imported.

What the gateway guarantees, so no caller can forget it:
- **masking**: for a cloud tier with redaction on, every message is masked (emails, phones, cards,
  IBANs, national ids, addresses) before it leaves, and placeholders are restored in what comes back
  (streamed text and tool-call arguments alike); ``redact`` is a required argument;
- **parameters**: unsupported ones are dropped (``drop_params``), so reasoning models that refuse
  ``temperature`` still answer; no retries hidden inside litellm;
- **timeouts** from the tier, and litellm's exceptions translated to ``LLMError`` types with a message
  for the agent; cost from litellm's local price map.

litellm itself runs in the model host, a child process (``assist.llm_host``): it costs seconds of CPU
and ~200 MB, which the window's process no longer pays; what crosses to it is already masked here.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ipaddress
import json
import logging
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from msgspec import Struct, field

from assist.domain import Delta
from assist.errors import LLMError, LLMRateLimitError, LLMResponseError, LLMTimeoutError
from assist.settings import ModelTier

if TYPE_CHECKING:  # the masking patterns compile on a tier's first cloud call, not on every start
    from assist.redact import Redactor

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]

def is_cloud(tier: ModelTier) -> bool:
    """A model counts as local only when its api_base points at this machine."""
    if not tier.api_base:
        return not tier.model.startswith("ollama")
    host = (urlsplit(tier.api_base).hostname or "").rstrip(".").lower()
    if host == "localhost":
        return False
    try:  # a loopback address, parsed: "127.attacker.example" is a name, not 127.0.0.0/8
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


class _Host:
    """The app's side of the model host (``assist.llm_host``): one child process per app, started on
    the first call (or by ``start_host`` while the window starts), restarted after it dies.

    Replies are read by a thread and handed to the event loop that asked, so any loop (the window's,
    a test's, the command line's) can call it, and nothing here ever blocks a loop on the pipe."""

    START_TIMEOUT_S = 120.0  # litellm warms in ~4 s on 2 cores; a cold disk can take much longer
    GRACE_S = 15.0  # beyond the tier's own timeout: a healthy host has answered (if only with a timeout) by then
    # With no model call for this long the host stops and its ~200 MB go back to the machine; opening a ticket
    # a model will draft starts it again in the background (``prewarm``), the draft itself at worst waits for
    # litellm to warm (benchmarks/first_token.py prints that cold first token).
    IDLE_S = 300.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._failed = ""
        self._next = 0
        self._stopping = False
        self._pending: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = {}
        self._idle: threading.Timer | None = None

    @staticmethod
    def command() -> list[str]:
        if getattr(sys, "frozen", False):  # the packaged app runs itself as the host
            return [sys.executable, "--model-host"]
        return [sys.executable, "-m", "assist.llm_host"]

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return self._proc
            self._ready.clear()
            self._failed = ""
            self._stopping = False
            proc = subprocess.Popen(self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, close_fds=True)
            self._proc = proc
            threading.Thread(target=self._read, args=(proc,), name="model-host-replies", daemon=True).start()
            threading.Thread(target=self._relay, args=(proc,), name="model-host-log", daemon=True).start()
            log.info("model host started (pid %s)", proc.pid)
            return proc

    @staticmethod
    def _relay(proc: subprocess.Popen[bytes]) -> None:
        """What the host writes to stderr (its warnings, a provider SDK's traceback) goes into the app's
        own log, so a crash leaves a trace in the diagnostics."""
        assert proc.stderr is not None
        with proc.stderr:
            for line in proc.stderr:
                log.warning("model host: %s", line.decode("utf-8", "replace").rstrip())

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("ready"):
                self._ready.set()
                continue
            with self._lock:
                target = self._pending.get(int(message.get("id", -1)))
            if target is not None:
                target[0].call_soon_threadsafe(target[1].put_nowait, message)
        code = proc.wait()
        with self._lock:
            if self._proc is proc:
                self._proc = None
            for pipe in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError):
                    if pipe is not None:
                        pipe.close()
            self._failed = f"The model worker stopped (exit code {code}); the next request starts it again."
            waiting = list(self._pending.values())
        self._ready.set()  # wake anyone waiting for a start that will not come
        (log.info if self._stopping else log.warning)("model host exited with code %s", code)
        for loop, queue in waiting:
            loop.call_soon_threadsafe(queue.put_nowait, {"error": "host", "message": self._failed})

    def _cancel_idle(self) -> None:
        """Disarm the idle stop (the caller holds ``_lock``)."""
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _rest_later(self) -> None:
        """Stop the host once it has had nothing to do for ``IDLE_S`` (re-armed by every call)."""
        with self._lock:
            self._cancel_idle()
            if self._pending or self.IDLE_S <= 0:
                return
            self._idle = threading.Timer(self.IDLE_S, self._rest)
            self._idle.daemon = True
            self._idle.start()

    def _rest(self) -> None:
        with self._lock:
            busy, self._idle = bool(self._pending), None
        if not busy and self._proc is not None:
            log.info("model host idle for %.0f s: stopped (the next model draft starts it again)", self.IDLE_S)
            self.stop()

    def prewarm(self) -> None:
        """Start the host in the background if it is not running (a model will likely be asked soon): the
        process is spawned on a thread of its own, never on the caller's (the window's event loop)."""
        if self._proc is None or self._proc.poll() is not None:
            threading.Thread(target=self._spawn, name="model-host-start", daemon=True).start()
        self._rest_later()

    async def start(self, rest_after: bool = True) -> None:
        """Start the host (if needed) and wait until litellm is warm in it, without blocking the loop;
        ``rest_after``: arm the idle stop (a call arms it when it ends instead)."""
        with self._lock:
            self._cancel_idle()
        proc = self._spawn()
        waited = 0.0
        while not self._ready.is_set():
            if waited > self.START_TIMEOUT_S:  # stuck importing: one message, and the next call tries anew
                self.stop()
                raise LLMError("The model worker did not start in time; the details are in the log.", "")
            await asyncio.sleep(0.02)
            waited += 0.02
        if proc.poll() is not None:
            raise LLMError(self._failed or "The model worker could not start; the details are in the log.", "")
        if rest_after:
            self._rest_later()

    def _send(self, message: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        try:
            with self._write_lock:  # not the replies' lock: a long write never holds up the reader
                proc.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
                proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):  # it just died: the reader thread reports it
            pass

    @contextlib.asynccontextmanager
    async def call(self, op: str, kwargs: dict[str, Any]) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """Send one request; yields the queue its replies arrive on. Leaving early cancels it in the host."""
        await self.start(rest_after=False)  # no idle stop while a call runs: armed when it ends
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        with self._lock:
            self._next += 1
            rid = self._next
            self._pending[rid] = (asyncio.get_running_loop(), queue)
        finished = False
        try:
            # a prompt with its passages can outgrow the pipe's buffer: write off the loop
            await asyncio.to_thread(self._send, {"id": rid, "op": op, "kwargs": kwargs})
            yield queue
            finished = True
        finally:
            with self._lock:
                self._pending.pop(rid, None)
            if not finished:
                self._send({"op": "cancel", "id": rid})
            self._rest_later()

    def replace_hung(self) -> None:
        """The host said nothing past the tier's timeout and the grace: it is hung (stopped, deadlocked in a
        provider SDK), not slow. Kill it, so the next call starts a fresh one instead of waiting on it too."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            log.warning("model host (pid %s) stopped answering: replaced", proc.pid)
            with contextlib.suppress(OSError):
                proc.kill()

    def stop(self) -> None:
        self._stopping = True
        with self._lock:
            proc, self._proc = self._proc, None
            self._cancel_idle()
        if proc is not None and proc.poll() is None:
            try:
                if proc.stdin is not None:
                    proc.stdin.close()  # the host exits when its input ends
                proc.wait(timeout=3)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()


_HOST = _Host()
atexit.register(_HOST.stop)


async def start_host() -> None:
    """Start the model host and warm litellm in it (seconds of CPU, in another process)."""
    await _HOST.start()


def prewarm_host() -> None:
    """Start the model host in the background if it stopped (idle): a model draft is likely soon."""
    _HOST.prewarm()


# The host's failure kinds (assist.llm_host.kind) as the agent reads them.
_ERRORS: dict[str, tuple[type[LLMError], str]] = {
    "quota": (LLMError, "{model}'s account is out of credit or over its budget: top it up (or raise the "
                        "budget) with the provider, then retry."),
    "rate_limit": (LLMRateLimitError, "{model} is rate-limiting requests (429). Wait a minute and retry."),
    "timeout": (LLMTimeoutError, "{model} did not answer in time."),
    "auth": (LLMError, "{model} rejected the API key. Update it in Settings."),
    "not_found": (LLMError, "The provider doesn't know the model {model} (it may have been renamed or retired): "
                            "check the model name in Settings > Models."),
    "too_long": (LLMError, "This ticket is longer than {model} can read at once: draft it with the frontier "
                           "model or shorten what is sent."),
    "refused": (LLMError, "{model} declined to write this reply (its content policy)."),
    "server": (LLMError, "{model}'s provider had an error on its side ({kind}). Retry in a minute."),
    "connection": (LLMError, "Couldn't reach {model}: {message}."),
    "api": (LLMResponseError, "{model} returned an error: {message}."),
    "host": (LLMError, "{message}"),
}


def _error(reply: dict[str, Any], partial: str, model: str) -> LLMError:
    """The host's report of a failed call as the agent's message."""
    cls, text = _ERRORS.get(str(reply.get("error")), (LLMResponseError, "{model} sent a malformed answer ({kind})."))
    message = text.format(model=model, message=str(reply.get("message", ""))[:200],
                          kind=reply.get("type", "unreadable"))
    return cls(message + (" What was already drafted is kept." if partial else ""), partial)


async def _reply(queue: asyncio.Queue[dict[str, Any]], tier: ModelTier, partial: str) -> dict[str, Any]:
    """The next reply, or a timeout when the host says nothing for longer than the tier allows."""
    try:
        return await asyncio.wait_for(queue.get(), timeout=tier.timeout_s + _HOST.GRACE_S)
    except TimeoutError:
        _HOST.replace_hung()
        raise LLMTimeoutError(f"The model worker stopped answering ({tier.model}); it was restarted and the next "
                              "draft uses a fresh one." + (" What was already drafted is kept." if partial else ""),
                              partial) from None


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


def masks(tier: ModelTier, redact: bool) -> bool:
    """Calls to this tier are masked: a cloud tier with redaction on."""
    return redact and is_cloud(tier)


def load_masking() -> None:
    """Compile the masking patterns (~6 ms), e.g. on a worker while the window opens."""
    import assist.redact  # noqa: F401


def masker(tier: ModelTier, redact: bool) -> Redactor | None:
    """The redactor for one call: only for cloud tiers, only when redaction is on."""
    if not masks(tier, redact):
        return None
    from assist.redact import Redactor

    return Redactor()


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
    from assist.redact import safe_prefix

    redactor = masker(tier, redact)
    messages = _masked(messages, redactor)
    raw, emitted, finish = "", "", ""
    # include_usage: the provider reports the tokens it billed (the last chunk), so the cost is what it
    # charged, not a local tokenizer's estimate; providers without the option drop it (drop_params).
    kwargs = _request(tier, api_key, messages, stream=True, stream_options={"include_usage": True},
                      max_tokens=tier.max_tokens,
                      temperature=tier.temperature)
    async with _HOST.call("stream", kwargs) as replies:
        while True:
            reply = await _reply(replies, tier, emitted)
            if "error" in reply:
                raise _error(reply, emitted, tier.model)
            if reply.get("end"):
                usage["cost_usd"] = float(reply.get("cost") or 0.0)
                finish = str(reply.get("finish") or "")
                break
            raw += str(reply.get("piece", ""))
            visible = raw[: safe_prefix(raw)]
            restored = redactor.restore(visible) if redactor else visible
            if len(restored) > len(emitted):
                yield Delta(restored[len(emitted):])
                emitted = restored
    restored = redactor.restore(raw) if redactor else raw
    if len(restored) > len(emitted):
        yield Delta(restored[len(emitted):])
    if not restored.strip():
        if finish == "length":
            raise LLMResponseError(f"{tier.model} spent its whole token budget (max_tokens = {tier.max_tokens}) "
                                   "before writing a word (reasoning models think first): raise max_tokens for "
                                   "this tier in config.toml.", "")
        raise LLMResponseError(f"{tier.model} returned an empty draft.", "")


class ToolCall(Struct, frozen=True):
    name: str
    arguments: dict[str, Any]  # placeholders already restored to the real values


class Completion(Struct, frozen=True):
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
    redactor = masker(tier, redact)
    extra: dict[str, Any] = {"temperature": 0}
    if tools:
        extra.update(tools=tools, tool_choice="auto")
    if max_tokens:
        extra["max_tokens"] = max_tokens
    kwargs = _request(tier, api_key, _masked(messages, redactor), **extra)
    if timeout_s is not None:
        kwargs["timeout"] = min(tier.timeout_s, timeout_s)
    async with _HOST.call("complete", kwargs) as replies:
        reply = await _reply(replies, tier, "")
    if "error" in reply:
        raise _error(reply, "", tier.model)
    text = str(reply.get("text") or "")
    calls = []
    for call in reply.get("tool_calls") or []:
        raw = str(call.get("arguments") or "{}")
        try:
            args = json.loads(redactor.restore(raw) if redactor else raw)
        except json.JSONDecodeError:
            args = {}
        calls.append(ToolCall(str(call.get("name", "")), args if isinstance(args, dict) else {}))
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


EMBED_BATCH = 256  # inputs per request (OpenAI takes up to 2,048; smaller batches keep each call short)


async def embed(texts: Sequence[str], tier: ModelTier, api_key: str | None, *, redact: bool) -> list[list[float]]:
    """Sentence vectors from a configured embedding model (OpenAI, Ollama, vLLM, a LiteLLM proxy), masked
    like every model call to a cloud tier. Raises LLMError on failure."""
    redactor = masker(tier, redact)
    out: list[list[float]] = []
    for start in range(0, len(texts), EMBED_BATCH):
        batch = [(t or " ")[:8000] for t in texts[start:start + EMBED_BATCH]]
        if redactor is not None:
            batch = [redactor.mask(t) for t in batch]
        kwargs: dict[str, Any] = {"model": tier.model, "input": batch, "timeout": tier.timeout_s, "num_retries": 0,
                                  **_endpoint(tier, api_key)}
        async with _HOST.call("embed", kwargs) as replies:
            reply = await _reply(replies, tier, "")
        if "error" in reply:
            raise _error(reply, "", tier.model)
        vectors = reply.get("vectors")
        if not isinstance(vectors, list) or len(vectors) != len(batch):
            raise LLMResponseError(f"{tier.model} sent {len(vectors) if isinstance(vectors, list) else 'no'} "
                                   f"vectors for {len(batch)} texts.", "")
        out += [[float(x) for x in v] for v in vectors]
    return out
