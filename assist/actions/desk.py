"""What the session does around the actions service: starting it on a workspace's catalog (the demo's commerce
API started here), the checks an approval passes before anything runs (the requester now is the one the card
was made for), the note and tags written back to the helpdesk after a run, and the audit trail in sentences."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec.structs import replace

from assist.domain import ActionProposal, AuditEvent, ProposalStatus
from assist.errors import ActionRejectedError, AssistError, WriteBackError

if TYPE_CHECKING:
    from assist.actions.demo_backend import DemoBackend
    from assist.actions.service import ActionService
    from assist.db import SqliteWorker
    from assist.helpdesk.base import Helpdesk
    from assist.journal import Journal
    from assist.secrets import SecretStore
    from assist.settings import ActionsSettings
    from assist.taxonomy import Taxonomy

log = logging.getLogger(__name__)


async def start_actions(catalog_path: Path, base_url: str, taxonomy: Taxonomy, journal: Journal,
                        secrets: SecretStore, demo_db: SqliteWorker | None, demo_file: Path
                        ) -> tuple[ActionService, DemoBackend | None]:
    """The workspace's catalog against its own API; the demo starts its commerce API here."""
    from assist.actions.catalog import load_catalog  # actions load after the first draft's modules
    from assist.actions.demo_backend import DemoBackend
    from assist.actions.executor import Executor
    from assist.actions.service import ActionService
    from assist.actions.store import ProposalStore

    catalog = await asyncio.to_thread(load_catalog, catalog_path)  # jsonschema + parsing: ~110 ms off the loop
    if taxonomy.intents:  # a catalog written for intents this workspace does not have is named, not ignored
        taxonomy.check_names({i for a in catalog.actions.values() for i in a.propose_for},
                             f"{catalog_path} (propose_for)")
    backend = None
    if demo_db is not None:
        await demo_db.run(lambda _conn: None)  # opening the demo file seeds it on first run
        backend = await asyncio.to_thread(DemoBackend, demo_file)
        secrets.provide("demo-actions-token", backend.token)
        base_url = backend.base_url
    if not base_url:
        raise AssistError(f"The actions catalog {catalog_path} needs actions.base_url in this workspace's "
                          "settings.")
    actions = ActionService(catalog, Executor(catalog, base_url, secrets.get), ProposalStore(journal))
    for p in await actions.reconcile():  # runs a crash cut off: re-sent where safe, else "check"
        log.warning("Action %s on #%s was interrupted by a restart: now %s", p.action, p.ticket_id, p.status)
    return actions, backend


async def same_requester(helpdesk: Helpdesk, actions: ActionService, proposal: ActionProposal, agent: str) -> None:
    """The ticket's requester now, re-read from the helpdesk, must be the one the card was made for: a
    requester corrected after the proposal (Maria -> Derek) must not get Maria's order refunded."""
    try:
        current = await helpdesk.get_ticket(proposal.ticket_id)
    except AssistError as exc:
        raise ActionRejectedError(f"Couldn't check who ticket #{proposal.ticket_id}'s requester is now, so "
                                  f"nothing ran: {exc}") from exc
    if current.requester_email.strip().lower() != proposal.requester.strip().lower():
        why = (f"Ticket #{proposal.ticket_id}'s requester changed after this card was proposed: nothing ran. "
               "Open the ticket again for actions for its current requester.")
        await actions.store.finish(proposal.id, ProposalStatus.BLOCKED, why, agent)
        raise ActionRejectedError(why)


async def write_back(helpdesk: Helpdesk, cfg: ActionsSettings, p: ActionProposal, author: str) -> None:
    """An internal note saying what ran, after whose approval, and the workspace's tags."""
    note = (f"Assist: {p.title} ran after approval by {author} "
            f"at {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}.\nResult: {p.result}\n"
            f"Reference: proposal {p.id[:8]}, idempotency key {p.idempotency_key[:12]}")
    try:
        await helpdesk.post_reply(p.ticket_id, note, public=False, author=author)
        if cfg.tag:
            await helpdesk.add_tags(p.ticket_id, (cfg.tag, f"{cfg.tag}-{p.action}"))
    except AssistError as exc:
        raise WriteBackError(f"{p.title} ran ({p.result}), but the note for the helpdesk failed: {exc}") from exc


def history_lines(events: list[AuditEvent], actions: ActionService | None, me: str, shown: str) -> list[str]:
    """The ticket's history as sentences; this desk's own events (``me``) under the name it signs with."""
    from assist.actions.audit import sentence

    catalog = actions.catalog if actions else None

    def title(name: str) -> str:
        action = catalog.get(name) if catalog else None
        return action.title if action else name.replace("_", " ").capitalize()

    named: Callable[[AuditEvent], AuditEvent] = lambda e: replace(e, agent=shown) if e.agent == me else e  # noqa: E731
    return [sentence(named(e), title) for e in events]
