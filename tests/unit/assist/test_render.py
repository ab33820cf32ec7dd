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
