"""Small local HTTP servers for tests (loopback only, stopped at teardown)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def serve(routes: dict[str, Handler] | Handler) -> Iterator[tuple[str, list[tuple[float, str, str, bytes]]]]:
    """Serve on 127.0.0.1; yields (base_url, requests) where requests are (time, method, path, body)."""
    import time

    log: list[tuple[float, str, str, bytes]] = []

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            self.request_body = body
            log.append((time.monotonic(), self.command, self.path, body))
            handler = routes if callable(routes) else routes.get(self.path.split("?")[0])
            if handler is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            handler(self)

        do_GET = do_POST = _handle  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()


def reply(status: int, body: bytes | str, content_type: str = "text/html; charset=utf-8",
          headers: dict[str, str] | None = None) -> Handler:
    data = body.encode() if isinstance(body, str) else body

    def _h(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    return _h


def model_settings(api_base: str, model: str = "openai/gpt-4o-mini"):
    """Settings whose fast and frontier tiers are a local OpenAI-compatible server (tests/openai_server.py);
    the model is not asked for the intent, so the offline classifier routes as in production tests."""
    from assist.settings import ModelTier, Settings

    settings = Settings()
    settings.models.fast = ModelTier(model=model, api_base=api_base)
    settings.models.frontier = settings.models.fast
    settings.routing.llm_classifier = False
    return settings


def modules_loaded_by(imports: str, watched: tuple[str, ...]) -> list[str]:
    """Which ``watched`` modules (or packages) a fresh interpreter has loaded after ``import <imports>``."""
    code = (f"import sys, {imports}\nwatched = {watched!r}\n"
            "print(','.join(sorted(m for m in sys.modules if m in watched or m.split('.')[0] in watched)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]
