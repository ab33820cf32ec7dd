"""Untrusted text (ticket bodies, customer data) to inert HTML for the thread and context panes.

Everything is sanitized with nh3: scripts and styles are dropped with their content, only http(s) and
mailto links survive (``file:`` and ``javascript:`` hrefs are removed), and images are removed
entirely so no remote content is ever fetched; the agent sees how many were blocked.

Hostile bodies are capped so rendering stays quick (callers run this off the UI thread): a body past
``MAX_BODY_CHARS`` is shortened with a "Show the whole message" link (``assist:full/<message id>``);
markup nested deeper than ``MAX_DEPTH`` is flattened to text; unbroken runs of characters get break
opportunities; bidi overrides and zero-width characters are shown as visible markers, so text cannot
pretend to be something else.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import nh3

from assist.domain import AuthorRole, BodyFormat, Customer, Message, Ticket
from assist.text import SCRIPTS, money, valid_unicode

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "li",
    "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan"}, "th": {"colspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
_IMG = re.compile(r"<img\b", re.IGNORECASE)
MAX_BODY_CHARS = 40_000
WHOLE_BODY_CHARS = 2_000_000
MAX_DEPTH = 40
_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>")
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "base", "source"})
_LONG_RUN = re.compile(r"\S{100,}")
_TEXT_NODE = re.compile(r">([^<]+)<")
# bidi embeddings/overrides/isolates and zero-width characters: shown, never silently applied
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def reveal(text: str) -> str:
    """Make bidi controls and zero-width characters visible: 'pay\u202eevil' -> 'pay⟦U+202E⟧evil'."""
    return _INVISIBLE.sub(lambda m: f"⟦U+{ord(m.group(0)):04X}⟧", text)


def _soft_breaks(text: str) -> str:
    """Break opportunities (zero-width spaces) in runs of 100+ characters: a 1 MB token lays out fast."""
    return _LONG_RUN.sub(lambda m: "\u200b".join(m.group(0)[i:i + 60] for i in range(0, len(m.group(0)), 60)),
                         text)


def too_deep(source: str, limit: int = MAX_DEPTH) -> bool:
    depth = 0
    for m in _TAG.finditer(source):
        closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
        if name in _VOID or self_closing:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        if depth > limit:
            return True
    return False


def _flatten(source: str) -> str:
    text = re.sub(r"[ \t\r\f\v]+", " ", _TAG.sub(" ", source))  # linear: no backtracking on long blanks
    return html.unescape(re.sub(r"\n[ \n]*", "\n", text))


def sanitize(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def _markdown(body: str) -> str:
    import markdown  # ~15 ms to import: only when a Markdown body is shown, not on every start

    return markdown.markdown(body)


def _text_html(body: str) -> str:
    text = html.escape(_soft_breaks(reveal(body)))
    return "<p>" + text.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"


def body_html(body: str, fmt: BodyFormat, *, limit: int = MAX_BODY_CHARS, full_link: str = "") -> str:
    """One message body as safe HTML, with a note when images were blocked or the body was capped."""
    body = valid_unicode(body)
    notes = []
    if len(body) > limit:
        size = f"{len(body) / 1_000_000:.1f} MB" if len(body) >= 100_000 else f"{len(body) // 1000} KB"
        link = f' <a href="{full_link}">Show the whole message</a>' if full_link else ""
        notes.append(f"[shortened: the message is {size}.]{link}")
        body = body[:limit]
    blocked = 0
    if fmt is BodyFormat.TEXT:
        safe = _text_html(body)
    else:
        source = body if fmt is BodyFormat.HTML else _markdown(body)
        blocked = len(_IMG.findall(source))
        if too_deep(source):
            notes.append(f"[formatting removed: the markup is nested more than {MAX_DEPTH} levels deep]")
            safe = _text_html(_flatten(source))
        else:
            safe = _TEXT_NODE.sub(lambda m: ">" + _soft_breaks(m.group(1)) + "<", sanitize(reveal(source)))
    if blocked:
        plural = "s" if blocked > 1 else ""
        notes.append(f"[{blocked} image{plural} not loaded: remote content is blocked]")
    for note in notes:
        safe += f'<p class="blocked"><i>{note}</i></p>'
    return safe


def _when(dt: datetime, now: datetime) -> str:
    delta = now - dt
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{max(int(delta.total_seconds() // 60), 0)} min ago"
    if hours < 48:
        return f"{int(hours)} h ago"
    return dt.strftime("%d %b %Y")


def message_html(msg: Message, now: datetime, *, whole: bool = False) -> str:
    if msg.role is AuthorRole.CUSTOMER:
        css, label = "customer", ""
    elif msg.public:
        css, label = "agent", "reply"
    else:
        css, label = "note", "internal note"
    tag = f' <span class="label">{label}</span>' if label else ""
    link = "" if whole else f"assist:full/{html.escape(msg.id, quote=True)}"
    return (
        f'<div class="msg {css}"><p class="meta"><b>{html.escape(msg.author)}</b>{tag}'
        f' &middot; {_when(msg.created_at, now)}</p>'
        f'{body_html(msg.body, msg.body_format, limit=WHOLE_BODY_CHARS if whole else MAX_BODY_CHARS, full_link=link)}'
        f"{attachments_html(msg)}</div>"
    )


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{n / 1000:.0f} KB" if n >= 1000 else f"{n} B"


def attachments_html(msg: Message) -> str:
    """Files on a message, listed (name, type, size) and never rendered: an attached .html stays a file."""
    if not msg.attachments:
        return ""
    items = "".join(f'<li>📎 <a href="assist:file/{html.escape(a.id, quote=True)}">{html.escape(reveal(a.name))}</a>'
                    f" &middot; {html.escape(a.content_type or 'file')} &middot; {_size(a.size)}</li>"
                    for a in msg.attachments)
    return f'<ul class="files">{items}</ul>'


THREAD_CSS = """
.meta { color: #555; margin-bottom: 2px; }
.label { color: #8a5a00; }
.customer { background: #ffffff; }
.agent { background: #eef5ff; }
.note { background: #fff8e1; }
.blocked { color: #a33; }
"""


MAX_THREAD_MESSAGES = 60  # newest messages shown at first (plus the opening one); more on request
MORE_MESSAGES = 200
MAX_THREAD_HTML = 600_000  # characters of HTML per render: past it, older messages wait behind the link
WRAP_AT = 2_000


def thread_html(ticket: Ticket, now: datetime | None = None, *, whole: frozenset[str] = frozenset(),
                shown: int = MAX_THREAD_MESSAGES) -> str:
    """The thread as inert HTML: the opening message and the newest ``shown`` ones, within an HTML budget,
    with a link (``assist:earlier``) to show more; a 10k-message thread lays out as fast as a short one.
    Messages whose id is in ``whole`` are shown uncut (up to 2 MB)."""
    now = now or datetime.now(UTC)
    head = (
        f"<h3>#{html.escape(ticket.id)} {html.escape(_soft_breaks(reveal(ticket.subject[:500])))}</h3>"
        f'<p class="meta">{html.escape(ticket.requester_name)} &lt;{html.escape(ticket.requester_email)}&gt;'
        f" &middot; {ticket.status} &middot; {html.escape(ticket.priority)}"
        + (f" &middot; tags: {html.escape(', '.join(ticket.tags))}" if ticket.tags else "")
        + "</p>"
    )
    messages = ticket.messages
    parts: list[str] = []
    budget = MAX_THREAD_HTML
    first = message_html(messages[0], now, whole=messages[0].id in whole) if messages else ""
    budget -= len(first)
    for m in reversed(messages[max(1, len(messages) - shown):]):
        part = message_html(m, now, whole=m.id in whole)
        if parts and len(part) > budget:
            break
        parts.append(part)
        budget -= len(part)
    hidden = len(messages) - 1 - len(parts) if messages else 0
    if hidden > 0:
        more = min(hidden, MORE_MESSAGES)
        parts.append(f'<p class="blocked"><i>{hidden:,} earlier message{"s" if hidden != 1 else ""} not shown.</i>'
                     f' <a href="assist:earlier">Show {more:,} more</a></p>')
    body = "<hr>".join(([first] if first else []) + parts[::-1])
    return f"<html><head><style>{THREAD_CSS}</style></head><body>{head}{body}</body></html>"


def whole_text(msg: Message) -> str:
    """One message in full (up to 2 MB) as plain text for a viewer: markup removed, invisible characters
    shown, lines over ``WRAP_AT`` characters broken (a plain-text view lays out a 2 MB line slowly)."""
    body = valid_unicode(msg.body)
    cut = len(body) > WHOLE_BODY_CHARS
    body = body[:WHOLE_BODY_CHARS]
    if msg.body_format is BodyFormat.HTML:
        lowered = body.lower()
        if lowered.count("<script") + lowered.count("<style") <= 50:  # bounded work on a hostile body
            body = SCRIPTS.sub(" ", body)
        body = _flatten(body)
    lines = []
    for line in reveal(body).split("\n"):
        while len(line) > WRAP_AT:
            at = line.rfind(" ", WRAP_AT // 2, WRAP_AT)
            at = at + 1 if at > 0 else WRAP_AT
            lines.append(line[:at])
            line = line[at:]
        lines.append(line)
    text = "\n".join(lines).strip()
    if cut:
        text += f"\n\n[the message goes on past {WHOLE_BODY_CHARS // 1_000_000} MB: open it in the helpdesk]"
    return text


def customer_html(customer: Customer | None, error: str = "", current: str = "", now: datetime | None = None) -> str:
    """The context pane; ``current`` (the open ticket) is left out of "recent tickets"; other tickets
    link to ``assist:ticket/ID`` (the window opens them); an order past its ETA is flagged overdue."""
    if customer is None:
        note = html.escape(error) if error else "This requester is not in the CRM."
        return f"<p><i>{note}</i></p>"
    e = html.escape
    rows = [
        f"<h3>{e(customer.name)}</h3>",
        f"<p>{e(customer.email)}" + (f"<br>{e(customer.company)}" if customer.company else "") + "</p>",
        "<table>",
        f"<tr><td><b>Plan</b></td><td>{e(customer.plan) or '—'}</td></tr>",
        f"<tr><td><b>Tier</b></td><td>{e(customer.tier) or '—'}</td></tr>",
        f"<tr><td><b>Lifetime value</b></td><td>{money(customer.lifetime_value, customer.currency)}</td></tr>",
    ]
    if customer.customer_since:
        rows.append(
            f"<tr><td><b>Customer since</b></td><td>{customer.customer_since:%b %Y}</td></tr>"
        )
    rows.append("</table>")
    if customer.notes:
        rows.append(f"<p><i>{e(customer.notes)}</i></p>")
    rows.append("<h4>Orders</h4>")
    if not customer.orders:
        rows.append("<p>No orders.</p>")
    for o in customer.orders:
        ship = ""
        if o.carrier:
            ship = f"<br>{e(o.carrier)} {e(o.tracking_number)}"
        if o.eta and o.status not in ("delivered",):
            late = o.eta < (now or datetime.now(UTC))
            ship += (f'<br><b style="color:#b00020">Overdue: was due {o.eta:%d %b}</b>' if late
                     else f"<br>ETA {o.eta:%d %b}")
        rows.append(
            f"<p><b>{e(o.id)}</b> &middot; {e(o.status.replace('_', ' '))} &middot; "
            f"{money(o.total, o.currency)} &middot; {o.placed_at:%d %b}<br>"
            f"{e(', '.join(o.items))}{ship}</p>"
        )
    rows.append("<h4>Other tickets</h4>")
    others = [t for t in customer.past_tickets if t.id != current]
    if not others:
        rows.append("<p>None.</p>")
    for t in others:
        link = f'<a href="assist:ticket/{e(t.id, quote=True)}">#{e(t.id)}</a>'
        rows.append(f"<p>{link} {e(t.subject)} &middot; {t.status} &middot; {t.created_at:%d %b}</p>")
    return "".join(rows)
