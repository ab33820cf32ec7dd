"""A polite crawler for help centers: same host only, robots.txt respected, rate-limited, bounded.

Fetches a list of URLs or every URL of a sitemap (and one level of sitemap index). Never follows links
to other hosts. Used only when the user asks to ingest a URL.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

USER_AGENT = "AssistKB/0.1 (+knowledge-base ingest)"
_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Skipped:
    url: str
    reason: str


class Crawler:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        min_interval: float = 0.5,
        max_pages: int = 2000,
        max_bytes: int = 5_000_000,
    ) -> None:
        self._client = client
        self._min_interval = min_interval
        self._max_pages = max_pages
        self._max_bytes = max_bytes
        self._last = 0.0
        self._robots: dict[str, RobotFileParser] = {}

    async def _get(self, url: str) -> httpx.Response:
        wait = self._last + self._min_interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last = time.monotonic()
        return await self._client.get(url, headers={"User-Agent": USER_AGENT}, follow_redirects=True)

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._robots.get(origin)
        if parser is None:
            parser = RobotFileParser()
            try:
                resp = await self._get(origin + "/robots.txt")
                if resp.status_code in (401, 403):
                    parser.disallow_all = True  # type: ignore[attr-defined]
                elif resp.status_code >= 400:
                    parser.allow_all = True  # type: ignore[attr-defined]
                else:
                    parser.parse(resp.text.splitlines())
            except httpx.HTTPError:
                parser.allow_all = True  # type: ignore[attr-defined]  # no robots.txt reachable: the pages themselves will tell
            self._robots[origin] = parser
        return parser.can_fetch(USER_AGENT, url)

    async def sitemap_urls(self, sitemap_url: str) -> list[str]:
        host = urlsplit(sitemap_url).netloc
        resp = await self._get(sitemap_url)
        resp.raise_for_status()
        locs = _LOC.findall(resp.text)
        urls: list[str] = []
        if "<sitemapindex" in resp.text:
            for child in locs:
                if urlsplit(child).netloc == host:
                    child_resp = await self._get(child)
                    if child_resp.is_success:
                        urls += _LOC.findall(child_resp.text)
        else:
            urls = locs
        return [urljoin(sitemap_url, u) for u in urls]

    async def fetch(self, urls: list[str]) -> AsyncIterator[Fetched | Skipped]:
        if not urls:
            return
        host = urlsplit(urls[0]).netloc
        seen: set[str] = set()
        for url in urls:
            if url in seen:
                continue
            seen.add(url)
            if len(seen) > self._max_pages:
                yield Skipped(url, f"page limit ({self._max_pages}) reached")
                continue
            if urlsplit(url).scheme not in ("http", "https"):
                yield Skipped(url, "not an http(s) URL")
                continue
            if urlsplit(url).netloc != host:
                yield Skipped(url, f"other host (only {host} is crawled)")
                continue
            if not await self.allowed(url):
                yield Skipped(url, "blocked by robots.txt")
                continue
            try:
                resp = await self._get(url)
            except httpx.TimeoutException:
                yield Skipped(url, "timed out")
                continue
            except httpx.HTTPError as exc:
                yield Skipped(url, f"could not connect ({type(exc).__name__})")
                continue
            if not resp.is_success:
                yield Skipped(url, f"HTTP {resp.status_code}")
                continue
            if urlsplit(str(resp.url)).netloc != host:
                yield Skipped(url, "redirected to another host")
                continue
            if len(resp.content) > self._max_bytes:
                yield Skipped(url, "page too large")
                continue
            yield Fetched(str(resp.url), resp.headers.get("content-type", ""), resp.content)
