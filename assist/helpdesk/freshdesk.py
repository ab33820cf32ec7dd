"""Freshdesk API v2 (API key auth): tickets, conversations, contacts, reply vs private note, tags.

Shaped from Freshdesk's published API reference: ``GET /api/v2/tickets`` (page/per_page, a ``link``
header with rel="next"), ``GET /api/v2/tickets/{id}?include=requester``, conversations, ``POST
.../reply`` and ``POST .../notes``. Status numbers: 2 open, 3 pending, 4 resolved, 5 closed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from assist.domain import (
    AuthorRole,
    BodyFormat,
    Message,
    QueueFilter,
    Ticket,
    TicketId,
    TicketStatus,
    TicketSummary,
)
from assist.errors import ConnectorError, TicketNotFoundError
from assist.net.connector import HttpConnector, expect, field, iso_time, ticket_id_in

STATUS = {2: TicketStatus.OPEN, 3: TicketStatus.PENDING, 4: TicketStatus.SOLVED, 5: TicketStatus.CLOSED}
PRIORITY = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
MAX_PAGES = 20
LIST_MAX_PAGE = 300  # GET /api/v2/tickets: page at most 300 with per_page 100 (Freshdesk API v2 docs)
# GET /api/v2/tickets?filter=...: the predefined views a `queue` setting may name
PREDEFINED_FILTERS = ("new_and_my_open", "watching", "spam", "deleted")


def as_html(text: str) -> str:
    """Plain text for an HTML field: escaped, paragraphs and line breaks kept."""
    paragraphs = html.escape(text.strip()).split("\n\n")
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)




class FreshdeskHelpdesk(HttpConnector):
    service = "Freshdesk"

    def __init__(self, url: str, api_key: str, *, queue: str = "", client: httpx.AsyncClient | None = None,
                 timeout: float = 15.0) -> None:
        self.queue = queue.strip()
        root = url.rstrip("/")
        if "://" not in root:
            root = f"https://{root}.freshdesk.com"
        super().__init__(root + "/api/v2", client=client, timeout=timeout, auth=(api_key, "X"))
        self.web_url = root
        self.name = "Freshdesk"

    def ticket_url(self, ticket_id: str) -> str:
        return f"{self.web_url}/a/tickets/{ticket_id}"

    async def _pages(self, path: str, params: dict[str, Any], ticket_id: str = "") -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            resp = await self.request("GET", path, params={**params, "per_page": 100, "page": page},
                                      ticket_id=ticket_id)
            data = expect(self.parse(resp), list, self.service, path)
            items += [i for i in data if isinstance(i, dict)]
            if 'rel="next"' not in resp.headers.get("link", ""):
                break
        return items

    async def history_ids(self, last: int) -> tuple[list[str], str]:
        """The ``last`` most recently updated resolved and closed tickets. Freshdesk's ticket list has no status
        filter (filter= takes predefined views only) and pages up to ``LIST_MAX_PAGE`` of 100; so the list is
        read newest first (updated_since, order by updated_at) until ``last`` are found or the pages end.
        Returns (ids newest first, a note when fewer than ``last`` were found)."""
        ids: list[str] = []
        params: dict[str, Any] = {"updated_since": "2000-01-01T00:00:00Z", "order_by": "updated_at",
                                  "order_type": "desc", "per_page": 100}
        page = 1
        for page in range(1, LIST_MAX_PAGE + 1):
            resp = await self.request("GET", "/tickets", params={**params, "page": page})
            data = expect(self.parse(resp), list, self.service, "/tickets")
            ids += [str(t["id"]) for t in data if isinstance(t, dict) and t.get("id") is not None
                    and int(t.get("status") or 0) in (4, 5)]
            if len(ids) >= last or 'rel="next"' not in resp.headers.get("link", ""):
                break
        note = "" if len(ids) >= last else (
            f"Freshdesk listed {len(ids):,} resolved or closed tickets among the {page * 100:,} most recently "
            f"updated" + (f" (its ticket list stops at page {LIST_MAX_PAGE})" if page == LIST_MAX_PAGE else ""))
        return ids[:last], note

    async def list_queue(self, flt: QueueFilter, limit: int = 500) -> list[TicketSummary]:
        # GET /api/v2/tickets lists only tickets *created* in the last 30 days unless a predefined filter
        # or updated_since is given; an open ticket from last quarter must still show.
        params: dict[str, Any] = {"include": "requester", "order_by": "updated_at", "order_type": "desc"}
        if self.queue in PREDEFINED_FILTERS:
            params["filter"] = self.queue
        else:
            params["updated_since"] = "2000-01-01T00:00:00Z"
        tickets = await self._pages("/tickets", params)
        text = flt.text.strip().lstrip("#").lower()
        out = []
        for t in tickets:
            status = STATUS.get(int(t.get("status") or 2), TicketStatus.OPEN)
            req = t.get("requester") or {}
            if flt.statuses and status not in flt.statuses:
                continue
            if text and text not in f"{t.get('id')} {t.get('subject', '')} {req.get('email', '')} " \
                                    f"{req.get('name', '')}".lower():
                continue
            out.append(TicketSummary(TicketId(str(t["id"])), t.get("subject") or "(no subject)", status,
                                     req.get("email") or "", req.get("name") or "", iso_time(t.get("updated_at")),
                                     PRIORITY.get(int(t.get("priority") or 2), "normal"), tuple(t.get("tags") or ())))
            if len(out) >= limit:
                break
        return out

    async def get_ticket(self, ticket_id: TicketId, on_requester: Callable[[str], None] | None = None) -> Ticket:
        if not str(ticket_id).isdigit():
            raise TicketNotFoundError(f"#{ticket_id} is not a Freshdesk ticket number.")
        t = expect(await self.get_json(f"/tickets/{ticket_id}", params={"include": "requester"},
                                       ticket_id=ticket_id), dict, self.service, "a ticket")
        req = t.get("requester") or {}
        if on_requester is not None and isinstance(req, dict) and req.get("email"):
            on_requester(str(req["email"]))
        convs = await self._pages(f"/tickets/{ticket_id}/conversations", {}, ticket_id)
        name = req.get("name") or req.get("email") or "Customer"
        messages = [Message(f"t{t['id']}", name, AuthorRole.CUSTOMER,
                            t.get("description") or t.get("description_text") or "",
                            iso_time(t.get("created_at")), True,
                            BodyFormat.HTML if t.get("description") else BodyFormat.TEXT)]
        for c in convs:
            incoming = bool(c.get("incoming"))
            body = c.get("body") or c.get("body_text") or ""
            messages.append(Message(
                str(c.get("id")), name if incoming else f"Agent {c.get('user_id', '')}".strip(),
                AuthorRole.CUSTOMER if incoming else AuthorRole.AGENT, body, iso_time(c.get("created_at")),
                not bool(c.get("private")), BodyFormat.HTML if c.get("body") else BodyFormat.TEXT))
        return Ticket(TicketId(str(t["id"])), t.get("subject") or "(no subject)",
                      STATUS.get(int(t.get("status") or 2), TicketStatus.OPEN), req.get("email") or "", name,
                      iso_time(t.get("created_at")), iso_time(t.get("updated_at")), tuple(messages),
                      PRIORITY.get(int(t.get("priority") or 2), "normal"), tuple(t.get("tags") or ()),
                      self.ticket_url(str(t["id"])), _fields(t))

    async def post_reply(self, ticket_id: TicketId, body: str, *, public: bool, author: str,
                         status: TicketStatus | None = None) -> Message:
        html_body = as_html(body)  # Freshdesk's body field is HTML: plain text would lose lines, "<" and "&"
        if public:
            await self.request("POST", f"/tickets/{ticket_id}/reply", json={"body": html_body}, ticket_id=ticket_id)
        else:
            await self.request("POST", f"/tickets/{ticket_id}/notes", json={"body": html_body, "private": True},
                               ticket_id=ticket_id)
        if status is not None:
            code = {TicketStatus.OPEN: 2, TicketStatus.PENDING: 3, TicketStatus.SOLVED: 4}.get(status, 2)
            await self.request("PUT", f"/tickets/{ticket_id}", json={"status": code}, ticket_id=ticket_id)
        return Message("", author, AuthorRole.AGENT, body, datetime.now(UTC), public)

    async def add_tags(self, ticket_id: TicketId, tags: tuple[str, ...]) -> None:
        # Freshdesk has no add-only endpoint: read the tags (not the conversation) right before the union.
        t = expect(await self.get_json(f"/tickets/{ticket_id}", ticket_id=ticket_id), dict, self.service, "a ticket")
        current = [str(v) for v in t.get("tags") or []]
        await self.set_tags(ticket_id, tuple(dict.fromkeys([*current, *tags])))

    async def fetch_attachment(self, ticket_id: TicketId, attachment_id: str) -> bytes:
        raise ConnectorError("Freshdesk attachments open in the helpdesk itself.")

    async def current_agent(self) -> str:
        me = await self.get_json("/agents/me")
        return str(field(me, "contact", "name", default="") or "")

    async def set_tags(self, ticket_id: TicketId, tags: tuple[str, ...]) -> None:
        await self.request("PUT", f"/tickets/{ticket_id}", json={"tags": list(tags)}, ticket_id=ticket_id)

    async def test_connection(self) -> str:
        me = await self.get_json("/agents/me")
        return f"Connected to Freshdesk as {field(me, 'contact', 'name', default='an agent')}."


_URL = re.compile(r"https?://[\w.-]+\.freshdesk\.com/a/tickets/(\d+)")


def _fields(t: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Type, group and custom fields (``cf.NAME``) a team may label its tickets with."""
    out = [(k, str(t[k + "_id" if k == "group" else k])) for k in ("type", "group")
           if t.get(k + "_id" if k == "group" else k)]
    cfs = t.get("custom_fields")
    for name, value in (cfs.items() if isinstance(cfs, dict) else ()):
        if value not in (None, "", False):
            out.append((f"cf.{name}", str(value)))
    return tuple(out)


def ticket_id_from_url(url: str) -> str | None:
    return ticket_id_in(_URL, url)
