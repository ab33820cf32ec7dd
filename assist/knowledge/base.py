"""``KnowledgeBase``: the async face of the index. All SQLite work runs on its own worker thread."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from assist.db import SqliteWorker
from assist.domain import Source
from assist.errors import KnowledgeBaseError
from assist.knowledge.index import KnowledgeIndex
from assist.knowledge.ingest import (
    IngestProgress,
    IngestReport,
    Progress,
    collect_files,
    ingest_files,
    parse,
    store,
)

if TYPE_CHECKING:
    import httpx

    from assist.knowledge.crawl import Resolver

log = logging.getLogger(__name__)


class KnowledgeBase:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.resolver: Resolver | None = None  # DNS for the crawler's address policy (tests put a stub here)
        self._index: KnowledgeIndex | None = None
        self._db = SqliteWorker(path, init=self._open)
        self._upkeep: asyncio.Task[None] | None = None
        self._closed = False

    def _open(self, conn: sqlite3.Connection) -> None:
        self._index = KnowledgeIndex(conn)

    def _idx(self, _conn: sqlite3.Connection) -> KnowledgeIndex:
        assert self._index is not None
        return self._index

    async def search(self, text: str, k: int = 5) -> list[Source]:
        def run(c: sqlite3.Connection) -> tuple[list[Source], bool]:
            index = self._idx(c)
            return index.search(text, k), index.needs_maintenance()

        found, upkeep = await self._db.run(run)
        if upkeep:
            self._maintain_soon()
        return found

    def _maintain_soon(self) -> None:
        """Merge and (re)index in the background, a slice per worker call: searches queued meanwhile
        run between slices, answered by the index as it stands."""
        if self._closed or (self._upkeep is not None and not self._upkeep.done()):
            return
        self._upkeep = asyncio.get_running_loop().create_task(self._maintain())

    async def _maintain(self) -> None:
        try:
            while not self._closed and not await self._db.run(lambda c: self._idx(c).maintenance_step()):
                await asyncio.sleep(0)
        except Exception:  # upkeep is retried on the next search; a failure never reaches the agent
            if not self._closed:
                log.warning("knowledge index upkeep failed", exc_info=True)

    async def maintained(self) -> None:
        """Wait for the index's upkeep to finish (tests, benchmarks, the command line)."""
        await self._db.run(lambda c: self._idx(c).maintain())

    async def warm(self) -> None:
        """Load the index's in-memory figures now (300k passages: ~0.35 s on the worker), so the first
        search (the session's first draft) does not wait for them."""
        await self._db.run(lambda c: self._idx(c).figures())

    async def get(self, chunk_id: str) -> Source | None:
        return await self._db.run(lambda c: self._idx(c).get(chunk_id))

    async def sections(self, doc_id: str) -> list[Source]:
        return await self._db.run(lambda c: self._idx(c).sections(doc_id))

    async def stats(self) -> tuple[int, int]:
        return await self._db.run(lambda c: self._idx(c).stats())


    def ingest_folder_sync(
        self, folder: Path, *, id_prefix: str, progress: Progress | None = None
    ) -> IngestReport:
        files = collect_files(folder)

        def run(c: sqlite3.Connection) -> IngestReport:
            report = ingest_files(self._idx(c), files, id_prefix=id_prefix, root=folder, progress=progress)
            self._idx(c).maintain()
            return report

        return self._db.call(run)

    async def ingest_folder(self, folder: Path, *, id_prefix: str) -> IngestReport:
        """Ingest a folder with ids relative to it (stable across machines: the demo KB)."""
        files = collect_files(folder)
        report = await self._db.run(
            lambda c: ingest_files(self._idx(c), files, id_prefix=id_prefix, root=folder)
        )
        self._maintain_soon()
        return report

    async def ingest(
        self,
        targets: list[str],
        progress: Progress | None = None,
        client: httpx.AsyncClient | None = None,
        min_interval: float = 0.5,
    ) -> IngestReport:
        """Ingest paths (files or folders), page URLs, or sitemap URLs; progress is called on the loop."""
        loop = asyncio.get_running_loop()

        def on_loop(p: IngestProgress) -> None:
            if progress is not None:
                loop.call_soon_threadsafe(progress, p)

        report = IngestReport()
        urls = [t for t in targets if urlsplit(t).scheme in ("http", "https")]
        for target in targets:
            if target in urls:
                continue
            path = Path(target).expanduser()
            if not path.exists():
                raise KnowledgeBaseError(f"Nothing to ingest at {path}: no such file or folder.")
            files = collect_files(path)
            if not files:
                raise KnowledgeBaseError(
                    f"No Markdown, HTML, PDF, text or JSON export files found in {path}."
                )
            part = await self._db.run(
                lambda c, files=files: ingest_files(self._idx(c), files, progress=on_loop)
            )
            report.merge(part)
        if urls:
            owns = client is None
            from assist.net import make_client  # httpx and the crawler load when a URL is ingested

            http = client or make_client(15.0)
            try:
                report.merge(await self._ingest_urls(http, urls, on_loop, min_interval))
            finally:
                if owns:
                    await http.aclose()
        self._maintain_soon()
        return report

    async def _ingest_urls(
        self, http: httpx.AsyncClient, urls: list[str], progress: Progress, min_interval: float
    ) -> IngestReport:
        import httpx

        from assist.knowledge.crawl import AddressPolicy, Crawler, Fetched, system_resolver

        # Only the hosts the agent named are crawled (sitemap entries and redirects elsewhere are not).
        crawler = Crawler(http, policy=AddressPolicy(urls, self.resolver or system_resolver),
                          min_interval=min_interval)
        pages: list[str] = []
        for url in urls:
            if url.lower().endswith(".xml") or "sitemap" in urlsplit(url).path.lower():
                try:
                    pages += await crawler.sitemap_urls(url)
                except httpx.HTTPError as exc:
                    raise KnowledgeBaseError(f"Couldn't read the sitemap {url}: {exc}") from exc
            else:
                pages.append(url)
        report = IngestReport()
        done = 0
        async for item in crawler.fetch(pages):
            done += 1
            progress(IngestProgress(done, len(pages), item.url))
            if not isinstance(item, Fetched):
                report.skipped.append((item.url, item.reason))
                continue
            try:
                docs = parse(urlsplit(item.url).path or item.url, item.body, item.content_type,
                             url=item.url, doc_id=item.url)
            except Exception as exc:  # a malformed page is reported, the crawl goes on
                report.failed.append((item.url, f"{type(exc).__name__}: {exc}"))
                continue
            await self._db.run(lambda c, docs=docs: store(self._idx(c), docs, report))
        return report

    def close(self) -> None:
        self._closed = True
        if self._upkeep is not None:
            self._upkeep.cancel()
        self._db.close()
