"""Request Tracker 5 over REST 2 (token auth): TicketSQL queue, history + attachments as the thread,
correspond (public reply) vs comment (internal note), the "Tags" custom field as tags.

Shaped from RT's REST2 documentation and checked against a real RT 5 in the integration tests.
Collection endpoints page with ``page``/``per_page`` and report ``pages``; the attachments collection
returns Content as text when asked for with ``fields``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from assist.domain import (
    Attachment,
    AuthorRole,
    BodyFormat,
    Message,
    QueueFilter,
    Ticket,
    TicketId,
    TicketStatus,
    TicketSummary,
)
from assist.errors import TicketNotFoundError
from assist.net.connector import HttpConnector, expect, field, iso_time, ticket_id_in

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
STATUS = {"new": TicketStatus.NEW, "open": TicketStatus.OPEN, "stalled": TicketStatus.PENDING,
          "resolved": TicketStatus.SOLVED, "rejected": TicketStatus.CLOSED, "deleted": TicketStatus.CLOSED}
RT_STATUS = {TicketStatus.NEW: "new", TicketStatus.OPEN: "open", TicketStatus.PENDING: "stalled",
             TicketStatus.SOLVED: "resolved", TicketStatus.CLOSED: "rejected"}
PER_PAGE = 100
MAX_PAGES = 20




def _sql_quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


class RequestTrackerHelpdesk(HttpConnector):
    service = "Request Tracker"

    def __init__(self, base_url: str, token: str, *, queue_sql: str = "", client: httpx.AsyncClient | None = None,
                 timeout: float = 15.0, tags_field: str = "Tags") -> None:
        root = base_url.rstrip("/")
        super().__init__(root if root.endswith("/REST/2.0") else root + "/REST/2.0", client=client, timeout=timeout,
                         headers={"Authorization": f"token {token}"})
        self.web_url = root.removesuffix("/REST/2.0")
        self.queue_sql = queue_sql
        self.tags_field = tags_field
        self._queues: dict[str, str] = {}
        self._people: dict[str, tuple[str, str]] = {}  # RT user Name -> (email, display name)
        self.name = "Request Tracker"

    def ticket_url(self, ticket_id: str) -> str:
        return f"{self.web_url}/Ticket/Display.html?id={ticket_id}"

    def _query(self, flt: QueueFilter) -> str:
        parts = [f"({self.queue_sql})"] if self.queue_sql else []
        if flt.statuses:
            parts.append("(" + " OR ".join(f"Status = '{RT_STATUS[s]}'" for s in flt.statuses) + ")")
        text = flt.text.strip().lstrip("#")
        if text:
            q = _sql_quote(text)
            clause = f"Subject LIKE '{q}' OR Requestor.EmailAddress LIKE '{q}'"
            if text.isdigit():
                clause = f"id = {int(text)} OR " + clause
            parts.append(f"({clause})")
        return " AND ".join(parts) or "id > 0"

    async def history_ids(self, last: int) -> tuple[list[str], str]:
        """The ``last`` most recently updated resolved and rejected tickets, by TicketSQL (ids only: one
        light request per 100)."""
        status = "(Status = 'resolved' OR Status = 'rejected')"
        query = f"({self.queue_sql}) AND {status}" if self.queue_sql else status
        items = await self._pages("/tickets", {"query": query, "orderby": "LastUpdated", "order": "DESC",
                                               "fields": "id"}, max_pages=-(-last // PER_PAGE))
        ids = [str(i["id"]) for i in items if i.get("id") is not None][:last]
        return ids, "" if len(ids) >= last else f"Request Tracker has {len(ids):,} resolved or rejected tickets"

    async def _pages(self, path: str, params: dict[str, Any], ticket_id: str = "",
                     max_pages: int = MAX_PAGES) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(1, max_pages + 1):
            data = expect(await self.get_json(path, params={**params, "page": page, "per_page": PER_PAGE},
                                              ticket_id=ticket_id), dict, self.service, path)
            items += [i for i in data.get("items", []) if isinstance(i, dict)]
            if page >= int(data.get("pages") or 1):
                break
        return items

    async def list_queue(self, flt: QueueFilter, limit: int = 500) -> list[TicketSummary]:
        items = await self._pages("/tickets", {
            "query": self._query(flt), "orderby": "LastUpdated", "order": "DESC",
            "fields": "Subject,Status,Requestor,LastUpdated,Priority"})
        out = []
        for i in items[:limit]:
            user = str(field(i, "Requestor", default=[{}])[0].get("id", "")) if field(i, "Requestor") else ""
            # the queue shows what is known without a call per row: a login name until the ticket is opened
            email, name = self._people.get(user, (user if "@" in user else "", user))
            out.append(TicketSummary(
                TicketId(str(i["id"])), i.get("Subject") or "(no subject)", STATUS.get(i.get("Status", ""),
                                                                                      TicketStatus.OPEN),
                email, name, iso_time(i.get("LastUpdated")), str(i.get("Priority") or "normal")))
        return out

    async def get_ticket(self, ticket_id: TicketId, on_requester: Callable[[str], None] | None = None) -> Ticket:
        if not str(ticket_id).isdigit():
            raise TicketNotFoundError(f"#{ticket_id} is not a Request Tracker ticket number.")
        t = expect(await self.get_json(f"/ticket/{ticket_id}", ticket_id=ticket_id), dict, self.service, "a ticket")
        requestors = [r.get("id", "") for r in t.get("Requestor") or [] if isinstance(r, dict)]
        email, name = await self._person(requestors[0]) if requestors else ("", "")
        if on_requester is not None and email:
            on_requester(email)
        history = await self._pages(f"/ticket/{ticket_id}/history", {"fields": "Type,Creator,Created"}, ticket_id)
        # The list carries no content: a file attached to a mail (an 8 MB image) is listed, never downloaded
        # on open; the message body is the part without a file name, read by content type.
        parts = await self._pages(f"/ticket/{ticket_id}/attachments",
                                  {"fields": "TransactionId,ContentType,Filename,ContentLength"}, ticket_id)
        body_part: dict[str, dict[str, Any]] = {}
        files: dict[str, list[Attachment]] = {}
        for a in parts:
            txn = str(field(a, "TransactionId", "id", default=a.get("TransactionId")))
            ctype = str(a.get("ContentType", "")).lower()
            if a.get("Filename"):
                files.setdefault(txn, []).append(Attachment(str(a.get("id")), str(a["Filename"]),
                                                            int(a.get("ContentLength") or 0), ctype))
            elif ctype == "text/html" or (ctype == "text/plain" and txn not in body_part):
                body_part[txn] = a  # html wins over its plain-text twin
        bodies: dict[str, tuple[str, BodyFormat]] = {}
        for txn, a in body_part.items():
            content = await self._content(str(a.get("id")), ticket_id)
            if content.strip():
                fmt = BodyFormat.HTML if str(a.get("ContentType")).lower() == "text/html" else BodyFormat.TEXT
                bodies[txn] = (content, fmt)
        messages = []
        for h in history:
            kind = h.get("Type")
            if kind not in ("Create", "Correspond", "Comment"):
                continue
            txn = str(h.get("id"))
            body, fmt = bodies.get(txn, ("", BodyFormat.TEXT))
            creator = str(field(h, "Creator", "id", default=""))
            if kind == "Comment":
                role, public = AuthorRole.AGENT, False
            elif kind == "Create" or creator in requestors:
                role, public = AuthorRole.CUSTOMER, True
            else:
                role, public = AuthorRole.AGENT, True
            author = name if role is AuthorRole.CUSTOMER and kind == "Create" else creator
            messages.append(Message(txn, author, role, body, iso_time(h.get("Created")), public, fmt,
                                    tuple(files.get(txn, ()))))
        tags: tuple[str, ...] = ()
        fields = [("queue", await self._queue_name(str(field(t, "Queue", "id", default="") or "")))]
        for cf in t.get("CustomFields") or []:
            if isinstance(cf, dict) and cf.get("name") == self.tags_field:
                tags = tuple(str(v) for v in cf.get("values") or [])
            elif isinstance(cf, dict) and cf.get("name") and cf.get("values"):
                fields.append((f"cf.{cf['name']}", str(cf["values"][0])))
        return Ticket(TicketId(str(t["id"])), t.get("Subject") or "(no subject)",
                      STATUS.get(t.get("Status", ""), TicketStatus.OPEN), email, name, iso_time(t.get("Created")),
                      iso_time(t.get("LastUpdated")), tuple(messages), str(t.get("Priority") or "normal"), tags,
                      self.ticket_url(str(t["id"])), tuple(fields))

    async def _person(self, user: str) -> tuple[str, str]:
        """(email, name) of an RT user. REST2 names users by their ``Name``, which is an email address only on
        sites where people log in with one; with SSO/LDAP logins it is "kim.lee", so the address is the
        user's ``EmailAddress`` and the greeting its ``RealName``. Asked once per user (a history import)."""
        if user not in self._people:
            data = await self.get_json(f"/user/{user}")
            address = str(field(data, "EmailAddress", default="") or "").strip()
            if not address and "@" in user:
                address = user  # an unprivileged requester RT created from a mail: its Name is the address
            real = str(field(data, "RealName", default="") or "").strip()
            self._people[user] = (address, real or address or user)
        return self._people[user]

    async def _queue_name(self, queue_id: str) -> str:
        """A queue's name (REST2 gives tickets its id), asked once per queue."""
        if not queue_id:
            return ""
        if queue_id not in self._queues:
            q = await self.get_json(f"/queue/{queue_id}")
            self._queues[queue_id] = str(field(q, "Name", default=queue_id) or queue_id)
        return self._queues[queue_id]

    async def fetch_attachment(self, ticket_id: TicketId, attachment_id: str) -> bytes:
        """The file's bytes (GET /attachment/:id, Content base64), checked to belong to this ticket."""
        data = expect(await self.get_json(f"/attachment/{attachment_id}", ticket_id=ticket_id), dict,
                      self.service, "an attachment")
        txn = str(field(data, "TransactionId", "id", default=""))
        owner = await self.get_json(f"/transaction/{txn}", ticket_id=ticket_id) if txn else {}
        if str(field(owner, "Object", "id", default="")) != str(ticket_id):
            raise TicketNotFoundError(f"That file is not part of ticket #{ticket_id}.")
        raw = "".join(str(data.get("Content") or "").split())
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return raw.encode()

    async def _content(self, attachment_id: str, ticket_id: str) -> str:
        """One attachment's text (REST 2 sends Content base64-encoded)."""
        data = await self.get_json(f"/attachment/{attachment_id}", ticket_id=ticket_id)
        raw = str(field(data, "Content", default="") or "")
        compact = "".join(raw.split())
        if not _BASE64.fullmatch(compact):
            return raw
        try:
            return base64.b64decode(compact, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return raw

    async def post_reply(self, ticket_id: TicketId, body: str, *, public: bool, author: str,
                         status: TicketStatus | None = None) -> Message:
        kind = "correspond" if public else "comment"
        payload: dict[str, Any] = {"Content": body, "ContentType": "text/plain"}
        if status is not None:
            payload["Status"] = "resolved" if status is TicketStatus.SOLVED else RT_STATUS[status]
        await self.request("POST", f"/ticket/{ticket_id}/{kind}", json=payload, ticket_id=ticket_id)
        return Message("", author, AuthorRole.AGENT, body, datetime.now(UTC), public)

    async def add_tags(self, ticket_id: TicketId, tags: tuple[str, ...]) -> None:
        # RT replaces a custom field's values: read them (only them) right before writing the union.
        t = expect(await self.get_json(f"/ticket/{ticket_id}", ticket_id=ticket_id), dict, self.service, "a ticket")
        current = [str(v) for cf in t.get("CustomFields") or []
                   if isinstance(cf, dict) and cf.get("name") == self.tags_field for v in cf.get("values") or []]
        await self.set_tags(ticket_id, tuple(dict.fromkeys([*current, *tags])))

    async def current_agent(self) -> str:
        return ""  # REST 2 has no "who am I" endpoint: the window asks once

    async def set_tags(self, ticket_id: TicketId, tags: tuple[str, ...]) -> None:
        await self.request("PUT", f"/ticket/{ticket_id}", json={"CustomFields": {self.tags_field: list(tags)}},
                           ticket_id=ticket_id)

    async def test_connection(self) -> str:
        data = await self.get_json("/rt")
        return f"Connected to Request Tracker {field(data, 'Version', default='5')}."


_URL = re.compile(r"/Ticket/Display\.html\?id=(\d+)")


def ticket_id_from_url(url: str) -> str | None:
    return ticket_id_in(_URL, url)
