"""The one HTTP layer: how Assist builds clients and names network failures, for the connectors, the
action executor and the knowledge-base crawler alike.

- ``make_client``: explicit timeouts (connect capped at 5 s), no redirects followed implicitly, one
  User-Agent. Callers keep the client for the life of their connector, executor or ingest (one
  connection pool and one SSL context per host, not one per request).
- ``describe``: a transport failure in words an agent can act on (DNS, TLS, refused, timeout).
- ``retry_after``: both forms RFC 9110 allows.
- ``connector``: the base of every helpdesk and CRM connector on top of these (``HttpConnector``: tenacity
  retries, Retry-After on 429, every failure one ConnectorError saying what to do).
"""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from assist import __version__

USER_AGENT = f"Assist/{__version__} (agent-assist desktop)"


def make_client(timeout: float, *, keepalive: bool = True) -> httpx.AsyncClient:
    """A client with Assist's defaults. ``keepalive=False`` for rare callers (approvals) whose client may
    outlive its event loop: nothing stays open between requests."""
    limits = httpx.Limits() if keepalive else httpx.Limits(max_keepalive_connections=0)
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), limits=limits,
                             headers={"User-Agent": USER_AGENT}, follow_redirects=False)


def _causes(exc: BaseException) -> list[BaseException]:
    chain, seen = [], set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        chain.append(node)
        seen.add(id(node))
        node = node.__cause__ or node.__context__
    return chain


def describe(exc: httpx.HTTPError, service: str, url: str) -> str:
    """Name the failure the way an agent can act on it: DNS, TLS, refused, timeout."""
    chain = _causes(exc)
    text = " ".join(str(e).lower() for e in chain)
    host = httpx.URL(url).host if url else ""
    if isinstance(exc, httpx.TimeoutException):
        return f"{service} did not answer in time ({host}). Check your connection or try again."
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "connection refused" in text:
        return f"{host} refused the connection. Is {service} running at that address?"
    if any(isinstance(e, ssl.SSLError) for e in chain) or "certificate" in text or "ssl" in text:
        return f"The secure connection to {host} failed (TLS). Check the URL and its certificate."
    dns = ("name or service not known", "nodename nor servname", "getaddrinfo", "name resolution",
           "no address associated")
    if any(isinstance(e, socket.gaierror) for e in chain) or any(d in text for d in dns):
        return f"Couldn't find {host} (DNS lookup failed). Check the {service} URL or subdomain in Settings."
    if isinstance(exc, httpx.ConnectError):
        return f"Couldn't connect to {service} at {host}: {str(exc)[:160]}"
    return f"{service} request failed: {type(exc).__name__}: {str(exc)[:160]}"


def retry_after(value: str | None, now: datetime | None = None) -> float:
    """Seconds to wait from a Retry-After header, in either form RFC 9110 allows: delay-seconds
    ("120") or an HTTP date ("Wed, 25 Nov 2026 16:00:00 GMT"). Missing or unreadable: 1 s."""
    if not value:
        return 1.0
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return 1.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


