"""Untrusted text (ticket bodies, customer data) to inert HTML for the thread and context panes.

Everything is sanitized with nh3: scripts and styles are dropped with their content, only http(s) and
mailto links survive (``file:`` and ``javascript:`` hrefs are removed), and images are removed
entirely so no remote content is ever fetched; the agent sees how many were blocked.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import markdown as md
import nh3

from assist.domain import AuthorRole, BodyFormat, Customer, Message, Ticket

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "li",
    "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan"}, "th": {"colspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
_IMG = re.compile(r"<img\b", re.IGNORECASE)


def sanitize(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def body_html(body: str, fmt: BodyFormat) -> str:
    """One message body as safe HTML, with a note when images were blocked."""
    if fmt is BodyFormat.TEXT:
        safe = "<p>" + html.escape(body).replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"
        blocked = 0
    else:
        source = body if fmt is BodyFormat.HTML else md.markdown(body)
        blocked = len(_IMG.findall(source))
        safe = sanitize(source)
    if blocked:
        plural = "s" if blocked > 1 else ""
        safe += f'<p class="blocked"><i>[{blocked} image{plural} not loaded: remote content is blocked]</i></p>'
    return safe


def _when(dt: datetime, now: datetime) -> str:
    delta = now - dt
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{max(int(delta.total_seconds() // 60), 0)} min ago"
    if hours < 48:
        return f"{int(hours)} h ago"
    return dt.strftime("%d %b %Y")


def message_html(msg: Message, now: datetime) -> str:
    if msg.role is AuthorRole.CUSTOMER:
        css, label = "customer", ""
    elif msg.public:
        css, label = "agent", "reply"
    else:
        css, label = "note", "internal note"
    tag = f' <span class="label">{label}</span>' if label else ""
    return (
        f'<div class="msg {css}"><p class="meta"><b>{html.escape(msg.author)}</b>{tag}'
        f' &middot; {_when(msg.created_at, now)}</p>{body_html(msg.body, msg.body_format)}</div>'
    )


THREAD_CSS = """
.meta { color: #555; margin-bottom: 2px; }
.label { color: #8a5a00; }
.customer { background: #ffffff; }
.agent { background: #eef5ff; }
.note { background: #fff8e1; }
.blocked { color: #a33; }
"""


def thread_html(ticket: Ticket, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    head = (
        f"<h3>#{html.escape(ticket.id)} {html.escape(ticket.subject)}</h3>"
        f'<p class="meta">{html.escape(ticket.requester_name)} &lt;{html.escape(ticket.requester_email)}&gt;'
        f" &middot; {ticket.status} &middot; {html.escape(ticket.priority)}"
        + (f" &middot; tags: {html.escape(', '.join(ticket.tags))}" if ticket.tags else "")
        + "</p>"
    )
    body = "<hr>".join(message_html(m, now) for m in ticket.messages)
    return f"<html><head><style>{THREAD_CSS}</style></head><body>{head}{body}</body></html>"


def _money(amount: float, currency: str) -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency + " ")
    return f"{symbol}{amount:,.2f}"


def customer_html(customer: Customer | None, error: str = "", current: str = "") -> str:
    """The context pane; ``current`` (the open ticket) is left out of "recent tickets"."""
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
        f"<tr><td><b>Lifetime value</b></td><td>{_money(customer.lifetime_value, customer.currency)}</td></tr>",
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
            ship += f"<br>ETA {o.eta:%d %b}"
        rows.append(
            f"<p><b>{e(o.id)}</b> &middot; {e(o.status.replace('_', ' '))} &middot; "
            f"{_money(o.total, o.currency)} &middot; {o.placed_at:%d %b}<br>"
            f"{e(', '.join(o.items))}{ship}</p>"
        )
    rows.append("<h4>Other tickets</h4>")
    others = [t for t in customer.past_tickets if t.id != current]
    if not others:
        rows.append("<p>None.</p>")
    for t in others:
        rows.append(f"<p>#{e(t.id)} {e(t.subject)} &middot; {t.status} &middot; {t.created_at:%d %b}</p>")
    return "".join(rows)
