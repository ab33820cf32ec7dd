"""A local OpenAI-compatible chat-completions server (real HTTP, SSE), shaped after OpenAI's
published API reference: ``POST /v1/chat/completions`` with ``stream: true`` answers
``text/event-stream`` lines ``data: {chat.completion.chunk}`` ending with ``data: [DONE]``;
errors are JSON ``{"error": {"message", "type", "code"}}`` with the HTTP status (429 adds
``retry-after``). ``stream_options: {"include_usage": true}`` adds a last chunk with empty
``choices`` and the ``usage``; ``stream_options`` without ``stream`` is a 400, as OpenAI answers.

``POST /v1/embeddings`` answers deterministic vectors (hashed words), refusing what OpenAI refuses (empty
strings, more than 2,048 inputs, no model).

The test sets ``server.mode`` and ``server.reply``; every request body is kept in ``server.requests``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _chunk(content: str | None, finish: str | None = None, role: bool = False) -> bytes:
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = "assistant"
    if content is not None:
        delta["content"] = content
    body = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1_700_000_000,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


# https://platform.openai.com/docs/guides/error-codes: status and body as the API sends them
ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "404": (404, {"error": {"message": "The model `gpt-4o-mini-2023` does not exist or you do not have access to it.",
                            "type": "invalid_request_error", "param": None, "code": "model_not_found"}}),
    "500": (500, {"error": {"message": "The server had an error while processing your request. Sorry about that!",
                            "type": "server_error", "param": None, "code": None}}),
    "quota": (429, {"error": {"message": "You exceeded your current quota, please check your plan and billing "
                                         "details.", "type": "insufficient_quota", "param": None,
                              "code": "insufficient_quota"}}),
}


class OpenAIServer:
    def __init__(self) -> None:
        self.mode = "ok"  # ok | 429 | stall | malformed | 401 | 404 | 500 | quota | length_empty
        self.key = ""  # when set, like the real API: any other bearer key (or none) is a 401
        self.keys_seen: list[str] = []
        self.proxy_cost: float | None = None
        self.reply = "Hello [1]."
        self.requests: list[dict[str, Any]] = []
        self.stall_s = 3.0
        self.tool_calls: list[tuple[str, str]] = []  # (name, JSON arguments) answered when tools are sent
        self.usage = {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}  # billed, per stream
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                req = json.loads(self.rfile.read(length) or b"{}")
                outer.requests.append(req)
                sent = self.headers.get("Authorization", "")
                outer.keys_seen.append(sent)
                if outer.key and sent != f"Bearer {outer.key}":
                    self._json(401, {"error": {"message": "Incorrect API key provided",
                                               "type": "invalid_request_error", "code": "invalid_api_key"}})
                    return
                if self.path.rstrip("/").endswith("/embeddings"):
                    self._embeddings(req)
                    return
                if outer.mode == "429":
                    self._json(429, {"error": {"message": "Rate limit reached for gpt-4o-mini",
                                               "type": "requests", "code": "rate_limit_exceeded"}},
                               {"retry-after": "20"})
                    return
                if outer.mode == "401":
                    self._json(401, {"error": {"message": "Incorrect API key provided",
                                               "type": "invalid_request_error", "code": "invalid_api_key"}})
                    return
                if outer.mode in ERRORS:  # OpenAI's documented error bodies for these statuses
                    status, body = ERRORS[outer.mode]
                    self._json(status, body)
                    return
                if "stream_options" in req and not req.get("stream"):
                    self._json(400, {"error": {
                        "message": "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                        "type": "invalid_request_error", "code": None}})
                    return
                if not req.get("stream") and req.get("tools"):
                    calls = [{"id": f"call_{i}", "type": "function",
                              "function": {"name": name, "arguments": args}}
                             for i, (name, args) in enumerate(outer.tool_calls)]
                    self._json(200, {
                        "id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000,
                        "model": "gpt-4o-mini-2024-07-18",
                        "choices": [{"index": 0, "finish_reason": "tool_calls",
                                     "message": {"role": "assistant", "content": None, "tool_calls": calls}}],
                        "usage": {"prompt_tokens": 80, "completion_tokens": 20, "total_tokens": 100},
                    })
                    return
                if not req.get("stream"):
                    self._json(200, {
                        "id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000,
                        "model": "gpt-4o-mini-2024-07-18",
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": outer.reply}}],
                        "usage": {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55},
                    })
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                if outer.proxy_cost is not None:  # a LiteLLM proxy reports what the call cost in a header
                    self.send_header("x-litellm-response-cost", str(outer.proxy_cost))
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                words = outer.reply.split(" ")
                pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
                finish = "stop"
                if outer.mode == "length_empty":  # a reasoning model that spent max_tokens thinking: billed, no text
                    pieces, finish = [], "length"
                try:
                    self.wfile.write(_chunk("", role=True))
                    for i, piece in enumerate(pieces):
                        if outer.mode in ("stall", "malformed") and i == 3:
                            self.wfile.flush()
                            if outer.mode == "stall":
                                time.sleep(outer.stall_s)
                                return
                            self.wfile.write(b'data: {"id": "chatcmpl-test", "choices": [{"delta": {"content": \n\n')
                            self.wfile.flush()
                            return
                        self.wfile.write(_chunk(piece))
                        self.wfile.flush()
                    self.wfile.write(_chunk(None, finish=finish))
                    if (req.get("stream_options") or {}).get("include_usage"):
                        self.wfile.write(b"data: " + json.dumps({
                            "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1_700_000_000,
                            "model": "gpt-4o-mini-2024-07-18", "choices": [],
                            "usage": outer.usage}).encode() + b"\n\n")
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def _embeddings(self, req: dict[str, Any]) -> None:
                """POST /v1/embeddings as OpenAI documents it: ``input`` a string or an array of at most
                2,048 non-empty strings, ``model`` required; each vector L2-normalised; usage counted."""
                texts = req.get("input")
                texts = [texts] if isinstance(texts, str) else texts
                bad = (not req.get("model") or not isinstance(texts, list) or not texts or len(texts) > 2048
                       or not all(isinstance(t, str) and t for t in texts))
                if bad:
                    self._json(400, {"error": {"message": "'$.input' is invalid. Please check the API reference.",
                                               "type": "invalid_request_error", "code": None}})
                    return
                if outer.mode == "401":
                    self._json(401, {"error": {"message": "Incorrect API key provided",
                                               "type": "invalid_request_error", "code": "invalid_api_key"}})
                    return
                data = [{"object": "embedding", "index": i, "embedding": outer.embed(t)} for i, t in enumerate(texts)]
                tokens = sum(len(t.split()) for t in texts)
                self._json(200, {"object": "list", "data": data, "model": req["model"],
                                 "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self.api_base = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    dims = 64

    def embed(self, text: str) -> list[float]:
        """A deterministic sentence vector: hashed word counts, L2-normalised (texts sharing words are near)."""
        import hashlib
        import math

        vec = [0.0] * self.dims
        for word in text.lower().split():
            vec[int(hashlib.md5(word.strip(".,!?").encode()).hexdigest(), 16) % self.dims] += 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
