"""Zendesk, Freshdesk, HubSpot and HTTP-JSON connectors against answers shaped exactly like their
published API documentation (httpx.MockTransport at the boundary): pagination, 401, 404, 429,
5xx, truncated JSON, DNS and TLS failures."""

from __future__ import annotations

import json
import re
import socket
import ssl
from typing import Any

import httpx
import pytest

from assist.crm.cache import CachedCRM
from assist.crm.http_json import HttpJsonCRM
from assist.crm.hubspot import HubSpotCRM
from assist.domain import AuthorRole, BodyFormat, QueueFilter, TicketId, TicketStatus
from assist.errors import ConnectorAuthError, ConnectorError, ConnectorUnavailableError, TicketNotFoundError
from assist.helpdesk.freshdesk import FreshdeskHelpdesk
from assist.helpdesk.zendesk import ZendeskHelpdesk
from assist.links import ticket_from_url
from assist.settings import CRMSettings, HelpdeskSettings

ZD = "https://acme.zendesk.com/api/v2"


def client(handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def ok(body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers)


ZD_USERS = {"users": [
    {"id": 501, "name": "Maria Gonzalez", "email": "maria@example.com", "role": "end-user"},
    {"id": 9, "name": "Sam Ortiz", "email": "sam@acme.com", "role": "agent"},
]}


def zendesk_handler(log: list[httpx.Request]):
    def handle(req: httpx.Request) -> httpx.Response:
        log.append(req)
        path = req.url.path
        if path == "/api/v2/search.json":
            # Search API (developer.zendesk.com/api-reference/ticketing/ticket-management/search/): offset
            # pagination only (page, per_page <= 100, 1,000 results at most); cursor parameters are refused.
            if any(k.startswith("page[") for k in req.url.params):
                return httpx.Response(400, json={"error": "InvalidPaginationParameter",
                                                 "description": "cursor pagination is not supported"})
            page = int(req.url.params.get("page", "1"))
            if int(req.url.params.get("per_page", "100")) > 100 or page * 100 > 1000:
                return httpx.Response(422, json={"error": "invalid", "description": "Search limit exceeded"})
            results = [{"id": 1000 + page, "subject": "where is my order", "status": "open", "requester_id": 501,
                        "updated_at": "2026-11-24T10:00:00Z", "priority": "normal", "tags": ["shipping"]}]
            return ok({"results": results, "count": 2,
                       "next_page": f"{ZD}/search.json?page=2&per_page=100" if page == 1 else None})
        if path == "/api/v2/tickets/1001/tags.json" and req.method == "PUT":
            # Tags API: PUT adds to the ticket's tags ("Add Tags"), POST would set (replace) them
            return ok({"tags": ["shipping", *json.loads(req.content)["tags"]]})
        if path == "/api/v2/users/show_many.json":
            return ok(ZD_USERS)
        if path == "/api/v2/tickets/1001.json" and req.method == "GET":
            body: dict[str, Any] = {"ticket": {
                "id": 1001, "subject": "where is my order", "status": "pending", "requester_id": 501,
                "submitter_id": 501, "assignee_id": None, "created_at": "2026-11-23T09:00:00Z",
                "updated_at": "2026-11-24T10:00:00Z", "tags": ["shipping"], "priority": "high"}}
            # Side-loading (developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/side_loading):
            # include=users adds the users the ticket names (requester, submitter, assignee), not comment authors.
            if "users" in req.url.params.get("include", "").split(","):
                body["users"] = [ZD_USERS["users"][0]]
            return ok(body)
        if path == "/api/v2/tickets/1001/comments.json":
            if "page[after]" in str(req.url):
                return ok({"comments": [{"id": 3, "author_id": 501, "body": "any news?", "html_body": "",
                                         "public": True, "created_at": "2026-11-24T10:00:00Z"}],
                           "meta": {"has_more": False, "after_cursor": None}, "links": {"next": None}})
            return ok({"comments": [
                {"id": 1, "author_id": 501, "body": "where is it", "html_body": "<p>where is it</p>", "public": True,
                 "created_at": "2026-11-23T09:00:00Z"},
                {"id": 2, "author_id": 9, "body": "checking", "html_body": "", "public": False,
                 "created_at": "2026-11-23T09:30:00Z"}],
                "meta": {"has_more": True, "after_cursor": "xyz"},
                "links": {"next": f"{ZD}/tickets/1001/comments.json?page[after]=xyz&page[size]=100"}})
        if path == "/api/v2/tickets/1001.json" and req.method == "PUT":
            return ok({"ticket": {"id": 1001}})
        if path == "/api/v2/tickets/404.json":
            return httpx.Response(404, json={"error": "RecordNotFound", "description": "Not found"})
        return httpx.Response(500)
    return handle


async def test_zendesk_queue_thread_cursor_pagination_reply_note_tags() -> None:
    log: list[httpx.Request] = []
    zd = ZendeskHelpdesk("https://acme.zendesk.com", "sam@acme.com", "tok", client=client(zendesk_handler(log)))
    queue = await zd.list_queue(QueueFilter(text="order"))
    assert [(t.id, t.requester_name, t.status) for t in queue] == [("1001", "Maria Gonzalez", TicketStatus.OPEN),
                                                                  ("1002", "Maria Gonzalez", TicketStatus.OPEN)]
    search = next(r for r in log if r.url.path == "/api/v2/search.json")
    assert "status:new" in search.url.params["query"] and "order" in search.url.params["query"]
    assert [r.url.params["page"] for r in log if r.url.path == "/api/v2/search.json"] == ["1", "2"]
    assert search.headers["Authorization"] == httpx.BasicAuth("sam@acme.com/token", "tok")._auth_header
    ticket = await zd.get_ticket(TicketId("1001"))
    assert ticket.status is TicketStatus.PENDING and ticket.requester_email == "maria@example.com"
    assert [(m.role, m.public, m.body_format) for m in ticket.messages] == [
        (AuthorRole.CUSTOMER, True, BodyFormat.HTML), (AuthorRole.AGENT, False, BodyFormat.TEXT),
        (AuthorRole.CUSTOMER, True, BodyFormat.TEXT)]  # second page followed via links.next
    await zd.post_reply(TicketId("1001"), "It shipped", public=True, author="Sam")
    await zd.post_reply(TicketId("1001"), "note", public=False, author="Sam")
    await zd.set_tags(TicketId("1001"), ("shipping", "vip"))
    await zd.add_tags(TicketId("1001"), ("assist-action",))
    puts = [(r.url.path, json.loads(r.content)) for r in log if r.method == "PUT"]
    assert puts == [("/api/v2/tickets/1001.json", {"ticket": {"comment": {"body": "It shipped", "public": True}}}),
                    ("/api/v2/tickets/1001.json", {"ticket": {"comment": {"body": "note", "public": False}}}),
                    ("/api/v2/tickets/1001.json", {"ticket": {"tags": ["shipping", "vip"]}}),
                    ("/api/v2/tickets/1001/tags.json", {"tags": ["assist-action"]})]
    with pytest.raises(TicketNotFoundError, match="#404 doesn't exist in Zendesk"):
        await zd.get_ticket(TicketId("404"))
    await zd.aclose()


@pytest.mark.parametrize(
    ("response", "error", "message"),
    [
        (httpx.Response(401, json={"error": "Couldn't authenticate you"}), ConnectorAuthError,
         "token rejected — update it in Settings"),
        (httpx.Response(403, json={"error": "Forbidden"}), ConnectorAuthError, "permission denied"),
        (httpx.Response(404, json={"error": "InvalidEndpoint"}), ConnectorError, "check the URL or subdomain"),
        (httpx.Response(503, text="Service Unavailable"), ConnectorUnavailableError, "server error (503)"),
        (httpx.Response(200, content=b'{"results": [{"id": 1, "sub'), ConnectorUnavailableError, "malformed JSON"),
        (httpx.Response(429, json={"error": "TooManyRequests"}, headers={"Retry-After": "120"}),
         ConnectorUnavailableError, "rate-limiting"),
    ],
)
async def test_zendesk_errors_are_named(response, error, message) -> None:
    zd = ZendeskHelpdesk("acme", "a@b.c", "t", client=client(lambda req: response))
    with pytest.raises(error, match=re.escape(message)):
        await zd.list_queue(QueueFilter())
    await zd.aclose()


async def test_429_waits_for_retry_after_then_succeeds() -> None:
    calls = {"n": 0}

    def handle(req: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"error": "TooManyRequests"})
        if req.url.path.endswith("show_many.json"):
            return ok({"users": []})
        return ok({"results": [], "next_page": None})

    zd = ZendeskHelpdesk("acme", "a@b.c", "t", client=client(handle))
    assert await zd.list_queue(QueueFilter()) == []
    assert calls["n"] >= 2
    await zd.aclose()


