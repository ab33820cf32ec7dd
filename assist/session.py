"""The session: what the UI (and CLI) call. Wires a workspace's helpdesk, CRM and journal together.

Views never talk to connectors directly; they call these coroutines and render the dataclasses.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from assist.crm.base import CRM
from assist.crm.demo import DemoCRM
from assist.db import SqliteWorker
from assist.demo import seed
from assist.domain import (
    Customer,
    DraftRecord,
    QueueFilter,
    Ticket,
    TicketContext,
    TicketId,
    TicketSummary,
)
from assist.errors import AssistError
from assist.helpdesk.base import Helpdesk
from assist.helpdesk.demo import DemoHelpdesk
from assist.journal import Journal
from assist.paths import Paths, resources_dir
from assist.secrets import SecretStore
from assist.settings import Settings


@dataclass
class Session:
    settings: Settings
    paths: Paths
    helpdesk: Helpdesk
    crm: CRM
    journal: Journal
    secrets: SecretStore
    workspace: str

    async def queue(self, flt: QueueFilter) -> list[TicketSummary]:
        return await self.helpdesk.list_queue(flt, limit=self.settings.ui.queue_limit)

    async def _customer(self, email: str) -> tuple[Customer | None, str]:
        try:
            return await self.crm.get_customer(email), ""
        except AssistError as exc:  # the thread is still worth showing without context
            return None, str(exc)

    async def open_ticket(
        self, ticket_id: TicketId, requester_email: str | None = None
    ) -> TicketContext:
        """Fetch thread and customer concurrently when the requester is known from the queue."""
        if requester_email:
            ticket, (customer, error) = await asyncio.gather(
                self.helpdesk.get_ticket(ticket_id), self._customer(requester_email)
            )
            if ticket.requester_email.lower() != requester_email.lower():
                customer, error = await self._customer(ticket.requester_email)
        else:
            ticket = await self.helpdesk.get_ticket(ticket_id)
            customer, error = await self._customer(ticket.requester_email)
        return TicketContext(ticket, customer, error)

    async def load_draft(self, ticket_id: TicketId) -> DraftRecord | None:
        return await self.journal.load_draft(ticket_id)

    async def save_draft(self, ticket_id: TicketId, body: str) -> None:
        await self.journal.save_draft(ticket_id, body)

    async def send(self, ticket_id: TicketId, body: str, *, public: bool) -> Ticket:
        """Post a reply or note; on success the draft is cleared and the fresh thread returned."""
        if not body.strip():
            raise AssistError("The draft is empty: there is nothing to send.")
        await self.helpdesk.post_reply(
            ticket_id, body, public=public, author=self.settings.agent.name
        )
        await self.journal.record_sent(
            ticket_id, "reply" if public else "note", body, self.settings.agent.name
        )
        return await self.helpdesk.get_ticket(ticket_id)

    async def aclose(self) -> None:
        await self.helpdesk.aclose()
        await self.crm.aclose()
        self.journal.close()


def open_demo_workspace(paths: Paths) -> tuple[DemoHelpdesk, DemoCRM, SqliteWorker]:
    seed_dir = resources_dir() / "demo"
    worker = SqliteWorker(
        paths.workspace_dir("demo") / "demo.db", init=lambda conn: seed(conn, seed_dir)
    )
    return DemoHelpdesk(worker), DemoCRM(worker), worker


def build_session(paths: Paths, settings: Settings, secrets: SecretStore) -> Session:
    """Create the session for the configured workspace (only the demo one exists so far)."""
    helpdesk, crm, _ = open_demo_workspace(paths)
    journal = Journal(paths.journal_file, workspace=settings.workspace)
    return Session(settings, paths, helpdesk, crm, journal, secrets, settings.workspace)
