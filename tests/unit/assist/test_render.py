from datetime import UTC, datetime

from assist.domain import AuthorRole, BodyFormat, Message
from assist.render import body_html, message_html

HOSTILE = (
    '<p>hello</p><script>steal(document.cookie)</script>'
    '<img src="http://127.0.0.1:9/pixel.gif"><a href="file:///etc/passwd">a</a>'
    '<a href="javascript:alert(1)">b</a><a href="https://ok.example/x">c</a>'
    '<style>body{background:url(http://x/y)}</style><iframe src="http://x"></iframe>'
)


def test_html_body_is_inert() -> None:
    out = body_html(HOSTILE, BodyFormat.HTML)
    assert "hello" in out
    for bad in ("<script", "steal(", "<img", "file:", "javascript:", "<style", "<iframe", "127.0.0.1"):
        assert bad not in out
    assert 'href="https://ok.example/x"' in out
    assert "1 image not loaded" in out


def test_markdown_body_is_sanitized_too() -> None:
    out = body_html("**hi** ![x](http://evil/x.png) [y](javascript:alert(1)) <script>x</script>",
                    BodyFormat.MARKDOWN)
    assert "<strong>hi</strong>" in out
    assert "<img" not in out and "javascript:" not in out and "<script" not in out


def test_plain_text_is_escaped_not_interpreted() -> None:
    out = body_html('i typed <b>this</b> & <img src="http://x">\nnew line', BodyFormat.TEXT)
    assert "&lt;b&gt;this&lt;/b&gt; &amp;" in out
    assert "<img" not in out and "<br>" in out


def test_internal_note_is_labelled() -> None:
    msg = Message("1", "Sam", AuthorRole.AGENT, "checked", datetime.now(UTC), public=False)
    assert "internal note" in message_html(msg, datetime.now(UTC))


def test_a_lone_surrogate_renders_as_a_replacement_character() -> None:
    """Issue 25: a lone surrogate in an HTML body (a broken export's escape) raised UnicodeEncodeError."""
    from assist.domain import BodyFormat
    from assist.render import body_html
    from assist.text import message_text

    for fmt in BodyFormat:
        out = body_html("<p>refund \ud800 please \ud83d\ude00</p>", fmt)
        assert "refund \ufffd please \U0001F600" in out
        out.encode("utf-8")  # and it can be encoded, as Qt and SQLite will
    assert message_text("<b>hi \udfff</b>", True).strip() == "hi \ufffd"


def test_the_whole_message_is_plain_text_with_scripts_gone_and_long_lines_broken() -> None:
    """Issue 25: 'Show the whole message' on 2 MB stalled the window 4.4 s; it opens as plain text now."""
    from assist.render import whole_text

    html_msg = Message("1", "Ann", AuthorRole.CUSTOMER, "<p>Hello <b>there</b></p><script>steal()</script>"
                       + "<p>" + "word " * 100_000 + "</p>", datetime.now(UTC), body_format=BodyFormat.HTML)
    text = whole_text(html_msg)
    assert text.startswith("Hello there") and "steal" not in text and "<" not in text
    assert text.count("word") == 100_000  # nothing lost
    assert max(len(line) for line in text.split("\n")) <= 2_000
    token = whole_text(Message("2", "Ann", AuthorRole.CUSTOMER, "A" * 1_000_000 + "\u202e", datetime.now(UTC)))
    assert token.replace("\n", "") == "A" * 1_000_000 + "⟦U+202E⟧"


def test_a_10k_message_thread_renders_the_opening_and_newest_messages_within_a_budget() -> None:
    from assist.domain import Ticket, TicketId, TicketStatus
    from assist.render import MAX_THREAD_HTML, thread_html

    now = datetime.now(UTC)
    msgs = tuple(Message(f"m{i}", "Ann", AuthorRole.CUSTOMER, f"message {i} " + "x" * (i % 3000), now)
                 for i in range(10_000))
    ticket = Ticket(TicketId("7"), "Long", TicketStatus.OPEN, "ann@example.com", "Ann", now, now, msgs)
    out = thread_html(ticket)
    assert "message 0 " in out and "message 9999 " in out and "message 9000 " not in out
    assert "earlier messages not shown" in out and 'href="assist:earlier"' in out
    assert len(out) < MAX_THREAD_HTML + 20_000
    more = thread_html(ticket, shown=260)
    assert "message 9800 " in more or len(more) > MAX_THREAD_HTML  # more shown, or the budget reached
    short = thread_html(Ticket(TicketId("8"), "Short", TicketStatus.OPEN, "a@x.com", "Ann", now, now, msgs[:3]))
    assert "not shown" not in short and "message 2 " in short