def _failing(exc: BaseException):
    def handle(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connect failed", request=req) from exc
    return handle


@pytest.mark.parametrize(
    ("cause", "message"),
    [
        (socket.gaierror(-2, "Name or service not known"), "Couldn't find acme.zendesk.com (DNS lookup failed)"),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), "secure connection to acme.zendesk.com failed"),
        (ConnectionRefusedError(111, "Connection refused"), "refused the connection"),
    ],
)
async def test_transport_failures_say_what_failed(cause, message) -> None:
    zd = ZendeskHelpdesk("acme", "a@b.c", "t", client=client(_failing(cause)))
    with pytest.raises(ConnectorUnavailableError, match=re.escape(message)):
        await zd.list_queue(QueueFilter())
    await zd.aclose()


def freshdesk_handler(log: list[httpx.Request]):
    def handle(req: httpx.Request) -> httpx.Response:
        log.append(req)
        path, page = req.url.path, req.url.params.get("page", "1")
        if path == "/api/v2/tickets":
            # List All Tickets (developers.freshdesk.com/api/#list_all_tickets): "By default, only tickets
            # that have been created within the past 30 days will be returned" unless updated_since/filter.
            if "updated_since" not in req.url.params and "filter" not in req.url.params:
                return ok([])
            if page == "1":
                return ok([{"id": 7, "subject": "refund please", "status": 2, "priority": 3, "requester_id": 44,
                            "requester": {"id": 44, "name": "Robert Novak", "email": "rnovak@example.com"},
                            "updated_at": "2026-11-24T10:00:00Z", "tags": []}],
                          link='<https://acme.freshdesk.com/api/v2/tickets?page=2>; rel="next"')
            return ok([{"id": 8, "subject": "old one", "status": 5, "priority": 1, "requester_id": 45,
                        "requester": {"id": 45, "name": "X", "email": "x@example.com"},
                        "updated_at": "2026-10-01T10:00:00Z", "tags": []}])
        if path == "/api/v2/tickets/7":
            if req.method == "PUT":
                return ok({"id": 7})
            return ok({"id": 7, "subject": "refund please", "status": 3, "priority": 2,
                       "description": "<div>sour beans</div>", "description_text": "sour beans",
                       "requester": {"id": 44, "name": "Robert Novak", "email": "rnovak@example.com"},
                       "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-24T10:00:00Z", "tags": ["x"]})
        if path == "/api/v2/tickets/7/conversations":
            return ok([{"id": 70, "body": "<p>Sorry!</p>", "body_text": "Sorry!", "incoming": False,
                        "private": False, "user_id": 3, "created_at": "2026-11-23T10:00:00Z"},
                       {"id": 71, "body": "<p>pinged QA</p>", "incoming": False, "private": True, "user_id": 3,
                        "created_at": "2026-11-23T11:00:00Z"}])
        if path in ("/api/v2/tickets/7/reply", "/api/v2/tickets/7/notes"):
            body = json.loads(req.content)["body"]  # "Content of the note in HTML"
            if "\n" in body or re.search(r"<(?!/?(p|br|div|b|i|a)\b)", body):
                return httpx.Response(400, json={"description": "Validation failed",
                                                 "errors": [{"field": "body", "message": "not valid HTML"}]})
            return httpx.Response(201, json={"id": 99})
        return httpx.Response(404, json={"code": "not_found"})
    return handle


