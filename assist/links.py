"""Following the agent's current ticket: a Zendesk, Freshdesk or Request Tracker URL to a ticket id."""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from assist.settings import HelpdeskSettings

# The connector module that reads each helpdesk's ticket URLs (the workspace's own connector is loaded
# already; the others are never imported for a URL that can't be theirs).
PARSERS = {"zendesk": "assist.helpdesk.zendesk", "freshdesk": "assist.helpdesk.freshdesk",
           "request_tracker": "assist.helpdesk.request_tracker"}


def ticket_from_url(text: str, helpdesk: HelpdeskSettings) -> str | None:
    """The ticket id when ``text`` is a ticket URL of *this* workspace's helpdesk, else None."""
    text = text.strip()
    if not text.startswith(("http://", "https://")) or helpdesk.kind not in PARSERS:
        return None
    ticket: str | None = importlib.import_module(PARSERS[helpdesk.kind]).ticket_id_from_url(text)
    if ticket is None:
        return None
    want = urlsplit(helpdesk.url if "://" in helpdesk.url else f"https://{helpdesk.url}").hostname or ""
    if helpdesk.kind == "zendesk" and "." not in want and want:
        want = f"{want}.zendesk.com"
    if helpdesk.kind == "freshdesk" and "." not in want and want:
        want = f"{want}.freshdesk.com"
    return ticket if (urlsplit(text).hostname or "") == want else None
