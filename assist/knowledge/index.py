"""The knowledge index: documents and heading-sized passages in SQLite, searched by one BM25 engine.

One analyser (lower-cased words, stopwords out, Snowball stems) and one scorer serve every size, from a
30-article demo to 300k passages, so retrieval never changes character as a knowledge base grows.
The inverted index lives in the same SQLite file and survives restarts:

- ``ix_docs``: every passage ever indexed: its number (never reused), chunk id, length, and whether
  it is still live. Re-ingesting a document marks its old passages dead and adds new ones.
- ``ix_main``: one row per term, its postings as two packed int32 arrays (passage numbers, counts).
- ``ix_delta``: postings added since the last merge, one row each, so an upsert costs a few hundred
  small rows instead of rewriting the long postings of common words.

A search reads only its own terms' rows (main and delta), skips passages no longer live, and scores
BM25 with the live collection's figures (count, average length, each term's document frequency), so
scores never depend on when the last merge ran. ``maintenance_step`` folds delta rows into main rows
and indexes passages the index lacks (an older knowledge base, a crash between a document and its
postings) a slice at a time, each slice one transaction: run between searches on the knowledge
base's worker, the index keeps answering while it is maintained.

Synchronous; always used on the knowledge base's own worker thread (see ``assist.knowledge.base``).
A document is re-indexed only when its content hash changes, and chunk ids (``doc#position``) stay
stable for unchanged documents, so citations stored in the journal keep pointing at the same passage.

This module is long because the write path (upsert, retire, merge) and the read path (BM25 over main and
delta rows) share one private format, the packed postings and the live-collection figures kept in memory:
split across files, that format would become an interface two modules must keep in step.
"""

from __future__ import annotations

import heapq
import logging
import math
import re
import sqlite3
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from assist.db import statements
from assist.domain import Source
from assist.knowledge.chunking import ParsedDocument
from assist.text import STOPWORDS

log = logging.getLogger(__name__)

# Bump when the analyser's terms change: the index is then rebuilt from the stored passages.
ANALYZER = "snowball-english-1"
_WORD = re.compile(r"\w+(?:['’]\w+)*")

SCHEMA = """
CREATE TABLE IF NOT EXISTS "documents" ("id" TEXT PRIMARY KEY, "title" TEXT, "url" TEXT, "kind" TEXT,
    "content_hash" TEXT, "updated_at" TEXT);
CREATE TABLE IF NOT EXISTS "chunks" ("id" TEXT PRIMARY KEY, "doc_id" TEXT REFERENCES "documents"("id"),
    "position" INTEGER, "title" TEXT, "heading" TEXT, "text" TEXT);
CREATE INDEX IF NOT EXISTS "idx_chunks_doc_id" ON "chunks" ("doc_id");
CREATE TABLE IF NOT EXISTS ix_meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS ix_docs (num INTEGER PRIMARY KEY, chunk TEXT NOT NULL, length INTEGER NOT NULL,
    alive INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS ix_docs_chunk ON ix_docs (chunk) WHERE alive = 1;
CREATE TABLE IF NOT EXISTS ix_main (term TEXT PRIMARY KEY, nums BLOB NOT NULL, tfs BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS ix_delta (term TEXT NOT NULL, num INTEGER NOT NULL, tf INTEGER NOT NULL,
    PRIMARY KEY (term, num)) WITHOUT ROWID;
"""

# The first wave's FTS5 index: replaced by the engine above (one tokenisation at every size).
_OLD_FTS = """
DROP TRIGGER IF EXISTS "chunks_ai";
DROP TRIGGER IF EXISTS "chunks_ad";
DROP TRIGGER IF EXISTS "chunks_au";
DROP TABLE IF EXISTS chunks_fts_vocab;
DROP TABLE IF EXISTS "chunks_fts";
"""


def init_schema(conn: sqlite3.Connection) -> None:
    """The index's tables in plain SQL: opening a knowledge base imports nothing heavy."""
    for statement in statements(SCHEMA):
        conn.execute(statement)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'chunks_fts'").fetchone():
        for statement in statements(_OLD_FTS):
            conn.execute(statement)