async def test_freshdesk_pages_thread_reply_note_tags() -> None:
    log: list[httpx.Request] = []
    fd = FreshdeskHelpdesk("acme", "key", client=client(freshdesk_handler(log)))
    queue = await fd.list_queue(QueueFilter())
    assert [t.id for t in queue] == ["7"]  # page 2 read, the closed ticket filtered out
    assert {r.url.params.get("page") for r in log if r.url.path == "/api/v2/tickets"} == {"1", "2"}
    ticket = await fd.get_ticket(TicketId("7"))
    assert ticket.status is TicketStatus.PENDING and ticket.requester_name == "Robert Novak"
    assert [(m.role, m.public) for m in ticket.messages] == [
        (AuthorRole.CUSTOMER, True), (AuthorRole.AGENT, True), (AuthorRole.AGENT, False)]
    await fd.post_reply(TicketId("7"), "Hi Robert,\n\nRefunded <$12 & tax>.\nBest,\nSam", public=True, author="Sam")
    await fd.post_reply(TicketId("7"), "internal", public=False, author="Sam")
    await fd.set_tags(TicketId("7"), ("refund",))
    sent = [(r.url.path, json.loads(r.content)) for r in log if r.method in ("POST", "PUT")]
    assert sent == [("/api/v2/tickets/7/reply",
                     {"body": "<p>Hi Robert,</p><p>Refunded &lt;$12 &amp; tax&gt;.<br>Best,<br>Sam</p>"}),
                    ("/api/v2/tickets/7/notes", {"body": "<p>internal</p>", "private": True}),
                    ("/api/v2/tickets/7", {"tags": ["refund"]})]
    assert all("updated_since" in r.url.params for r in log if r.url.path == "/api/v2/tickets")


