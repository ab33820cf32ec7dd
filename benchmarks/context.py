"""Ticket open -> thread, customer and saved draft shown, with connector latencies injected.

Two paths: from the queue (the requester is known: both fetches start at once) and by id (Ctrl+K, a
pasted URL: the requester is known only once the helpdesk answers). The by-id path runs the real
Zendesk connector over httpx with a latency on every request (ticket, comments pages, users), the way
a real helpdesk costs, and the CRM with its own latency.

Target: total <= 1.2 x the slowest single fetch (the fetches overlap, not one after another).
Baseline in the same run: each fetch timed alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
from _common import median, private_dirs

from assist.domain import QueueFilter, TicketId
from assist.paths import Paths
from assist.secrets import SecretStore
from assist.settings import Settings
from assist.workspace import build_session

HELPDESK_S, CRM_S = 0.30, 0.20
REQUEST_S = 0.10  # each Zendesk request on the by-id path


class Slow:
    """Wraps a connector and adds a network-like delay to each call."""

    def __init__(self, inner, delay: float) -> None:
        self._inner, self._delay, self.name = inner, delay, inner.name

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if not asyncio.iscoroutinefunction(attr):
            return attr

        async def slowed(*args, **kwargs):
            await asyncio.sleep(self._delay)
            return await attr(*args, **kwargs)

        return slowed


async def measure(session, ticket_id: str, email: str, opened: Callable[[], Awaitable[object]]
                  ) -> tuple[float, float]:
    """(slowest single fetch, the open as the window does it): each fetch timed alone, then together."""
    t = time.perf_counter()
    await session.helpdesk.get_ticket(TicketId(ticket_id))
    single_h = time.perf_counter() - t
    t = time.perf_counter()
    await session.crm.get_customer(email)
    single_c = time.perf_counter() - t
    t = time.perf_counter()
    await opened()
    return max(single_h, single_c), time.perf_counter() - t


def verdict(label: str, pairs: list[tuple[float, float]]) -> None:
    single, total = median([p[0] for p in pairs]), median([p[1] for p in pairs])
    print(f"{label}: total {total * 1000:.0f} ms, slowest single fetch {single * 1000:.0f} ms, "
          f"ratio {total / single:.2f}x   target <= 1.2x: {'met' if total / single <= 1.2 else 'NOT met'}")


async def main() -> None:
    private_dirs()
    session = build_session(Paths.default(), Settings(), SecretStore())
    await session.prepare()
    queue = await session.queue(QueueFilter())
    session.helpdesk = Slow(session.helpdesk, HELPDESK_S)
    session.crm = Slow(session.crm, CRM_S)
    pairs = []
    for s in queue[:10]:
        pairs.append(await measure(session, s.id, s.requester_email, lambda s=s: asyncio.gather(
            session.open_ticket(TicketId(s.id), s.requester_email), session.load_draft(TicketId(s.id)))))
    verdict(f"ticket open from the queue, helpdesk {HELPDESK_S * 1000:.0f} ms and CRM {CRM_S * 1000:.0f} ms "
            "injected", pairs)

    from tests.unit.assist.test_connectors import zendesk_handler  # the strict Zendesk double

    handler = zendesk_handler([])

    async def slow(req: httpx.Request) -> httpx.Response:
        await asyncio.sleep(REQUEST_S)
        return handler(req)

    from assist.helpdesk.zendesk import ZendeskHelpdesk

    session.helpdesk = ZendeskHelpdesk("https://acme.zendesk.com", "sam@acme.com", "tok",
                                       client=httpx.AsyncClient(transport=httpx.MockTransport(slow)))
    email = (await session.helpdesk.get_ticket(TicketId("1001"))).requester_email
    pairs = [await measure(session, "1001", email, lambda: session.open_ticket(TicketId("1001"))) for _ in range(5)]
    await session.aclose()
    verdict(f"ticket open by id (Zendesk, {REQUEST_S * 1000:.0f} ms a request; CRM {CRM_S * 1000:.0f} ms)", pairs)


if __name__ == "__main__":
    asyncio.run(main())
