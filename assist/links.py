"""Following the agent's current ticket: a Zendesk, Freshdesk or Request Tracker URL to a ticket id."""

from __future__ import annotations

from urllib.parse import urlsplit

from assist.helpdesk import freshdesk, request_tracker, zendesk
from assist.settings import HelpdeskSettings

PARSERS = {"zendesk": zendesk.ticket_id_from_url, "freshdesk": freshdesk.ticket_id_from_url,
           "request_tracker": request_tracker.ticket_id_from_url}


def ticket_from_url(text: str, helpdesk: HelpdeskSettings) -> str | None:
    """The ticket id when ``text`` is a ticket URL of *this* workspace's helpdesk, else None."""
    text = text.strip()
    if not text.startswith(("http://", "https://")) or helpdesk.kind not in PARSERS:
        return None
    ticket = PARSERS[helpdesk.kind](text)
    if ticket is None:
        return None
    want = urlsplit(helpdesk.url if "://" in helpdesk.url else f"https://{helpdesk.url}").hostname or ""
    if helpdesk.kind == "zendesk" and "." not in want and want:
        want = f"{want}.zendesk.com"
    if helpdesk.kind == "freshdesk" and "." not in want and want:
        want = f"{want}.freshdesk.com"
    return ticket if (urlsplit(text).hostname or "") == want else None
