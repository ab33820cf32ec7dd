"""HTTP plumbing for helpdesk and CRM connectors on top of ``assist.net`` (the one HTTP layer):
Retry-After on 429, and every failure translated into a ConnectorError whose message says what
failed and what to do.

The same translation answers "Test connection", so Settings can say exactly what went wrong:
DNS, TLS, refused connection, timeout, 401, 403, 404 (wrong subdomain or URL), 429, 5xx, bad JSON.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from assist.errors import ConnectorAuthError, ConnectorError, ConnectorUnavailableError, TicketNotFoundError
from assist.net import describe as describe_transport_error
from assist.net import make_client, retry_after

__all__ = ["HttpConnector", "describe_transport_error", "expect", "field", "iso_time", "retry_after",
           "ticket_id_in"]

MAX_RETRY_AFTER_S = 10.0


class _Again(Exception):
    """A failure worth another try after ``wait`` seconds; ``error`` is what the agent sees if none is left."""

    def __init__(self, error: ConnectorError, wait: float) -> None:
        self.error = error
        self.wait = wait


def _wait_asked(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    return max(exc.wait, 0.0) if isinstance(exc, _Again) else 0.5


log = logging.getLogger(__name__)


class HttpConnector:
    """Base for helpdesk and CRM connectors that speak JSON over HTTP."""

    service = "the service"

    def __init__(self, base_url: str, *, client: httpx.AsyncClient | None = None, timeout: float = 15.0,
                 auth: httpx.Auth | tuple[str, str] | None = None, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._owns_client = client is None
        self._client = client or make_client(timeout)
        self._auth = auth
        self._headers = {"Accept": "application/json", **(headers or {})}
        self.missing_credentials = ""  # set when no token is configured: every request says so, none is sent
        self._paced: dict[str, float] = {}  # endpoint -> when it was last called (``paced``)

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      json: Any = None, ticket_id: str = "", absolute: bool = False,
                      allow: tuple[int, ...] = ()) -> httpx.Response:
        """Send, retrying through tenacity where that is safe: 429 after its Retry-After (bounded), and
        for reads (GET) also timeouts, dropped connections and 502/503/504. Statuses in ``allow`` are
        returned, not raised; anything else becomes a ConnectorError that says what to do."""
        if self.missing_credentials:
            raise ConnectorAuthError(self.missing_credentials)
        url = path if absolute else f"{self.base_url}{path}"
        safe = method in ("GET", "HEAD")

        async def attempt() -> httpx.Response:
            try:
                resp = await self._client.request(method, url, params=params, json=json, auth=self._auth,
                                                  headers=self._headers)
            except httpx.HTTPError as exc:
                error = ConnectorUnavailableError(describe_transport_error(exc, self.service, url))
                if safe and isinstance(exc, httpx.TimeoutException | httpx.ReadError | httpx.RemoteProtocolError):
                    raise _Again(error, 0.5) from exc
                raise error from exc
            if resp.status_code == 429:
                wait = retry_after(resp.headers.get("Retry-After"))
                if wait <= MAX_RETRY_AFTER_S:
                    raise _Again(self._error(resp, ticket_id), wait)
            if safe and resp.status_code in (502, 503, 504):
                raise _Again(self._error(resp, ticket_id), 0.5)
            if resp.status_code not in allow:
                self.raise_for_status(resp, ticket_id)
            return resp

        try:
            async for retry in AsyncRetrying(stop=stop_after_attempt(3), retry=retry_if_exception_type(_Again),
                                             wait=_wait_asked, reraise=True):
                with retry:
                    return await attempt()
        except _Again as exc:
            raise exc.error from exc
        raise AssertionError("unreachable")

    def _error(self, resp: httpx.Response, ticket_id: str) -> ConnectorError:
        try:
            self.raise_for_status(resp, ticket_id)
        except ConnectorError as exc:
            return exc
        return ConnectorUnavailableError(f"{self.service} answered {resp.status_code}.")

    def raise_for_status(self, resp: httpx.Response, ticket_id: str = "") -> None:
        code = resp.status_code
        if code < 400:
            return
        if code == 401:
            raise ConnectorAuthError(f"{self.service}: token rejected — update it in Settings.")
        if code == 403:
            raise ConnectorAuthError(f"{self.service}: permission denied (403). The token works but this account "
                                     "may not read or change that; check its role.")
        if code == 404 and ticket_id:
            raise TicketNotFoundError(f"Ticket #{ticket_id} doesn't exist in {self.service}.")
        if code == 404:
            raise ConnectorError(f"{self.service} answered 404 for {resp.request.url.path}: check the URL or "
                                 "subdomain in Settings.")
        if code == 429:
            raise ConnectorUnavailableError(f"{self.service} is rate-limiting requests (429). Wait a minute, then "
                                            "Retry.")
        if code >= 500:
            raise ConnectorUnavailableError(f"{self.service} had a server error ({code}). Try again shortly.")
        raise ConnectorError(f"{self.service} refused the request ({code}): {resp.text[:200]}")

    async def paced(self, key: str, per_minute: float) -> None:
        """Wait so that requests to one rate-limited endpoint (``key``) stay under ``per_minute``: a history
        import keeps to a vendor's published limit instead of meeting 429s."""
        import asyncio
        import time

        gap = 60.0 / per_minute
        last = self._paced.get(key, 0.0)
        wait = last + gap - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._paced[key] = time.monotonic()

    async def get_json(self, path: str, *, params: dict[str, Any] | None = None, ticket_id: str = "",
                       absolute: bool = False) -> Any:
        resp = await self.request("GET", path, params=params, ticket_id=ticket_id, absolute=absolute)
        return self.parse(resp)

    def parse(self, resp: httpx.Response) -> Any:
        try:
            return resp.json()
        except RecursionError as exc:  # JSON nested thousands deep: Python's parser gives up
            raise ConnectorUnavailableError(
                f"{self.service} answered with JSON nested too deeply to read ({len(resp.content)} bytes). "
                "Nothing was changed; if it persists, tell your helpdesk admin.") from exc
        except ValueError as exc:
            raise ConnectorUnavailableError(
                f"{self.service} answered with malformed JSON (HTTP {resp.status_code}, "
                f"{len(resp.content)} bytes). Try again; if it persists, check the URL in Settings.") from exc

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def iso_time(value: object) -> datetime:
    """An API timestamp ('2026-11-24T10:00:00Z', an RFC 2822 date, epoch seconds). Missing, RT's 1970
    'never' and anything unreadable become the epoch (logged): a bad date never keeps a ticket shut."""
    epoch = datetime.fromtimestamp(0, UTC)
    if value is None or value == "" or (isinstance(value, str) and value.startswith("1970")):
        return epoch
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), UTC)
        text = str(value).strip()
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            dt = parsedate_to_datetime(text)
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    except (ValueError, TypeError, OverflowError, OSError, IndexError):
        log.warning("Unreadable timestamp from a connector: %r", str(value)[:80])
        return epoch


def ticket_id_in(pattern: re.Pattern[str], url: str) -> str | None:
    m = pattern.search(url)
    return m.group(1) if m else None


def field(data: Any, *keys: str, default: Any = None) -> Any:
    """data[k1][k2]... or ``default`` when any level is missing or of the wrong type."""
    node = data
    for k in keys:
        if not isinstance(node, dict) or k not in node:
            return default
        node = node[k]
    return node


def expect(data: Any, kind: type, service: str, what: str) -> Any:
    if not isinstance(data, kind):
        raise ConnectorUnavailableError(f"{service} sent an unexpected answer for {what} (not a JSON "
                                        f"{'object' if kind is dict else 'list'}).")
    return data
