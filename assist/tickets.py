"""Opening a ticket: its thread from the helpdesk and its customer from the CRM, side by side.

When the queue names the requester both are fetched at once; opened by id, the customer is fetched as soon as
the connector's first answer names them. A CRM failure still shows the thread (with the reason); a connector
answer Assist can't read is one ConnectorUnavailableError, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging

from assist.crm.base import CRM
from assist.domain import Customer, TicketContext, TicketId
from assist.errors import AssistError, ConnectorUnavailableError
from assist.helpdesk.base import Helpdesk

log = logging.getLogger(__name__)


async def _customer(crm: CRM, email: str) -> tuple[Customer | None, str]:
    try:
        return await crm.get_customer(email), ""
    except AssistError as exc:  # the thread is still worth showing without context
        return None, str(exc)


async def open_context(helpdesk: Helpdesk, crm: CRM, ticket_id: TicketId, requester_email: str | None = None
                       ) -> TicketContext:
    """Fetch thread and customer concurrently when the requester is known from the queue.

    A connector that meets an answer it can't read (a field of the wrong type, a missing key) says
    so as one ConnectorError, never a traceback: the agent can retry or open the ticket in the helpdesk.
    """
    try:
        return await _open(helpdesk, crm, ticket_id, requester_email)
    except AssistError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
        log.exception("Unreadable ticket #%s from %s", ticket_id, helpdesk.name)
        raise ConnectorUnavailableError(
            f"{helpdesk.name} sent ticket #{ticket_id} in a shape Assist couldn't read "
            f"({type(exc).__name__}). Open it in the helpdesk; the details are in the log.") from exc


async def _open(helpdesk: Helpdesk, crm: CRM, ticket_id: TicketId, requester_email: str | None) -> TicketContext:
    if requester_email:
        ticket, (customer, error) = await asyncio.gather(
            helpdesk.get_ticket(ticket_id), _customer(crm, requester_email)
        )
        if ticket.requester_email.lower() != requester_email.lower():
            customer, error = await _customer(crm, ticket.requester_email)
    else:
        # Opened by id (Ctrl+K, a pasted URL): the connector names the requester as soon as its first
        # request answers, and the customer is fetched while the rest of the thread loads.
        early: dict[str, asyncio.Future[tuple[Customer | None, str]]] = {}  # the first email named

        def known(email: str) -> None:
            if email and not early:
                early[email.lower()] = asyncio.ensure_future(_customer(crm, email))

        try:
            ticket = await helpdesk.get_ticket(ticket_id, on_requester=known)
            mine = early.pop(ticket.requester_email.lower(), None)
        finally:
            for other in early.values():  # the ticket failed, or it names someone else after all
                other.cancel()
        customer, error = await mine if mine is not None else await _customer(crm, ticket.requester_email)
    return TicketContext(ticket, customer, error)
