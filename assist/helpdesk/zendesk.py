"""Zendesk Support API v2 (API token auth): a view or a search as the queue, comments as the thread,
public reply vs internal note, tags, cursor pagination, 429 with Retry-After.

Shaped from Zendesk's published API reference (tickets, ticket comments, users/show_many, views,
search); tested against answers shaped exactly like the documented ones.
"""

from __future__ import annotations

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

STATUS = {"new": TicketStatus.NEW, "open": TicketStatus.OPEN, "pending": TicketStatus.PENDING,
          "hold": TicketStatus.PENDING, "solved": TicketStatus.SOLVED, "closed": TicketStatus.CLOSED}
ZD_STATUS = {TicketStatus.NEW: ["new"], TicketStatus.OPEN: ["open"], TicketStatus.PENDING: ["pending", "hold"],
             TicketStatus.SOLVED: ["solved"], TicketStatus.CLOSED: ["closed"]}
MAX_PAGES = 20
SEARCH_MAX_RESULTS = 1000  # Zendesk's search returns at most 1,000 results (offset pagination)
EXPORT_PER_MINUTE = 10  # Incremental Exports: 10 requests a minute (30 with the High Volume add-on)
EXPORT_MAX_PAGES = 200  # 1,000 tickets a page: 200,000 tickets in one window at most
HISTORY_WINDOWS_DAYS = (30, 120, 365, 1095)




