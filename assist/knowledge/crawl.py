"""A polite crawler for help centers that only goes where it was sent.

Fetches a list of URLs or every URL of a sitemap (and one level of sitemap index), only on the hosts
the user named; robots.txt respected, rate-limited, bounded. Used only when the user asks to ingest a
URL. The address policy (the crawler is a way into the agent's network, so it is strict):

- only the host(s) the user named (scheme, host and port), never a sitemap entry or redirect elsewhere;
- after DNS, a name that resolves to a loopback, private, link-local (cloud metadata), multicast or
  reserved address is refused, unless the user named such a host explicitly (an IP literal,
  ``localhost``, or an intranet-style name: one label, ``.local``, ``.internal``, ``.lan``, ``.corp``,
  ``.home.arpa``);
- redirects are followed by hand (at most five), each hop checked the same way;
- bodies are streamed and decompressed with a byte cap that applies while decompressing (a gzip bomb
  stops at the cap), and every request has a total deadline (a server sending a byte a second is cut).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from assist.net import describe

USER_AGENT = "AssistKB/0.1 (+knowledge-base ingest)"
_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)
_INTRANET = (".local", ".internal", ".lan", ".corp", ".home.arpa", ".localhost")
MAX_REDIRECTS = 5

Resolver = Callable[[str], Awaitable[list[str]]]


class Refused(Exception):
    """The address policy refused a URL; ``str()`` says why, for the ingest report."""


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Skipped:
    url: str
    reason: str


async def system_resolver(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _inside(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified)


def _explicitly_internal(host: str) -> bool:
    """A host whose name already says it is on this machine or the local network."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    return host == "localhost" or "." not in host or host.endswith(_INTRANET)


class AddressPolicy:
    """Which URLs the crawler may request: the named origins, resolved to addresses it may reach."""

    def __init__(self, named: list[str], resolver: Resolver = system_resolver) -> None:
        self.origins = {_origin(u) for u in named if urlsplit(u).scheme in ("http", "https")}
        self._resolver = resolver
        self._checked: dict[str, str] = {}  # host -> '' allowed, else why not

    async def check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise Refused("not an http(s) URL")
        if _origin(url) not in self.origins:
            named = ", ".join(sorted(o.split("://", 1)[1] for o in self.origins))
            raise Refused(f"other host (only {named} is crawled)")
        host = (parts.hostname or "").lower()
        if host not in self._checked:
            self._checked[host] = await self._verdict(host)
        if self._checked[host]:
            raise Refused(self._checked[host])

    async def _verdict(self, host: str) -> str:
        if _explicitly_internal(host):
            return ""  # the user named it: an intranet help center is theirs to crawl
        try:
            addresses = await self._resolver(host)
        except OSError as exc:
            return f"{host} could not be resolved ({exc})"
        inside = [a for a in addresses if _inside(a)]
        if inside:
            return (f"{host} resolves to a private or local address ({inside[0]}): refused. Name that address "
                    "itself if an internal server is really meant.")
        return ""


class _TooLarge(Exception):
    pass


def _decoder(encoding: str) -> zlib._Decompress | None:
    encoding = encoding.lower().strip()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise Refused(f"unsupported content encoding {encoding!r}")


