"""The Request Tracker connector against a real RT 5: queue, thread, reply, note, tags, errors.

Tickets are created through RT's own REST API as a customer's mail would create them, and RT's own
state is read back afterwards with plain HTTP, not through the connector under test.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from assist.domain import AuthorRole, QueueFilter, TicketId, TicketStatus
from assist.errors import ConnectorAuthError, ConnectorUnavailableError, TicketNotFoundError
from assist.helpdesk.request_tracker import RequestTrackerHelpdesk
from assist.links import ticket_from_url
from assist.settings import HelpdeskSettings


def _rt(env: dict[str, str]) -> httpx.Client:
    return httpx.Client(base_url=env["RT_URL"] + "/REST/2.0", headers={"Authorization": f"token {env['RT_TOKEN']}"},
                        timeout=30)


def _create(env: dict[str, str], subject: str, body: str, requestor: str, content_type: str = "text/plain") -> str:
    with _rt(env) as rt:
        resp = rt.post("/ticket", json={"Queue": "General", "Subject": subject, "Requestor": requestor,
                                        "Content": body, "ContentType": content_type})
        resp.raise_for_status()
        return str(resp.json()["id"])


@pytest.fixture
async def helpdesk(rt_env):
    hd = RequestTrackerHelpdesk(rt_env["RT_URL"], rt_env["RT_TOKEN"], queue_sql="Queue = 'General'")
    yield hd
    await hd.aclose()


async def test_queue_thread_reply_note_and_tags(rt_env, helpdesk) -> None:
    tag = uuid.uuid4().hex[:8]
    tid = _create(rt_env, f"where is my order {tag}", "hi, my order KC-48213 hasnt arrived", f"c{tag}@example.com")
    other = _create(rt_env, f"charged twice {tag}", "two charges on my card", f"d{tag}@example.com")

    queue = await helpdesk.list_queue(QueueFilter(text=tag))
    assert {t.id for t in queue} == {tid, other}
    mine = next(t for t in queue if t.id == tid)
    assert mine.requester_email == f"c{tag}@example.com" and mine.status in (TicketStatus.NEW, TicketStatus.OPEN)
    by_id = await helpdesk.list_queue(QueueFilter(text=f"#{tid}", statuses=()))
    assert tid in {t.id for t in by_id}

    ticket = await helpdesk.get_ticket(TicketId(tid))
    assert ticket.subject == f"where is my order {tag}"
    assert [(m.role, m.body) for m in ticket.messages] == [
        (AuthorRole.CUSTOMER, "hi, my order KC-48213 hasnt arrived")]
    assert ticket.url.endswith(f"/Ticket/Display.html?id={tid}")

    await helpdesk.post_reply(TicketId(tid), "Hi, it shipped with UPS yesterday.", public=True, author="sam")
    await helpdesk.post_reply(TicketId(tid), "checked the warehouse", public=False, author="sam")
    await helpdesk.set_tags(TicketId(tid), ("shipping", "assist-escalated"))

    ticket = await helpdesk.get_ticket(TicketId(tid))
    reply, note = ticket.messages[-2], ticket.messages[-1]
    assert (reply.public, reply.role) == (True, AuthorRole.AGENT)
    assert reply.body.strip() == "Hi, it shipped with UPS yesterday."
    assert (note.public, note.body.strip()) == (False, "checked the warehouse")
    assert set(ticket.tags) == {"shipping", "assist-escalated"}

    with _rt(rt_env) as rt:  # RT's own view of what happened
        history = rt.get(f"/ticket/{tid}/history", params={"fields": "Type", "per_page": 100}).json()["items"]
        types = [h["Type"] for h in history]
        assert "Correspond" in types and "Comment" in types
        state = rt.get(f"/ticket/{tid}").json()
        tags = {cf["name"]: cf["values"] for cf in state["CustomFields"]}["Tags"]
        assert sorted(tags) == ["assist-escalated", "shipping"]
        assert state["Status"] == "open"  # a correspondence opens a new ticket in RT


async def test_html_body_is_kept_as_html(rt_env, helpdesk) -> None:
    tid = _create(rt_env, "html mail", "<p>Hello <b>there</b></p><script>x()</script>", "h@example.com", "text/html")
    ticket = await helpdesk.get_ticket(TicketId(tid))
    assert ticket.messages[0].body_format.value == "html"
    assert "<b>there</b>" in ticket.messages[0].body  # rendering sanitizes it later


async def test_missing_ticket_revoked_token_and_down_server(rt_env, helpdesk) -> None:
    with pytest.raises(TicketNotFoundError, match="#987654"):
        await helpdesk.get_ticket(TicketId("987654"))
    bad = RequestTrackerHelpdesk(rt_env["RT_URL"], "1-1-not-a-token")
    with pytest.raises(ConnectorAuthError, match="token rejected — update it in Settings"):
        await bad.list_queue(QueueFilter())
    await bad.aclose()
    down = RequestTrackerHelpdesk("http://127.0.0.1:9", "x", timeout=2)
    with pytest.raises(ConnectorUnavailableError, match="refused the connection"):
        await down.list_queue(QueueFilter())
    await down.aclose()


async def test_test_connection_and_url_following(rt_env, helpdesk) -> None:
    assert (await helpdesk.test_connection()).startswith("Connected to Request Tracker 5")
    cfg = HelpdeskSettings(kind="request_tracker", url=rt_env["RT_URL"])
    assert ticket_from_url(f"{rt_env['RT_URL']}/Ticket/Display.html?id=42", cfg) == "42"
    assert ticket_from_url("https://other.example.com/Ticket/Display.html?id=42", cfg) is None


# -- AI Actions on a Request Tracker workspace (issue 11) --------------------------------------

@pytest.fixture
def rt_actions_session(rt_env, paths, secrets):
    """A workspace on the real RT whose actions catalog runs against a commerce API on this machine."""
    import sqlite3

    from assist.actions.demo_backend import DemoBackend
    from assist.demo import seed
    from assist.paths import resources_dir
    from assist.settings import Settings, WorkspaceSettings
    from assist.workspace import build_session

    db_path = paths.workspace_dir("shop") / "shop.db"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    seed(conn, resources_dir() / "demo")
    conn.close()
    backend = DemoBackend(db_path)
    secrets.provide("demo-actions-token", backend.token)
    settings = Settings()
    settings.workspaces["shop"] = WorkspaceSettings()
    ws = settings.workspaces["shop"]
    ws.helpdesk = HelpdeskSettings(kind="request_tracker", url=rt_env["RT_URL"], queue="Queue = 'General'")
    ws.crm.kind = "helpdesk"
    ws.actions.catalog = str(resources_dir() / "demo" / "actions.toml")
    ws.actions.base_url = backend.base_url
    settings.active_workspace = "shop"
    secrets.set("shop:helpdesk-token", rt_env["RT_TOKEN"])
    # the shop runs the demo's catalog, so it has the intents that catalog is written for, and a labelled
    # history (the demo's tickets) its router learns from
    from assist import taxonomy
    from assist.demo import labelled_tickets
    from assist.learning import history
    from assist.workspace import taxonomy_path

    taxonomy.save(taxonomy.load(resources_dir() / "demo" / "taxonomy.toml"), taxonomy_path(paths, "shop"))
    history.save([history.HistoryTicket(str(n), "", text, label)
                  for n, (text, label) in enumerate(labelled_tickets(resources_dir() / "demo"))],
                 paths.workspace_dir("shop") / history.HISTORY_FILE)
    session = build_session(paths, settings, secrets)
    yield session, backend
    session.close()
    backend.close()


async def test_approved_action_leaves_note_and_tag_on_the_rt_ticket(rt_env, rt_actions_session) -> None:
    session, backend = rt_actions_session
    tid = _create(rt_env, "refund please", "My order KC-48213 arrived damaged, the bag was ripped. Please refund it.",
                  "maria.gonzalez82@gmail.com")
    with _rt(rt_env) as rt:  # a colleague tags the ticket meanwhile: the write-back must keep it
        rt.put(f"/ticket/{tid}", json={"CustomFields": {"Tags": ["vip"]}}).raise_for_status()
    ctx = await session.open_ticket(TicketId(tid))
    route = await session.route_ticket(ctx)
    proposals = {p.action: p for p in await session.propose_actions(ctx, route)}
    refund = proposals["refund_order"]
    assert refund.params["order_id"] == "KC-48213"
    done = await session.approve_action(TicketId(tid), refund.id, {**refund.params, "amount": 10.0},
                                        confirmed=True)
    assert done.status.value == "succeeded", done.error

    with _rt(rt_env) as rt:
        history = rt.get(f"/ticket/{tid}/history", params={"fields": "Type", "per_page": 100}).json()["items"]
        comments = [h for h in history if h["Type"] == "Comment"]
        assert comments, "no internal note on the RT ticket"
        state = rt.get(f"/ticket/{tid}").json()
        tags = {cf["name"]: cf["values"] for cf in state["CustomFields"]}["Tags"]
        assert {"vip", "assist-action", "assist-action-refund_order"} <= set(tags)
    ticket = await session.helpdesk.get_ticket(TicketId(tid))
    note = next(m for m in reversed(ticket.messages) if not m.public)
    assert "Refund order ran after approval by" in note.body and "$10.00" in note.body


async def test_someone_elses_order_on_an_rt_ticket_is_never_shown_or_changed(rt_env, rt_actions_session) -> None:
    session, backend = rt_actions_session
    tid = _create(rt_env, "refund", "Refund order KC-48377 to me please.", "maria.gonzalez82@gmail.com")
    ctx = await session.open_ticket(TicketId(tid))
    route = await session.route_ticket(ctx)
    proposals = {p.action: p for p in await session.propose_actions(ctx, route)}
    lookup = proposals.get("lookup_order")
    if lookup is not None:  # auto-run: ownership refused before any of Derek's data was kept
        assert lookup.status.value == "rejected" and "Birch" not in lookup.error + lookup.result
    refund = proposals["refund_order"]
    done = await session.approve_action(TicketId(tid), refund.id, {**refund.params, "amount": 10.0},
                                        confirmed=True)
    assert done.status.value == "rejected" and "does not belong" in done.error
    assert not any(path.endswith("/refunds") for _, path in backend.requests)


async def test_attached_html_file_stays_a_file_and_is_not_downloaded(rt_env, helpdesk) -> None:
    import base64

    tag = uuid.uuid4().hex[:8]
    with _rt(rt_env) as rt:
        resp = rt.post("/ticket", json={
            "Queue": "General", "Subject": f"files {tag}", "Requestor": f"f{tag}@example.com",
            "Content": "please see the attached invoice", "ContentType": "text/plain",
            "Attachments": [
                {"FileName": "page.html", "FileType": "text/html",
                 "FileContent": base64.b64encode(b"<h1>EVIL</h1><script>x()</script>").decode()},
                {"FileName": "photo.jpg", "FileType": "image/jpeg",
                 "FileContent": base64.b64encode(b"\xff\xd8" + b"\0" * 200_000).decode()},
            ]})
        resp.raise_for_status()
        tid = str(resp.json()["id"])
    ticket = await helpdesk.get_ticket(TicketId(tid))
    first = ticket.messages[0]
    assert first.body.strip() == "please see the attached invoice"  # the .html file did not replace it
    assert [(a.name, a.content_type) for a in first.attachments] == [("page.html", "text/html"),
                                                                     ("photo.jpg", "image/jpeg")]
    assert first.attachments[1].size > 190_000
    from assist.render import thread_html

    html = thread_html(ticket)
    assert "page.html" in html and "EVIL" not in html and "<script" not in html

    # opened on request: the bytes as uploaded, and only for this ticket's own files
    data = await helpdesk.fetch_attachment(TicketId(tid), first.attachments[0].id)
    assert data == b"<h1>EVIL</h1><script>x()</script>"
    other = _create(rt_env, f"other {tag}", "unrelated", f"o{tag}@example.com")
    with pytest.raises(TicketNotFoundError, match="not part of ticket"):
        await helpdesk.fetch_attachment(TicketId(other), first.attachments[0].id)


async def test_a_login_named_requester_is_read_by_email_address_and_real_name(rt_env, helpdesk) -> None:
    """Issue 24: REST2 names users by Name; on an SSO/LDAP site that is a login ("kim.lee"), not an address.
    The requester's email (CRM lookup, action ownership) is the user's EmailAddress, the greeting its RealName."""
    tag = uuid.uuid4().hex[:8]
    login, address = f"kim.lee.{tag}", f"kim.lee.{tag}@corp.example"
    with _rt(rt_env) as rt:
        made = rt.post("/user", json={"Name": login, "EmailAddress": address, "RealName": "Kim Lee",
                                      "Privileged": 1})
        assert made.status_code == 201, made.text
    tid = _create(rt_env, f"laptop dock {tag}", "my dock stopped charging", login)
    with _rt(rt_env) as rt:  # RT's own view: the requester is referenced by the login, not the address
        assert rt.get(f"/ticket/{tid}").json()["Requestor"][0]["id"] == login
    ticket = await helpdesk.get_ticket(TicketId(tid))
    assert ticket.requester_email == address
    assert ticket.requester_name == "Kim Lee"
    assert ticket.messages[0].author == "Kim Lee"
    seen: list[str] = []
    await helpdesk.get_ticket(TicketId(tid), seen.append)
    assert seen == [address]  # the CRM is asked about the address, never the login


async def test_history_lists_resolved_and_rejected_tickets_by_ticketsql(rt_env) -> None:
    """Issue 24: history is read by TicketSQL (ids only, newest first), not by paging the agent's queue."""
    tag = uuid.uuid4().hex[:8]
    made = [_create(rt_env, f"history {tag} {i}", "body", f"h{tag}@example.com") for i in range(3)]
    with _rt(rt_env) as rt:
        for tid, status in ((made[0], "resolved"), (made[1], "rejected")):
            assert rt.put(f"/ticket/{tid}", json={"Status": status}).status_code == 200
    hd = RequestTrackerHelpdesk(rt_env["RT_URL"], rt_env["RT_TOKEN"], queue_sql=f"Subject LIKE 'history {tag}'")
    try:
        ids, note = await hd.history_ids(10)
        assert set(ids) == {made[0], made[1]} and "2 resolved or rejected" in note
        ids, note = await hd.history_ids(1)
        assert len(ids) == 1 and note == ""
    finally:
        await hd.aclose()