class ZendeskHelpdesk(HttpConnector):
    service = "Zendesk"

    def __init__(self, url: str, email: str, token: str, *, view_id: str = "",
                 client: httpx.AsyncClient | None = None, timeout: float = 15.0) -> None:
        root = url.rstrip("/")
        if "://" not in root:  # a bare subdomain
            root = f"https://{root}.zendesk.com"
        super().__init__(root + "/api/v2", client=client, timeout=timeout, auth=(f"{email}/token", token))
        self.web_url = root
        self.view_id = view_id
        self.export_per_minute = EXPORT_PER_MINUTE  # the plan's limit (30 with High Volume)
        self.name = "Zendesk"

    def ticket_url(self, ticket_id: str) -> str:
        return f"{self.web_url}/agent/tickets/{ticket_id}"

    async def _users(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        users: dict[int, dict[str, Any]] = {}
        wanted = sorted(i for i in ids if i)
        for start in range(0, len(wanted), 100):
            chunk = ",".join(str(i) for i in wanted[start:start + 100])
            data = await self.get_json("/users/show_many.json", params={"ids": chunk})
            for u in field(data, "users", default=[]) or []:
                if isinstance(u, dict) and "id" in u:
                    users[int(u["id"])] = u
        return users

    async def _cursor(self, path: str, key: str, params: dict[str, Any], ticket_id: str = "") -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url, absolute = path, False
        query: dict[str, Any] | None = {**params, "page[size]": 100}
        for _ in range(MAX_PAGES):
            data = expect(await self.get_json(url, params=query, ticket_id=ticket_id, absolute=absolute), dict,
                          self.service, key)
            items += [i for i in data.get(key) or [] if isinstance(i, dict)]
            nxt = field(data, "links", "next") or data.get("next_page")
            if not (field(data, "meta", "has_more", default=bool(data.get("next_page"))) and nxt):
                break
            url, absolute, query = nxt, True, None
        return items

    async def _search(self, query: str, limit: int) -> list[dict[str, Any]]:
        """GET /api/v2/search.json pages by offset only (``page``/``per_page``, at most 1,000 results);
        cursor parameters belong to /search/export and the views endpoints, and search rejects them."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"query": query, "sort_by": "updated_at", "sort_order": "desc", "per_page": 100}
        for page in range(1, SEARCH_MAX_RESULTS // 100 + 1):
            data = expect(await self.get_json("/search.json", params={**params, "page": page}), dict,
                          self.service, "results")
            items += [i for i in data.get("results") or [] if isinstance(i, dict)]
            if not data.get("next_page") or len(items) >= limit:
                break
        return items

    async def list_queue(self, flt: QueueFilter, limit: int = 500) -> list[TicketSummary]:
        if self.view_id and not flt.text:
            tickets = await self._cursor(f"/views/{self.view_id}/tickets.json", "tickets", {})
        else:
            terms = ["type:ticket"] + [f"status:{z}" for s in flt.statuses for z in ZD_STATUS[s]]
            if flt.text.strip():
                terms.append(flt.text.strip().lstrip("#"))
            tickets = await self._search(" ".join(terms), limit)
        tickets = tickets[:limit]
        users = await self._users({int(t.get("requester_id") or 0) for t in tickets})
        out = []
        for t in tickets:
            status = STATUS.get(t.get("status", ""), TicketStatus.OPEN)
            if flt.statuses and status not in flt.statuses:
                continue
            u = users.get(int(t.get("requester_id") or 0), {})
            out.append(TicketSummary(TicketId(str(t["id"])), t.get("subject") or "(no subject)", status,
                                     u.get("email", ""), u.get("name", ""), iso_time(t.get("updated_at")),
                                     t.get("priority") or "normal", tuple(t.get("tags") or ())))
        return out

    async def get_ticket(self, ticket_id: TicketId, on_requester: Callable[[str], None] | None = None) -> Ticket:
        if not str(ticket_id).isdigit():
            raise TicketNotFoundError(f"#{ticket_id} is not a Zendesk ticket number.")
        # Side-loading the ticket's users (Show Ticket's ``include=users``) names the requester with the
        # first answer: the customer's CRM fetch can start while the comments page in.
        data = await self.get_json(f"/tickets/{ticket_id}.json", params={"include": "users"}, ticket_id=ticket_id)
        t = expect(field(data, "ticket"), dict, self.service, "a ticket")
        requester = int(t.get("requester_id") or 0)
        users = {int(u["id"]): u for u in field(data, "users", default=[]) or []
                 if isinstance(u, dict) and isinstance(u.get("id"), int)}
        email = users.get(requester, {}).get("email")
        if on_requester is not None and email:
            on_requester(str(email))
        comments = await self._cursor(f"/tickets/{ticket_id}/comments.json", "comments", {}, ticket_id)
        authors = ({requester} | {int(c.get("author_id") or 0) for c in comments}) - set(users)
        users |= await self._users(authors)
        messages = []
        for c in comments:
            author = users.get(int(c.get("author_id") or 0), {})
            role = AuthorRole.CUSTOMER if int(c.get("author_id") or 0) == requester or \
                author.get("role") == "end-user" else AuthorRole.AGENT
            html_body = c.get("html_body")
            messages.append(Message(
                str(c.get("id")), author.get("name") or "Unknown", role,
                html_body if html_body else c.get("body") or "", iso_time(c.get("created_at")),
                bool(c.get("public", True)),
                BodyFormat.HTML if html_body else BodyFormat.TEXT))
        req = users.get(requester, {})
        return Ticket(TicketId(str(t["id"])), t.get("subject") or "(no subject)",
                      STATUS.get(t.get("status", ""), TicketStatus.OPEN), req.get("email", ""), req.get("name", ""),
                      iso_time(t.get("created_at")), iso_time(t.get("updated_at")), tuple(messages),
                      t.get("priority") or "normal", tuple(t.get("tags") or ()), self.ticket_url(str(t["id"])),
                      _fields(t))

    async def post_reply(self, ticket_id: TicketId, body: str, *, public: bool, author: str,
                         status: TicketStatus | None = None) -> Message:
        ticket: dict[str, Any] = {"comment": {"body": body, "public": public}}
        if status is not None:
            ticket["status"] = ZD_STATUS[status][0]
        await self.request("PUT", f"/tickets/{ticket_id}.json", json={"ticket": ticket}, ticket_id=ticket_id)
        return Message("", author, AuthorRole.AGENT, body, datetime.now(UTC), public)

    async def add_tags(self, ticket_id: TicketId, tags: tuple[str, ...]) -> None:
        # PUT /api/v2/tickets/{id}/tags adds to the ticket's tags (POST would replace them).
        await self.request("PUT", f"/tickets/{ticket_id}/tags.json", json={"tags": list(tags)}, ticket_id=ticket_id)

    async def fetch_attachment(self, ticket_id: TicketId, attachment_id: str) -> bytes:
        raise ConnectorError("Zendesk attachments open in the helpdesk itself.")

    async def history_ids(self, last: int) -> tuple[list[str], str]:
        """The ``last`` most recently updated solved and closed tickets, whatever the agent's view shows, from
        the Incremental Ticket Export (cursor-based, archived tickets included, 1,000 a page, 10 requests a
        minute: developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports). The
        export streams oldest first from ``start_time``, so windows further back are read in turn (30 days,
        then to 120, 365, 1,095), each stopping where the newer one began. Returns (ids newest first, a note
        when fewer than ``last`` exist)."""
        import time

        now = time.time()
        found: dict[str, float] = {}
        edge = now
        for days in HISTORY_WINDOWS_DAYS:
            start = now - days * 86_400
            await self._export_window(int(start), edge, found)
            if len(found) >= last:
                break
            edge = start
        ids = sorted(found, key=lambda i: (-found[i], i))[:last]
        note = "" if len(ids) >= last else (
            f"Zendesk has {len(ids):,} solved or closed tickets updated in the last {HISTORY_WINDOWS_DAYS[-1]:,} "
            "days")
        return ids, note

    async def _export_window(self, start: int, stop_at: float, found: dict[str, float]) -> None:
        params: dict[str, Any] = {"start_time": start, "per_page": 1000}
        for _ in range(EXPORT_MAX_PAGES):
            await self.paced("incremental", self.export_per_minute)
            data = expect(await self.get_json("/incremental/tickets/cursor.json", params=params), dict,
                          self.service, "the ticket export")
            newer = False
            for t in data.get("tickets") or []:
                if not isinstance(t, dict) or not isinstance(t.get("id"), int):
                    continue
                updated = iso_time(t.get("updated_at")).timestamp()
                if updated >= stop_at:
                    newer = True  # the newer window has it (the stream is in update order)
                elif t.get("status") in ("solved", "closed"):
                    found[str(t["id"])] = updated
            cursor = data.get("after_cursor")
            if newer or data.get("end_of_stream") or not cursor:
                return
            params = {"cursor": cursor, "per_page": 1000}

    async def current_agent(self) -> str:
        me = await self.get_json("/users/me.json")
        return str(field(me, "user", "name", default="") or "")

    async def set_tags(self, ticket_id: TicketId, tags: tuple[str, ...]) -> None:
        await self.request("PUT", f"/tickets/{ticket_id}.json", json={"ticket": {"tags": list(tags)}},
                           ticket_id=ticket_id)

    async def test_connection(self) -> str:
        me = await self.get_json("/users/me.json")
        user = field(me, "user", default={})
        if not user.get("id"):  # Zendesk answers anonymous callers with an empty user
            return "Connected, but Zendesk did not accept the credentials as an agent: check email and token."
        return f"Connected to Zendesk as {user.get('name')} ({user.get('role')})."


_URL = re.compile(r"https?://[\w.-]+/agent/tickets/(\d+)")


def _fields(t: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Type, form and custom fields (``field.ID``) a team may label its tickets with."""
    out = [(k, str(t[src])) for k, src in (("type", "type"), ("form", "ticket_form_id")) if t.get(src)]
    for f in t.get("custom_fields") or []:
        if isinstance(f, dict) and f.get("value") not in (None, "", False):
            out.append((f"field.{f.get('id')}", str(f["value"])))
    return tuple(out)


def ticket_id_from_url(url: str) -> str | None:
    return ticket_id_in(_URL, url)