class Crawler:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        policy: AddressPolicy | None = None,
        min_interval: float = 0.5,
        max_pages: int = 2000,
        max_bytes: int = 5_000_000,
        deadline_s: float = 30.0,
    ) -> None:
        self._client = client
        self._policy = policy
        self._min_interval = min_interval
        self._max_pages = max_pages
        self._max_bytes = max_bytes
        self._deadline = deadline_s
        self._last = 0.0
        self._robots: dict[str, RobotFileParser] = {}

    def policy_for(self, urls: list[str]) -> AddressPolicy:
        if self._policy is None:
            self._policy = AddressPolicy(urls)
        return self._policy

    async def _read(self, url: str) -> tuple[httpx.Response, bytes]:
        """One request, body decoded under the byte cap."""
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
        async with self._client.stream("GET", url, headers=headers, follow_redirects=False) as resp:
            if resp.is_redirect:
                return resp, b""
            decoder = _decoder(resp.headers.get("content-encoding", ""))
            out = bytearray()
            async for raw in resp.aiter_raw():
                if decoder is None:
                    out += raw
                else:
                    data = raw
                    while data:
                        out += decoder.decompress(data, self._max_bytes + 1 - len(out))
                        data = decoder.unconsumed_tail
                        if len(out) > self._max_bytes:
                            break
                if len(out) > self._max_bytes:
                    raise _TooLarge
            return resp, bytes(out)

    async def _get(self, url: str) -> tuple[httpx.Response, bytes]:
        """GET with the address policy on every hop, a total deadline and the byte cap."""
        policy = self.policy_for([url])
        wait = self._last + self._min_interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last = time.monotonic()
        async with asyncio.timeout(self._deadline):
            for _ in range(MAX_REDIRECTS + 1):
                await policy.check(url)
                resp, body = await self._read(url)
                if not resp.is_redirect:
                    return resp, body
                target = urljoin(url, resp.headers.get("location", ""))
                try:
                    await policy.check(target)
                except Refused as exc:
                    raise Refused(f"redirected to {urlsplit(target).netloc}: {exc}") from None
                url = target
        raise Refused("too many redirects")

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._robots.get(origin)
        if parser is None:
            parser = RobotFileParser()
            try:
                resp, body = await self._get(origin + "/robots.txt")
                if resp.status_code in (401, 403):
                    parser.disallow_all = True  # type: ignore[attr-defined]
                elif resp.status_code >= 400:
                    parser.allow_all = True  # type: ignore[attr-defined]
                else:
                    parser.parse(body.decode("utf-8", "replace").splitlines())
            except (httpx.HTTPError, Refused, _TooLarge, TimeoutError):
                parser.allow_all = True  # type: ignore[attr-defined]  # unreachable: the pages will tell
            self._robots[origin] = parser
        return parser.can_fetch(USER_AGENT, url)

    async def sitemap_urls(self, sitemap_url: str) -> list[str]:
        """The page URLs a sitemap lists (entries on other hosts are dropped later, by the policy)."""
        self.policy_for([sitemap_url])
        try:
            resp, body = await self._get(sitemap_url)
        except (Refused, _TooLarge, TimeoutError) as exc:
            raise httpx.HTTPError(str(exc) or "timed out") from exc
        resp.raise_for_status()
        text = body.decode("utf-8", "replace")
        locs = _LOC.findall(text)
        urls: list[str] = []
        if "<sitemapindex" in text:
            for child in locs:
                try:
                    child_resp, child_body = await self._get(urljoin(sitemap_url, child))
                except (Refused, _TooLarge, TimeoutError, httpx.HTTPError):
                    continue
                if child_resp.is_success:
                    urls += _LOC.findall(child_body.decode("utf-8", "replace"))
        else:
            urls = locs
        return [urljoin(sitemap_url, u) for u in urls]

    async def fetch(self, urls: list[str]) -> AsyncIterator[Fetched | Skipped]:
        if not urls:
            return
        policy = self.policy_for(urls)
        seen: set[str] = set()
        for url in urls:
            if url in seen:
                continue
            seen.add(url)
            if len(seen) > self._max_pages:
                yield Skipped(url, f"page limit ({self._max_pages}) reached")
                continue
            try:
                await policy.check(url)
            except Refused as exc:
                yield Skipped(url, str(exc))
                continue
            if not await self.allowed(url):
                yield Skipped(url, "blocked by robots.txt")
                continue
            try:
                resp, body = await self._get(url)
            except Refused as exc:
                yield Skipped(url, str(exc))
                continue
            except _TooLarge:
                yield Skipped(url, f"page too large (over {self._max_bytes // 1_000_000} MB)")
                continue
            except (httpx.TimeoutException, TimeoutError):
                yield Skipped(url, "timed out")
                continue
            except httpx.HTTPError as exc:
                yield Skipped(url, describe(exc, urlsplit(url).hostname or "the site", url))
                continue
            if not resp.is_success:
                yield Skipped(url, f"HTTP {resp.status_code}")
                continue
            yield Fetched(str(resp.url), resp.headers.get("content-type", ""), body)