async def test_freshdesk_queue_setting_is_a_predefined_filter() -> None:
    log: list[httpx.Request] = []
    fd = FreshdeskHelpdesk("acme", "key", queue="new_and_my_open", client=client(freshdesk_handler(log)))
    await fd.list_queue(QueueFilter())
    assert {r.url.params.get("filter") for r in log if r.url.path == "/api/v2/tickets"} == {"new_and_my_open"}
    await fd.aclose()
    with pytest.raises(TicketNotFoundError):
        await fd.get_ticket(TicketId("999"))
    await fd.aclose()


async def test_http_json_crm_maps_paths_and_caches() -> None:
    calls = {"n": 0}

    def handle(req: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if req.url.path == "/customers/unknown%40example.com" or "unknown" in str(req.url):
            return httpx.Response(404)
        return ok({"profile": {"full_name": "Maria G", "plan": {"name": "Plus"}}, "stats": {"ltv": "612.4"},
                   "orders": [{"number": "KC-1", "state": "shipped", "amount": 38, "currency": "USD"}]})

    cfg = CRMSettings(kind="http_json", url="https://crm.internal/customers/{email}", name_path="profile.full_name",
                      plan_path="profile.plan.name", value_path="stats.ltv",
                      order_fields={"id": "number", "status": "state", "total": "amount", "currency": "currency"})
    crm = CachedCRM(HttpJsonCRM(cfg, "secret", client=client(handle)), ttl_s=60)
    c = await crm.get_customer("maria@example.com")
    assert (c.name, c.plan, c.lifetime_value) == ("Maria G", "Plus", 612.4)
    assert [(o.id, o.status, o.total) for o in c.orders] == [("KC-1", "shipped", 38.0)]
    await crm.get_customer("MARIA@example.com")
    assert calls["n"] == 1  # cached per requester
    crm.invalidate()
    await crm.get_customer("maria@example.com")
    assert calls["n"] == 2
    assert await crm.get_customer("unknown@example.com") is None
    await crm.aclose()


async def test_hubspot_contact_company_deals() -> None:
    seen: list[tuple[str, str]] = []

    # Strict to HubSpot's CRM v3 reference (developers.hubspot.com/docs/api/crm/search,
    # .../crm/associations, .../crm/objects batch read): bearer auth, known search keys only, limit <= 200,
    # documented filter operators, batch inputs <= 100; anything else is a 400 like the real API's.
    search_keys = {"filterGroups", "properties", "limit", "after", "sorts", "query"}
    operators = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
                 "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}

    def bad(message: str) -> httpx.Response:
        return httpx.Response(400, json={"status": "error", "message": message, "category": "VALIDATION_ERROR"})

    def handle(req: httpx.Request) -> httpx.Response:
        seen.append((req.method, req.url.path))
        if req.headers.get("Authorization") != "Bearer pat-123":
            return httpx.Response(401, json={"status": "error", "category": "INVALID_AUTHENTICATION"})
        if req.url.path == "/crm/v3/objects/contacts/search":
            if req.method != "POST":
                return httpx.Response(405)
            body = json.loads(req.content)
            if set(body) - search_keys or body.get("limit", 10) > 200:
                return bad(f"Invalid input JSON: unknown or invalid fields {sorted(set(body) - search_keys)}")
            filters = [f for g in body.get("filterGroups", []) for f in g.get("filters", [])]
            if any(f.get("operator") not in operators for f in filters):
                return bad("Invalid filter operator")
            assert filters[0] == {"propertyName": "email", "operator": "EQ", "value": "tom@becker.de"}
            return ok({"total": 1, "results": [{"id": "51", "properties": {
                "email": "tom@becker.de", "firstname": "Tom", "lastname": "Becker", "plan": "Office",
                "total_revenue": "3120", "createdate": "2025-02-01T00:00:00Z"}}]})
        if req.url.path.endswith("/associations/companies"):
            return ok({"results": [{"id": "9001", "type": "contact_to_company"}]})
        if req.url.path == "/crm/v3/objects/companies/9001":
            return ok({"id": "9001", "properties": {"name": "Becker Design GmbH"}})
        if req.url.path.endswith("/associations/deals"):
            return ok({"results": [{"id": "77", "type": "contact_to_deal"}]})
        if req.url.path == "/crm/v3/objects/deals/batch/read":
            inputs = json.loads(req.content).get("inputs", [])
            if req.method != "POST" or not inputs or len(inputs) > 100 or any(set(i) != {"id"} for i in inputs):
                return bad("batch read takes 1 to 100 inputs of {id}")
            return ok({"status": "COMPLETE", "results": [{"id": "77", "properties": {
                "dealname": "Office box Dec", "amount": "129", "dealstage": "closedwon",
                "closedate": "2026-11-12T00:00:00Z"}}]})
        return httpx.Response(404)

    crm = HubSpotCRM(CRMSettings(kind="hubspot"), "pat-123", client=client(handle))
    c = await crm.get_customer("tom@becker.de")
    assert (c.name, c.company, c.plan, c.lifetime_value) == ("Tom Becker", "Becker Design GmbH", "Office", 3120.0)
    assert [(o.id, o.status, o.total) for o in c.orders] == [("Office box Dec", "closedwon", 129.0)]
    await crm.aclose()


def test_ticket_urls_follow_only_this_workspace() -> None:
    zd = HelpdeskSettings(kind="zendesk", url="acme")
    assert ticket_from_url("https://acme.zendesk.com/agent/tickets/4812", zd) == "4812"
    assert ticket_from_url("https://evil.zendesk.com/agent/tickets/4812", zd) is None
    fd = HelpdeskSettings(kind="freshdesk", url="https://acme.freshdesk.com")
    assert ticket_from_url("https://acme.freshdesk.com/a/tickets/77", fd) == "77"
    assert ticket_from_url("not a url", fd) is None
    assert ticket_from_url("https://acme.zendesk.com/agent/tickets/1", HelpdeskSettings()) is None


async def test_bad_timestamps_still_open_the_ticket() -> None:
    log: list[httpx.Request] = []
    base = zendesk_handler(log)

    def handle(req: httpx.Request) -> httpx.Response:
        resp = base(req)
        if req.url.path == "/api/v2/tickets/1001/comments.json":
            data = json.loads(resp.content)
            data["comments"][0]["created_at"] = "yesterday-ish"
            data["comments"][-1]["created_at"] = 1_763_996_400
            return ok(data)
        return resp

    zd = ZendeskHelpdesk("https://acme.zendesk.com", "sam@acme.com", "tok", client=client(handle))
    ticket = await zd.get_ticket(TicketId("1001"))
    assert "where is it" in ticket.messages[0].body
    assert ticket.messages[0].created_at.year == 1970  # unknown, shown as such, never a traceback
    await zd.aclose()


async def test_deeply_nested_json_is_one_clear_error() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    zd = ZendeskHelpdesk("https://acme.zendesk.com", "sam@acme.com", "tok", client=client(
        lambda req: httpx.Response(200, content=deep, headers={"Content-Type": "application/json"})))
    with pytest.raises(ConnectorUnavailableError, match="nested too deeply"):
        await zd.get_ticket(TicketId("1001"))
    await zd.aclose()


async def test_a_ticket_in_an_unexpected_shape_is_a_message_not_a_traceback(make_session) -> None:
    s = make_session()

    async def odd(ticket_id, on_requester=None):
        raise KeyError("requester_id")  # what a connector meets when a field is missing

    s.helpdesk.get_ticket = odd
    with pytest.raises(ConnectorUnavailableError, match="in a shape Assist couldn't read"):
        await s.open_ticket(TicketId("1001"))


def test_retry_after_in_both_forms() -> None:
    from datetime import UTC, datetime

    from assist.net.connector import retry_after

    now = datetime(2026, 11, 25, 16, 0, 0, tzinfo=UTC)
    assert retry_after("120", now) == 120.0
    assert retry_after("Wed, 25 Nov 2026 16:00:45 GMT", now) == 45.0
    assert retry_after("Wed, 25 Nov 2026 15:59:00 GMT", now) == 0.0  # already past
    assert retry_after(None, now) == 1.0 and retry_after("soon", now) == 1.0


async def test_429_with_an_http_date_waits_until_then(monkeypatch) -> None:
    import asyncio as aio
    from email.utils import format_datetime

    waits: list[float] = []

    async def fake_sleep(s: float) -> None:
        waits.append(s)

    monkeypatch.setattr(aio, "sleep", fake_sleep)
    from datetime import UTC, datetime, timedelta

    calls = {"n": 0}

    def handle(req: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            when = format_datetime(datetime.now(UTC) + timedelta(seconds=6), usegmt=True)
            return httpx.Response(429, json={"error": "TooManyRequests"}, headers={"Retry-After": when})
        return ok({"ticket": {"id": 1, "subject": "s", "status": "open", "requester_id": 0}})

    zd = ZendeskHelpdesk("https://acme.zendesk.com", "a@b.c", "t", client=client(handle))
    await zd.get_json("/tickets/1.json")
    assert 4 <= waits[0] <= 6  # not the 1 s an unreadable header would give
    await zd.aclose()


async def test_reads_are_retried_on_a_passing_server_error_writes_are_not(monkeypatch) -> None:
    import asyncio as aio

    async def no_wait(_s: float) -> None:
        return None

    monkeypatch.setattr(aio, "sleep", no_wait)
    calls: list[str] = []

    def handle(req: httpx.Request) -> httpx.Response:
        calls.append(req.method)
        if len([c for c in calls if c == req.method]) == 1:
            return httpx.Response(503, text="busy")
        return ok({"ticket": {"id": 1}})

    zd = ZendeskHelpdesk("https://acme.zendesk.com", "a@b.c", "t", client=client(handle))
    assert (await zd.get_json("/tickets/1.json"))["ticket"]["id"] == 1
    assert calls == ["GET", "GET"]
    with pytest.raises(ConnectorUnavailableError, match="server error"):
        await zd.post_reply(TicketId("1"), "hi", public=True, author="Sam")  # never sent twice
    assert calls.count("PUT") == 1
    await zd.aclose()


async def test_a_ticket_opened_by_id_fetches_its_customer_while_the_thread_loads(make_session) -> None:
    """Ctrl+K / a pasted URL: no requester is known up front. Zendesk names it in the first answer
    (side-loaded users), and the CRM is asked then, not after the whole thread (issue 16)."""
    import asyncio

    events: list[str] = []
    base = zendesk_handler([])

    async def slow(req: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)  # every request takes a network-like while
        events.append(f"answered {req.url.path}")
        return base(req)

    class RecordingCRM:
        name = "CRM"

        async def get_customer(self, email: str):
            events.append(f"crm asked for {email}")
            await asyncio.sleep(0.05)
            return None

        async def aclose(self) -> None:
            pass

    session = make_session()
    session.helpdesk = ZendeskHelpdesk("https://acme.zendesk.com", "sam@acme.com", "tok",
                                       client=httpx.AsyncClient(transport=httpx.MockTransport(slow)))
    session.crm = RecordingCRM()
    ctx = await session.open_ticket(TicketId("1001"))
    assert ctx.ticket.requester_email == "maria@example.com"
    asked = events.index("crm asked for maria@example.com")
    assert asked < events.index("answered /api/v2/tickets/1001/comments.json")  # overlapped, not after
    assert events.count("crm asked for maria@example.com") == 1
    assert [e for e in events if e.startswith("crm")] == ["crm asked for maria@example.com"]


# -- history import as each vendor documents it (issue 24) ------------------------------------------


class ZendeskExport:
    """Zendesk's Incremental Ticket Export, cursor-based (developer.zendesk.com/api-reference/ticketing/
    ticket-management/incremental_exports/#incremental-ticket-export-cursor-based): ``start_time`` (at least a
    minute in the past) or ``cursor``, ``per_page`` at most 1,000, tickets in update order, ``after_cursor`` and
    ``end_of_stream``; at most ``per_minute`` requests a minute, else 429 with Retry-After. Views hold only
    the tickets an agent works on (open ones)."""

    def __init__(self, tickets: list[dict[str, Any]], per_minute: int, clock) -> None:  # type: ignore[no-untyped-def]
        self.tickets = sorted(tickets, key=lambda t: t["updated_at"])
        self.per_minute, self.clock = per_minute, clock
        self.calls: list[float] = []
        self.refused = 0

    def __call__(self, req: httpx.Request) -> httpx.Response:
        from datetime import UTC, datetime

        now = self.clock()
        if len([t for t in self.calls if now - t < 60.0]) >= self.per_minute:
            self.refused += 1
            return httpx.Response(429, json={"error": "APIRateLimitExceeded"}, headers={"Retry-After": "60"})
        self.calls.append(now)
        path, params = req.url.path, req.url.params
        if path.startswith("/api/v2/views/"):
            return ok({"tickets": [t for t in self.tickets if t["status"] == "open"][:100],
                       "meta": {"has_more": False}, "links": {"next": None}})
        if path != "/api/v2/incremental/tickets/cursor.json":
            return httpx.Response(404, json={"error": "InvalidEndpoint"})
        size = int(params.get("per_page", "1000"))
        if size > 1000:
            return httpx.Response(400, json={"error": "InvalidValue", "description": "per_page must be <= 1000"})
        if "cursor" in params:
            at = int(params["cursor"])
        elif "start_time" in params:
            start = int(params["start_time"])
            if start > datetime.now(UTC).timestamp() - 60:
                return httpx.Response(400, json={"error": "InvalidValue", "description": "start_time is too recent"})
            at = next((i for i, t in enumerate(self.tickets)
                       if datetime.fromisoformat(t["updated_at"]).timestamp() >= start), len(self.tickets))
        else:
            return httpx.Response(400, json={"error": "InvalidValue", "description": "start_time or cursor"})
        page = self.tickets[at:at + size]
        end = at + size >= len(self.tickets)
        return ok({"tickets": page, "after_cursor": None if end else str(at + size),
                   "after_url": None if end else f"{ZD}/incremental/tickets/cursor.json?cursor={at + size}",
                   "before_cursor": str(at), "end_of_stream": end})


def _zd_history(n: int, solved_every: int) -> list[dict[str, Any]]:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    out = []
    for i in range(n):  # two years of tickets, one every ~3 hours, the newest first in id order
        when = now - timedelta(hours=3 * i + 2)
        status = ("solved" if i % solved_every == 0 else "closed" if i % solved_every == 1 else "open")
        out.append({"id": 50_000 - i, "subject": f"ticket {i}", "status": status, "requester_id": 501,
                    "updated_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "tags": []})
    return out


async def test_zendesk_history_comes_from_the_incremental_export_not_the_agents_view() -> None:
    """The README's `queue = <view id>` made history import page the agent's view of open tickets: 0 solved
    ones. Without a view, the Search API stops at 1,000. The export delivers --last N, within its rate limit."""
    import time

    tickets = _zd_history(6000, solved_every=3)  # 4,000 solved or closed over two years
    export = ZendeskExport(tickets, per_minute=600, clock=time.monotonic)
    zd = ZendeskHelpdesk("https://acme.zendesk.com", "sam@acme.com", "tok", view_id="360001",
                         client=client(export))
    zd.export_per_minute = 600  # the double's minute, scaled: pacing is what is tested, not the wait
    ids, note = await zd.history_ids(2000)
    assert len(ids) == 2000 and note == ""
    wanted = [t for t in tickets if t["status"] in ("solved", "closed")][:2000]  # newest first
    assert ids == [str(t["id"]) for t in wanted]
    assert export.refused == 0  # paced under the limit: never a 429
    every, note = await zd.history_ids(10_000)
    assert len(every) == 4000 and "4,000 solved or closed" in note  # all there is, and why not 10,000
    await zd.aclose()


class FreshdeskList:
    """GET /api/v2/tickets as Freshdesk documents it: per_page at most 100, page at most 300 (400 beyond),
    order_by/order_type, updated_since; a Link rel="next" header while more pages exist."""

    def __init__(self, tickets: list[dict[str, Any]]) -> None:
        self.tickets = sorted(tickets, key=lambda t: t["updated_at"], reverse=True)
        self.pages: list[int] = []

    def __call__(self, req: httpx.Request) -> httpx.Response:
        params = req.url.params
        page, size = int(params.get("page", "1")), int(params.get("per_page", "30"))
        if size > 100 or page > 300:
            return httpx.Response(400, json={"description": "Validation failed", "errors": [
                {"field": "page" if page > 300 else "per_page", "message": "Has to be less than or equal to 300"
                 if page > 300 else "Has to be less than or equal to 100", "code": "invalid_value"}]})
        if "updated_since" not in params and "filter" not in params:
            return httpx.Response(400, json={"description": "only the last 30 days without updated_since"})
        self.pages.append(page)
        chunk = self.tickets[(page - 1) * size: page * size]
        more = page * size < len(self.tickets) and page < 300
        link = {"link": f'<https://acme.freshdesk.com/api/v2/tickets?page={page + 1}>; rel="next"'} if more else {}
        return httpx.Response(200, json=chunk, headers=link)


async def test_freshdesk_history_pages_until_it_has_last_n_resolved_tickets() -> None:
    """Freshdesk read the 2,000 most recently updated tickets of any status and filtered them: a busy desk
    got a fraction of --last. It pages on (up to Freshdesk's page 300) until it has N resolved or closed."""
    tickets = [{"id": i, "subject": f"t{i}", "status": 4 if i % 10 == 0 else 5 if i % 10 == 1 else 2,
                "updated_at": f"2026-{1 + i % 11:02d}-{1 + i % 27:02d}T{i % 24:02d}:00:00Z"} for i in range(12_000)]
    listing = FreshdeskList(tickets)
    fd = FreshdeskHelpdesk("https://acme.freshdesk.com", "key", client=client(listing))
    ids, note = await fd.history_ids(2000)
    assert len(ids) == 2000 and note == "" and max(listing.pages) > 20  # past the old 20-page stop
    closed = [str(t["id"]) for t in listing.tickets if t["status"] in (4, 5)]
    assert ids == closed[:2000]
    ids, note = await fd.history_ids(5000)
    assert len(ids) == 2400 and "2,400 resolved or closed" in note
    await fd.aclose()