class Analyzer:
    """Text to index terms: words (any script), lower-cased, stopwords and single letters out,
    Snowball-stemmed ("charged", "charges", "charging" -> "charg"). Queries and passages share it."""

    def __init__(self, language: str = "english") -> None:
        import Stemmer  # PyStemmer: the Snowball stemmers in C (~2 ms to import)

        self._stemmer = Stemmer.Stemmer(language)
        self._cache: dict[str, str] = {}

    def terms(self, text: str) -> list[str]:
        cache, out = self._cache, []
        for word in _WORD.findall(text.lower()):
            term = cache.get(word)
            if term is None:
                bare = word.replace("'", "").replace("’", "")
                term = "" if len(bare) < 2 or bare in STOPWORDS else str(self._stemmer.stemWord(word))
                if len(cache) < 1_000_000:
                    cache[word] = term
            if term:
                out.append(term)
        return out


def _packed(values: Iterable[int]) -> array[int]:
    return array("i", values)


def _gather(rows: Iterable[tuple[str, int, int]], into: dict[str, tuple[array[int], array[int]]]) -> int:
    """(term, passage, count) rows into per-term postings; returns how many rows there were."""
    n = 0
    for term, num, tf in rows:
        entry = into.get(term)
        if entry is None:
            entry = into[term] = (array("i"), array("i"))
        entry[0].append(num)
        entry[1].append(tf)
        n += 1
    return n


def _unpack(blob: bytes) -> array[int]:
    out = array("i")
    out.frombytes(blob)
    return out


