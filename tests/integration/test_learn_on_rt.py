"""A team on a real Request Tracker learns from its own solved tickets (issue 13).

A few hundred resolved tickets of a mobile provider (not the demo shop) are created through RT's REST
API, each tagged with the intent its agent chose ("intent-roaming_charges"). ``assist learn`` pulls them
from RT with the lead's label field, trains, and new tickets are routed into the team's own intents:
through ``assist route`` and in the window.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from argparse import Namespace

import httpx
import pytest

from assist import taxonomy as taxonomies
from assist.cli.learn import learn
from assist.cli.route import route_jsonl
from assist.settings import HelpdeskSettings, Settings, WorkspaceSettings, save_settings
from tests.support_corpus import generate

INTENTS = 10
PER_INTENT = 30


async def _seed(env: dict[str, str], run: str) -> list:
    rows = [r for r in generate(INTENTS * PER_INTENT * 2, seed=5, intents=INTENTS)][: INTENTS * PER_INTENT]
    sem = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=env["RT_URL"] + "/REST/2.0", timeout=60,
                                 headers={"Authorization": f"token {env['RT_TOKEN']}"}) as rt:
        async def one(n: int, r) -> None:  # type: ignore[no-untyped-def]
            async with sem:
                resp = await rt.post("/ticket", json={
                    "Queue": "General", "Subject": r.subject, "Requestor": f"cust{n % 12}@example.net",
                    "Content": r.body, "ContentType": "text/plain", "Status": "resolved",
                    "CustomFields": {"Tags": [f"intent-{r.label}", f"run-{run}"]}})
                resp.raise_for_status()

        await asyncio.gather(*(one(n, r) for n, r in enumerate(rows)))
    return rows


@pytest.fixture
def rt_team(rt_env, paths, secrets, loop):
    run = uuid.uuid4().hex[:8]
    rows = loop.run_until_complete(_seed(rt_env, run))
    settings = Settings()
    settings.workspaces["rt"] = WorkspaceSettings(helpdesk=HelpdeskSettings(
        kind="request_tracker", url=rt_env["RT_URL"], queue=f"Queue = 'General' AND 'CF.{{Tags}}' = 'run-{run}'"))
    settings.workspaces["rt"].crm.kind = "helpdesk"
    save_settings(settings, paths.config_file)
    secrets.set("rt:helpdesk-token", rt_env["RT_TOKEN"])
    return run, rows, settings


@pytest.mark.timeout(400)
def test_a_team_on_request_tracker_learns_its_intents_and_routes_new_tickets(
        rt_env, rt_team, paths, secrets, loop, capsys, open_window, make_session, run_until) -> None:
    run, rows, settings = rt_team
    args = Namespace(workspace="rt", from_helpdesk=True, tickets=None, last=1000, label_field="tags:intent-",
                     report=None, accept=False)
    assert loop.run_until_complete(learn(paths, args, secrets)) == 0
    out = capsys.readouterr().out
    assert f"rt: {len(rows)} tickets of history, {len(rows)} labelled" in out
    assert "<- kept" in out
    tax = taxonomies.load(paths.config_dir / "workspaces" / "rt" / "taxonomy.toml")
    assert set(tax.names) == {r.label for r in rows}  # the team's own intents, no demo ones

    new = [{"id": "n1", "subject": "abroad", "body": "do i need to switch on roaming before i go to france"},
           {"id": "n2", "subject": "help", "body": "please move my number over from my old network, i have my pac"},
           {"id": "n3", "subject": "sim", "body": "the new sim says not provisioned, no service since yesterday"}]
    routed = io.StringIO()
    assert route_jsonl(paths, Namespace(workspace="rt"), io.StringIO("\n".join(json.dumps(x) for x in new)),
                       routed) == 0
    intents = [json.loads(line)["intent"] for line in routed.getvalue().splitlines()]
    assert intents == ["roaming", "port_number", "sim_activation"]

    # in the window: a new customer ticket on RT is routed into the team's intent
    with httpx.Client(base_url=rt_env["RT_URL"] + "/REST/2.0",
                      headers={"Authorization": f"token {rt_env['RT_TOKEN']}"}) as rt:
        resp = rt.post("/ticket", json={"Queue": "General", "Subject": "roaming", "Requestor": "new@example.net",
                                        "Content": "i have no data in italy even though roaming is switched on",
                                        "ContentType": "text/plain", "CustomFields": {"Tags": [f"run-{run}"]}})
        resp.raise_for_status()
        tid = str(resp.json()["id"])
    settings.active_workspace = "rt"
    window = open_window(make_session(settings))
    window.open_ticket(tid)
    run_until(lambda: window.ticket.loaded == tid and "intent" in window.draft.route_label.text(), timeout=60)
    assert "intent Roaming" in window.draft.route_label.text()
