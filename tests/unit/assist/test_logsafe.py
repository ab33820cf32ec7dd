"""No log line holds a token, a password or a customer's address (issue 25, item 7)."""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx

from assist import logsafe

SECRETS = ["CRMTOKEN123", "jane.doe", "example.org", "hunter2", "4111 1111 1111 1111", "sk-live-abcdefghijklmnop"]


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def test_a_session_of_requests_and_errors_leaves_no_secret_in_the_log(tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = logging.getLogger()
    handler = logsafe.install(logging.handlers.RotatingFileHandler(tmp_path / "assist.log", encoding="utf-8"))
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        base = f"http://127.0.0.1:{server.server_port}"

        async def calls() -> None:
            async with httpx.AsyncClient(headers={"Authorization": "Bearer sk-live-abcdefghijklmnop"}) as client:
                await client.get(f"{base}/crm/jane.doe%2Bvip@example.org?api_key=CRMTOKEN123")

        asyncio.run(calls())
        log = logging.getLogger("assist.test")
        log.info("Fetching %s", f"{base}/users/jane.doe@example.org?token=CRMTOKEN123")
        log.warning("Login failed for password=hunter2; card 4111 1111 1111 1111 declined")
        try:
            raise ValueError("postgresql://bob:hunter2@db/assist refused jane.doe@example.org")
        except ValueError:
            log.exception("Team store down")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
        server.shutdown()
        server.server_close()
    text = (tmp_path / "assist.log").read_text()
    assert "Team store down" in text and "ValueError" in text and "Fetching" in text  # the lines are there
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, text
    assert logging.getLogger("httpx").level == logging.WARNING