class KnowledgeIndex:
    K1 = 1.2
    B = 0.75
    MAX_TERMS = 32  # a pasted essay searches with its first 32 distinct terms
    # Delta rows are folded into the main rows once there are this many (or a quarter of the main
    # postings, whichever is more): searches stay a handful of row reads, merges stay rare.
    MERGE_AT = 50_000
    BULK = 20_000  # a write of more postings than this goes straight to the main rows
    FLUSH_AT = 3_000_000  # postings buffered in memory during one large ingest before they are written
    NUMPY_FROM = 4_000  # postings above which scoring runs vectorised (same arithmetic, same scores)
    SLICE_TERMS = 2_000  # terms merged per maintenance step
    SLICE_CHUNKS = 5_000  # passages (re)indexed per maintenance step

    def __init__(self, conn: sqlite3.Connection, language: str = "english") -> None:
        init_schema(conn)
        self.conn = conn
        self.analyzer = Analyzer(language)
        self._lengths: array[int] | None = None  # per passage number; 0 = dead or never indexed
        self._live = 0
        self._total = 0  # sum of live lengths
        self._next = 1
        self._delta = 0  # rows in ix_delta
        self._main = 0  # postings in ix_main
        self._missing: bool | None = None  # passages in chunks the index lacks (unknown until checked)
        # Written documents whose postings wait in memory for the next flush.
        self._pending: dict[str, list[tuple[str, list[str]]]] = {}  # doc id -> (chunk id, terms)
        self._pending_postings = 0

    # -- state ---------------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM ix_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _state(self) -> array[int]:
        """Passage lengths in memory (4 bytes a passage), loaded on first use, not at start-up."""
        if self._lengths is None:
            if self._meta("analyzer") != ANALYZER:
                self._reset()
            lengths = array("i", bytes(4 * (self._max_num() + 2)))
            live = total = 0
            for num, length in self.conn.execute("SELECT num, length FROM ix_docs WHERE alive = 1"):
                lengths[num] = length
                live += 1
                total += length
            self._lengths, self._live, self._total = lengths, live, total
            self._next = len(lengths) - 1
            self._delta = int(self.conn.execute("SELECT count(*) FROM ix_delta").fetchone()[0])
            self._main = int(self._meta("main_postings") or 0)
        return self._lengths

    def _max_num(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(num), 0) FROM ix_docs").fetchone()[0])

    def _reset(self) -> None:
        """A new (or differently analysed) index: empty it; maintenance indexes every passage again."""
        log.info("knowledge index: building with analyser %s", ANALYZER)
        with self.conn:
            self.conn.execute("BEGIN")
            for table in ("ix_docs", "ix_main", "ix_delta", "ix_meta"):
                self.conn.execute(f"DELETE FROM {table}")
            self.conn.execute("INSERT INTO ix_meta (key, value) VALUES ('analyzer', ?)", (ANALYZER,))
        self._missing = True

    # -- writes --------------------------------------------------------------------------------
    def current_hash(self, doc_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT content_hash FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def upsert(
        self, doc_id: str, doc: ParsedDocument, *, url: str, kind: str, content_hash: str
    ) -> str:
        """Store a parsed document; returns "added", "updated" or "unchanged".

        The passages commit at once (one transaction per document: a crash never leaves half a
        document); their postings are written by ``flush`` (searches flush first), so a large ingest
        writes each term's postings once instead of once per document.
        """
        previous = self.current_hash(doc_id)
        if previous == content_hash:
            return "unchanged"
        self._state()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        chunks = [(f"{doc_id}#{i}", doc.title, s.heading, s.text) for i, s in enumerate(doc.sections)]
        with self.conn:
            self.conn.execute("BEGIN")
            dead = self._retire(doc_id)
            self.conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self.conn.execute(
                "INSERT INTO documents (id, title, url, kind, content_hash, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title, "
                "url = excluded.url, kind = excluded.kind, content_hash = excluded.content_hash, "
                "updated_at = excluded.updated_at",
                (doc_id, doc.title, url, kind, content_hash, now),
            )
            self.conn.executemany(
                "INSERT INTO chunks (id, doc_id, position, title, heading, text) VALUES (?, ?, ?, ?, ?, ?)",
                [(cid, doc_id, i, title, heading, text) for i, (cid, title, heading, text) in enumerate(chunks)],
            )
        self._forget(dead)
        self._pending[doc_id] = [(cid, self.passage_terms(title, heading, text))
                                 for cid, title, heading, text in chunks]
        self._pending_postings += sum(len(terms) for _, terms in self._pending[doc_id])
        if self._pending_postings >= self.FLUSH_AT:
            self.flush()
        return "added" if previous is None else "updated"

    def remove(self, doc_id: str) -> None:
        self._state()
        with self.conn:
            self.conn.execute("BEGIN")
            dead = self._retire(doc_id)
            self.conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        self._forget(dead)
        self._pending.pop(doc_id, None)

    TITLE_WEIGHT = 2  # a word in the title or heading counts as often as this in the text

    def passage_terms(self, title: str, heading: str, text: str) -> list[str]:
        return self.analyzer.terms(f"{title}\n{heading}") * self.TITLE_WEIGHT + self.analyzer.terms(text)

    def _retire(self, doc_id: str) -> list[int]:
        """Mark a document's indexed passages dead (inside the caller's transaction)."""
        dead = [int(r[0]) for r in self.conn.execute(
            "SELECT d.num FROM ix_docs d JOIN chunks c ON c.id = d.chunk WHERE c.doc_id = ? AND d.alive = 1",
            (doc_id,))]
        if dead:
            self.conn.executemany("UPDATE ix_docs SET alive = 0 WHERE num = ?", [(n,) for n in dead])
        return dead

    def _forget(self, dead: list[int]) -> None:
        lengths = self._state()
        for num in dead:
            self._live -= 1
            self._total -= lengths[num]
            lengths[num] = 0

    def flush(self) -> None:
        """Write the postings of documents stored since the last flush: a few rows each into the
        delta, or, for a large ingest, straight into the main rows (each term rewritten once)."""
        if not self._pending:
            return
        lengths = self._state()
        docs: list[tuple[int, str, int]] = []
        num = self._next
        rows: list[tuple[str, int, int]] = []  # (term, passage, count)
        for cid, terms in (p for doc in self._pending.values() for p in doc):
            num += 1
            docs.append((num, cid, len(terms)))
            rows.extend((term, num, tf) for term, tf in Counter(terms).items())
        bulk = len(rows) > self.BULK
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT INTO ix_docs (num, chunk, length) VALUES (?, ?, ?)", docs)
            if bulk:
                postings: dict[str, tuple[array[int], array[int]]] = {}
                _gather(rows, postings)
                added = self._merge_into_main(postings)
            else:
                self.conn.executemany("INSERT INTO ix_delta (term, num, tf) VALUES (?, ?, ?)", rows)
        if bulk:
            self._main += added
        else:
            self._delta += len(rows)
        while len(lengths) <= num:
            lengths.append(0)
        for n, _, length in docs:
            lengths[n] = length
            self._live += 1
            self._total += length
        self._next = num
        self._pending, self._pending_postings = {}, 0

    def _merge_into_main(self, postings: dict[str, tuple[array[int], array[int]]]) -> int:
        """Add postings to the main rows (inside the caller's transaction), dropping dead passages
        from every row rewritten; returns the change in main postings."""
        lengths = self._lengths
        assert lengths is not None
        terms = list(postings)
        change = 0
        for start in range(0, len(terms), 500):
            part = terms[start:start + 500]
            marks = ",".join("?" * len(part))
            old = {t: (_unpack(n), _unpack(f)) for t, n, f in self.conn.execute(
                f"SELECT term, nums, tfs FROM ix_main WHERE term IN ({marks})", part)}
            rows = []
            for term in part:
                nums, tfs = postings[term]
                before = 0
                if term in old:
                    old_nums, old_tfs = old[term]
                    before = len(old_nums)
                    keep = [i for i, n in enumerate(old_nums) if lengths[n] > 0 or n >= len(lengths)]
                    nums = _packed([old_nums[i] for i in keep]) + nums
                    tfs = _packed([old_tfs[i] for i in keep]) + tfs
                change += len(nums) - before
                rows.append((term, nums.tobytes(), tfs.tobytes()))
            self.conn.executemany("INSERT OR REPLACE INTO ix_main (term, nums, tfs) VALUES (?, ?, ?)", rows)
        self.conn.execute("INSERT OR REPLACE INTO ix_meta (key, value) VALUES ('main_postings', ?)",
                          (str(self._main + change),))
        return change

    # -- maintenance ---------------------------------------------------------------------------
    def needs_maintenance(self, *, fully: bool = False) -> bool:
        """Passages to index, or enough delta rows to merge (any at all when ``fully``)."""
        self._state()
        if self._missing is None:
            indexed = self.conn.execute("SELECT count(*) FROM ix_docs WHERE alive = 1").fetchone()[0]
            chunks = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            pending = sum(len(passages) for passages in self._pending.values())
            self._missing = bool(chunks > indexed + pending)
        limit = 0 if fully else max(self.MERGE_AT, self._main // 4)
        return self._missing or self._delta > limit

    def maintenance_step(self, *, fully: bool = False) -> bool:
        """One slice of upkeep; returns True when there is nothing left to do."""
        if not self.needs_maintenance(fully=fully):
            return True
        if self._missing:
            self.flush()
            rows = self.conn.execute(
                "SELECT c.id, c.title, c.heading, c.text FROM chunks c "
                "WHERE NOT EXISTS (SELECT 1 FROM ix_docs d WHERE d.chunk = c.id AND d.alive = 1) LIMIT ?",
                (self.SLICE_CHUNKS,)).fetchall()
            if not rows:
                self._missing = False
                return not self.needs_maintenance(fully=fully)
            self._pending[""] = [(cid, self.passage_terms(title, heading, text))
                                 for cid, title, heading, text in rows]
            self.flush()
            return False
        terms = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT term FROM ix_delta LIMIT ?", (self.SLICE_TERMS,))]
        if not terms:
            return True
        marks = ",".join("?" * len(terms))
        postings: dict[str, tuple[array[int], array[int]]] = {}
        moved = _gather(self.conn.execute(
            f"SELECT term, num, tf FROM ix_delta WHERE term IN ({marks}) ORDER BY term, num", terms), postings)
        with self.conn:
            self.conn.execute("BEGIN")
            added = self._merge_into_main(postings)
            self.conn.execute(f"DELETE FROM ix_delta WHERE term IN ({marks})", terms)
        self._main += added
        self._delta -= moved
        return False

    def maintain(self) -> None:
        """Index and merge everything now (the command line; the window runs slices one by one)."""
        self.flush()
        while not self.maintenance_step(fully=True):
            pass

    # -- search --------------------------------------------------------------------------------
    def search(self, text: str, k: int = 5) -> list[Source]:
        self.flush()
        lengths = self._state()
        terms = list(dict.fromkeys(self.analyzer.terms(text)))[: self.MAX_TERMS]
        if not terms or not self._live:
            return []
        marks = ",".join("?" * len(terms))
        postings: dict[str, tuple[array[int], array[int]]] = {}
        for term, nums, tfs in self.conn.execute(
                f"SELECT term, nums, tfs FROM ix_main WHERE term IN ({marks})", terms):
            postings[term] = (_unpack(nums), _unpack(tfs))
        if self._delta:
            _gather(self.conn.execute(f"SELECT term, num, tf FROM ix_delta WHERE term IN ({marks})", terms), postings)
        ordered = [postings[t] for t in terms if t in postings]
        best = self.score(ordered, lengths, k)
        return self._sources(best)

    def score(self, postings: Sequence[tuple[array[int], array[int]]], lengths: array[int],
              k: int) -> list[tuple[int, float]]:
        """BM25 (Lucene's idf) over live passages: the best ``k`` (number, score), ties to the
        older passage. Small postings are scored in Python, large ones with numpy: same arithmetic
        in the same order, so the same scores to the last bit."""
        if sum(len(n) for n, _ in postings) >= self.NUMPY_FROM:
            return self._score_numpy(postings, lengths, k)
        n_live, avg = self._live, self._total / max(self._live, 1) or 1.0
        k1, b = self.K1, self.B
        acc: dict[int, float] = {}
        for nums, tfs in postings:
            live = [(n, tf) for n, tf in zip(nums, tfs, strict=True) if n < len(lengths) and lengths[n] > 0]
            if not live:
                continue
            df = len(live)
            idf = math.log(1.0 + (n_live - df + 0.5) / (df + 0.5))
            for n, tf in live:
                acc[n] = acc.get(n, 0.0) + idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * lengths[n] / avg))
        return heapq.nsmallest(k, acc.items(), key=lambda item: (-item[1], item[0]))

    def _score_numpy(self, postings: Sequence[tuple[array[int], array[int]]], lengths_: array[int],
                     k: int) -> list[tuple[int, float]]:
        import numpy as np

        lengths = np.frombuffer(lengths_, dtype=np.int32)
        n_live, avg = self._live, self._total / max(self._live, 1) or 1.0
        k1, b = self.K1, self.B
        acc = np.zeros(len(lengths), dtype=np.float64)
        for nums_, tfs_ in postings:
            nums = np.frombuffer(nums_, dtype=np.int32)
            tfs = np.frombuffer(tfs_, dtype=np.int32).astype(np.float64)
            inside = nums < len(lengths)
            nums, tfs = nums[inside], tfs[inside]
            dl = lengths[nums]
            live = dl > 0
            nums, tfs, dl = nums[live], tfs[live], dl[live].astype(np.float64)
            if not len(nums):
                continue
            df = len(nums)
            idf = math.log(1.0 + (n_live - df + 0.5) / (df + 0.5))
            acc[nums] += idf * tfs * (k1 + 1.0) / (tfs + k1 * (1.0 - b + b * dl / avg))
        hits = np.flatnonzero(acc)
        if not len(hits):
            return []
        scores = acc[hits]
        if len(hits) > k:
            floor = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = scores >= floor
            hits, scores = hits[keep], scores[keep]
        order = np.lexsort((hits, -scores))[:k]
        return [(int(hits[i]), float(scores[i])) for i in order]

    def _sources(self, best: list[tuple[int, float]]) -> list[Source]:
        if not best:
            return []
        marks = ",".join("?" * len(best))
        rows = {int(r[0]): r for r in self.conn.execute(
            "SELECT x.num, c.id, c.doc_id, c.title, c.heading, c.text, d.url FROM ix_docs x "
            "JOIN chunks c ON c.id = x.chunk JOIN documents d ON d.id = c.doc_id "
            f"WHERE x.num IN ({marks})", [n for n, _ in best])}
        out = []
        for num, score in best:
            r = rows.get(num)
            if r is not None:
                out.append(Source(r[1], r[2], r[3], r[4], r[5], r[6] or "", round(score, 3)))
        return out

    def get(self, chunk_id: str) -> Source | None:
        r = self.conn.execute(
            "SELECT c.id, c.doc_id, c.title, c.heading, c.text, d.url FROM chunks c "
            "JOIN documents d ON d.id = c.doc_id WHERE c.id = ?",
            (chunk_id,),
        ).fetchone()
        return None if r is None else Source(r[0], r[1], r[2], r[3], r[4], r[5] or "")

    def sections(self, doc_id: str, limit: int = 12) -> list[Source]:
        """A document's sections in order (an article's other sections beside the one that ranked)."""
        rows = self.conn.execute(
            "SELECT c.id, c.doc_id, c.title, c.heading, c.text, d.url FROM chunks c JOIN documents d ON "
            "d.id = c.doc_id WHERE c.doc_id = ? ORDER BY c.position LIMIT ?", (doc_id, limit)).fetchall()
        return [Source(r[0], r[1], r[2], r[3], r[4], r[5] or "") for r in rows]

    def stats(self) -> tuple[int, int]:
        docs = self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)

    def figures(self) -> dict[str, Any]:
        """What the index holds, for diagnostics and benchmarks."""
        self._state()
        return {"live": self._live, "delta": self._delta, "main": self._main, "pending": len(self._pending)}
