"""HTML inside a ticket renders inert: no script, no remote image fetched, no file: link followed."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from ui.views.browser import SafeBrowser


@pytest.fixture
def spy_server():
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()
            self.wfile.write(b"GIF89a")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def _hostile(base: str) -> str:
    return (
        f'<p>Please see below</p><script>fetch("{base}/script")</script>'
        f'<img src="{base}/pixel.gif"><div style="background:url({base}/bg.png)">x</div>'
        '<a href="file:///etc/passwd">open file</a> <a href="javascript:alert(1)">js</a>'
    )


def test_hostile_ticket_in_window_makes_no_request(open_window, make_session, run_until, loop, spy_server, qapp):
    base, hits = spy_server
    session = make_session()

    def _insert(conn) -> None:
        conn.execute(
            "INSERT INTO tickets (id, subject, status, priority, requester_email, requester_name, tags,"
            " intent, created_at, updated_at) VALUES ('5000', 'html mail', 'open', 'normal',"
            " 'ben.carter@carterco.io', 'Ben Carter', '[]', '', '2026-11-24T10:00:00+00:00',"
            " '2026-11-24T10:00:00+00:00')"
        )
        conn.execute(
            "INSERT INTO messages (ticket_id, author, role, body, body_format, public, created_at)"
            " VALUES ('5000', 'Ben Carter', 'customer', ?, 'html', 1, '2026-11-24T10:00:00+00:00')",
            (_hostile(base),),
        )

    loop.run_until_complete(session.helpdesk._db.run(_insert))
    window = open_window(session)
    window.jump.setText("5000")
    window.jump.returnPressed.emit()
    run_until(lambda: window.ticket.loaded == "5000")
    run_until(lambda: not window.runner.pending())  # routing and the automatic draft finished too
    html = window.thread_view.toHtml()
    text = window.thread_view.toPlainText()
    assert "Please see below" in text
    assert "image not loaded" in text
    assert "fetch(" not in text and "/pixel.gif" not in html and "file:" not in html
    assert "javascript:" not in html
    assert hits == []


def test_browser_itself_refuses_resources_and_unsafe_links(qtbot, spy_server, monkeypatch):
    base, hits = spy_server
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toString())))
    browser = SafeBrowser()
    qtbot.addWidget(browser)
    blocked: list[str] = []
    browser.resource_blocked.connect(blocked.append)
    # unsanitized on purpose: the widget is the second wall
    browser.setHtml(f'<img src="{base}/raw.gif"><img src="file:///etc/hosts">')
    browser.show()
    qtbot.wait(50)
    assert hits == []
    assert any("raw.gif" in b for b in blocked) and any("etc/hosts" in b for b in blocked)
    browser.anchorClicked.emit(QUrl("file:///etc/passwd"))
    browser.anchorClicked.emit(QUrl("javascript:alert(1)"))
    assert opened == []
    browser.anchorClicked.emit(QUrl("https://kettleandcrate.example/orders"))
    assert opened == ["https://kettleandcrate.example/orders"]
