"""``KnowledgeBase``: the async face of the index. All SQLite work runs on its own worker thread."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from assist.db import SqliteWorker
from assist.domain import Source
from assist.errors import KnowledgeBaseError
from assist.knowledge.chunking import ParsedDocument
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
from assist.knowledge.vectors import BM25_POOL, CANDIDATES, PassageVectors, fuse

if TYPE_CHECKING:
    import httpx

    from assist.knowledge.crawl import Resolver

log = logging.getLogger(__name__)

EMBED_BATCH = 16  # passages per encoder call: ~1 s here, the longest a stop waits


class KnowledgeBase:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.resolver: Resolver | None = None  # DNS for the crawler's address policy (tests put a stub here)
        self._index: KnowledgeIndex | None = None
        self._vectors: PassageVectors | None = None
        self._has_vectors: dict[str, bool] = {}
        self._db = SqliteWorker(path, init=self._open)
        self._upkeep: asyncio.Task[None] | None = None
        self._closed = False

    def _open(self, conn: sqlite3.Connection) -> None:
        self._index = KnowledgeIndex(conn)
        self._vectors = PassageVectors(conn)

    def _idx(self, _conn: sqlite3.Connection) -> KnowledgeIndex:
        assert self._index is not None
        return self._index

    async def search(self, text: str, k: int = 5, vector: Any = None, encoder: str = "") -> list[Source]:
        """BM25's best ``k`` passages; with the question's sentence ``vector`` (from ``encoder``) and passage
        vectors of that encoder, BM25 and the nearest passages fused (``assist.knowledge.vectors``)."""
        def run(c: sqlite3.Connection) -> tuple[list[Source], bool]:
            index = self._idx(c)
            if vector is None or self._vectors is None:
                return index.search(text, k), index.needs_maintenance()
            near = self._vectors.nearest(encoder, vector, CANDIDATES)
            pool = index.search(text, BM25_POOL if near else k)
            if not near:
                return pool[:k], index.needs_maintenance()
            headings = self._vectors.under_nearest_headings(encoder, vector, CANDIDATES)
            return fuse(pool, near, index.get, k, headings), index.needs_maintenance()

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

    async def vector_counts(self, encoder: str) -> tuple[int, int]:
        """(passages with a current vector from ``encoder``, passages in all)."""
        counts = await self._db.run(lambda c: self._vecs(c).counts(encoder))
        self._has_vectors[encoder] = counts[0] > 0
        return counts

    async def has_vectors(self, encoder: str) -> bool:
        """Are there passage vectors from ``encoder`` (counted once, then known)?"""
        if encoder not in self._has_vectors:
            self._has_vectors[encoder] = await self._db.run(lambda c: self._vecs(c).has(encoder))
        return self._has_vectors[encoder]

    def _vecs(self, _conn: sqlite3.Connection) -> PassageVectors:
        assert self._vectors is not None
        return self._vectors

    async def embed_passages(self, encode: Callable[[list[str]], Any], encoder: str,
                             progress: Callable[[int, int], None] = lambda _d, _t: None,
                             headings: Callable[[list[str]], Any] | None = None) -> int:
        """Compute the missing passage vectors, a small batch at a time: the encoder runs on a worker thread
        (never the event loop, never the index's worker, so searches go on), each batch is stored at once (a
        stop loses one batch). The sections' headings first (fewer; ``headings`` encodes them as questions
        are, else ``encode``). Returns how many passages were embedded."""
        labels = await self._db.run(lambda c: self._vecs(c).pending_headings(encoder))
        for start in range(0, len(labels), EMBED_BATCH):
            if self._closed:
                break
            batch = labels[start:start + EMBED_BATCH]
            pairs = list(zip(batch, await asyncio.to_thread(headings or encode, batch), strict=True))
            await self._db.run(lambda c, rows=pairs: self._vecs(c).store_headings(encoder, rows))
        done, total = await self.vector_counts(encoder)
        made, after = 0, 0
        while not self._closed:
            todo = await self._db.run(lambda c, after=after: self._vecs(c).pending(encoder, EMBED_BATCH, after))
            if not todo:
                break
            after = todo[-1][0]
            vectors = await asyncio.to_thread(encode, [text for *_, text in todo])
            rows = [(cid, digest, v) for (_, cid, digest, _), v in zip(todo, vectors, strict=True)]
            await self._db.run(lambda c, rows=rows: self._vecs(c).store(encoder, rows))
            made += len(rows)
            self._has_vectors[encoder] = True
            progress(min(done + made, total), total)
        return made

    async def replace_answers(self, answers: dict[str, tuple[ParsedDocument, str]], prefix: str
                              ) -> tuple[int, int]:
        """The team's past answers (``assist.learning.answers``) as documents whose ids start with ``prefix``:
        new or changed ones stored, ones no longer in the history removed. Returns (stored, removed)."""
        def run(c: sqlite3.Connection) -> tuple[int, int]:
            index = self._idx(c)
            stored = sum(index.upsert(doc_id, doc, url="", kind="answer", content_hash=digest) != "unchanged"
                         for doc_id, (doc, digest) in answers.items())
            old = [r[0] for r in c.execute("SELECT id FROM documents WHERE substr(id, 1, ?) = ?",
                                           (len(prefix), prefix)) if r[0] not in answers]
            for doc_id in old:
                index.remove(doc_id)
            index.maintain()
            return stored, len(old)

        return await self._db.run(run)

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
