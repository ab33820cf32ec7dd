"""The knowledge index: documents and heading-sized chunks in SQLite with an FTS5 (porter) index.

Synchronous; always used on the knowledge base's own worker thread (see ``assist.knowledge.base``).
A document is re-indexed only when its content hash changes, and chunk ids (``doc#position``) stay
stable for unchanged documents, so citations stored in the journal keep pointing at the same passage.
"""

from __future__ import annotations

import math
import re
import sqlite3
from datetime import UTC, datetime
from typing import Any

from assist.db import statements
from assist.domain import Source
from assist.knowledge.chunking import ParsedDocument
from assist.text import query_terms

_TOKEN = re.compile(r"[a-z0-9]+")




SCHEMA = """
CREATE TABLE IF NOT EXISTS "documents" ("id" TEXT PRIMARY KEY, "title" TEXT, "url" TEXT, "kind" TEXT,
    "content_hash" TEXT, "updated_at" TEXT);
CREATE TABLE IF NOT EXISTS "chunks" ("id" TEXT PRIMARY KEY, "doc_id" TEXT REFERENCES "documents"("id"),
    "position" INTEGER, "title" TEXT, "heading" TEXT, "text" TEXT);
CREATE INDEX IF NOT EXISTS "idx_chunks_doc_id" ON "chunks" ("doc_id");
CREATE VIRTUAL TABLE IF NOT EXISTS "chunks_fts" USING FTS5 ("title", "heading", "text", tokenize='porter',
    content="chunks");
CREATE TRIGGER IF NOT EXISTS "chunks_ai" AFTER INSERT ON "chunks" BEGIN
  INSERT INTO "chunks_fts" (rowid, "title", "heading", "text") VALUES (new.rowid, new."title", new."heading",
    new."text");
END;
CREATE TRIGGER IF NOT EXISTS "chunks_ad" AFTER DELETE ON "chunks" BEGIN
  INSERT INTO "chunks_fts" ("chunks_fts", rowid, "title", "heading", "text") VALUES('delete', old.rowid,
    old."title", old."heading", old."text");
END;
CREATE TRIGGER IF NOT EXISTS "chunks_au" AFTER UPDATE ON "chunks" BEGIN
  INSERT INTO "chunks_fts" ("chunks_fts", rowid, "title", "heading", "text") VALUES('delete', old.rowid,
    old."title", old."heading", old."text");
  INSERT INTO "chunks_fts" (rowid, "title", "heading", "text") VALUES (new.rowid, new."title", new."heading",
    new."text");
END;
-- document frequency per (stemmed) term, to leave very common words out of queries
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts_vocab USING fts5vocab(chunks_fts, row);
"""


def init_schema(conn: sqlite3.Connection) -> None:
    """The index's tables, FTS5 table and triggers (the layout sqlite-utils' enable_fts made, so
    existing knowledge bases open unchanged), in plain SQL: opening a knowledge base imports nothing
    heavy (sqlite-utils pulls numpy: ~230 ms of CPU on a 2-core machine at start-up)."""
    for statement in statements(SCHEMA):
        conn.execute(statement)


class KnowledgeIndex:
    # A term in more than 5% of passages (and more than 2,000 of them) says little about the question
    # but costs a long posting list: at 100k passages it is the difference between ~120 ms and ~5 ms.
    COMMON = 0.05
    COMMON_FLOOR = 2000
    MAX_TERMS = 16
    MIN_KEEP = 4
    POOL = 200  # candidates re-scored with the common words
    # Above this many passages an in-memory bm25s index answers instead of FTS5: FTS5 has to walk
    # every query word's posting list (19 ms p50 at 100k) where a sparse matrix takes ~1 ms.
    LARGE = 20_000

    def __init__(self, conn: sqlite3.Connection) -> None:
        init_schema(conn)
        self.conn = conn
        # A private scratch index stems query words exactly as the real one does (same tokenizer).
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.q_fts USING fts5(x, tokenize='porter')")
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.q_vocab USING fts5vocab(temp, q_fts, instance)")
        self._bm25: Any = None
        self._bm25_ids: list[str] = []
        self._count: int | None = None  # passages, cached between changes (count(*) scans the table)

    def _passages(self) -> int:
        if self._count is None:
            self._count = int(self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
        return self._count

    def current_hash(self, doc_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT content_hash FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def upsert(
        self, doc_id: str, doc: ParsedDocument, *, url: str, kind: str, content_hash: str
    ) -> str:
        """Store a parsed document; returns "added", "updated" or "unchanged"."""
        previous = self.current_hash(doc_id)
        if previous == content_hash:
            return "unchanged"
        self._bm25, self._count = None, None
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.conn:  # one transaction per document: a crash never leaves half a document
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self.conn.execute(
                "INSERT INTO documents (id, title, url, kind, content_hash, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title, "
                "url = excluded.url, kind = excluded.kind, content_hash = excluded.content_hash, "
                "updated_at = excluded.updated_at",
                (doc_id, doc.title, url, kind, content_hash, now),
            )
            self.conn.executemany(
                "INSERT INTO chunks (id, doc_id, position, title, heading, text) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(f"{doc_id}#{i}", doc_id, i, doc.title, s.heading, s.text)
                 for i, s in enumerate(doc.sections)],
            )
        return "added" if previous is None else "updated"

    def remove(self, doc_id: str) -> None:
        self._bm25, self._count = None, None
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def _plan(self, text: str) -> tuple[list[str], list[int], int]:
        """The question's content words and each one's document frequency (stemmed as indexed)."""
        words = query_terms(text)
        if not words:
            return [], [], 0
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM temp.q_fts")
            self.conn.executemany("INSERT INTO temp.q_fts (rowid, x) VALUES (?, ?)", list(enumerate(words)))
            stems = dict(self.conn.execute("SELECT doc, term FROM temp.q_vocab").fetchall())
            self.conn.execute("DELETE FROM temp.q_fts")
        unique = list(set(stems.values()))
        marks = ",".join("?" * len(unique))
        df = dict(self.conn.execute(f"SELECT term, doc FROM chunks_fts_vocab WHERE term IN ({marks})",
                                    unique).fetchall())
        return words, [int(df.get(stems.get(i, ""), 0)) for i in range(len(words))], max(self._passages(), 1)

    def _large_index(self) -> Any:
        """The bm25s index over every passage, built on first use after a change (worker thread)."""
        if self._bm25 is None:
            import bm25s

            rows = self.conn.execute("SELECT id, title, heading, text FROM chunks ORDER BY rowid").fetchall()
            retriever = bm25s.BM25()
            retriever.index(bm25s.tokenize([f"{r[1]} {r[2]} {r[3]}" for r in rows], show_progress=False),
                            show_progress=False)
            self._bm25, self._bm25_ids = retriever, [r[0] for r in rows]
        return self._bm25

    def _search_large(self, text: str, k: int) -> list[Source]:
        import bm25s

        retriever = self._large_index()
        tokens = bm25s.tokenize([text], show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = retriever.retrieve(tokens, k=min(k, len(self._bm25_ids)), show_progress=False)
        out = []
        for index, score in zip(docs[0].tolist(), scores[0].tolist(), strict=True):
            if score <= 0:
                continue
            source = self.get(self._bm25_ids[index])
            if source is not None:
                out.append(Source(source.id, source.doc_id, source.title, source.heading, source.text,
                                  source.url, round(float(score), 3)))
        return out

    def search(self, text: str, k: int = 5) -> list[Source]:
        if self._passages() >= self.LARGE:
            return self._search_large(text, k)
        return self._search_fts(text, k)

    def _search_fts(self, text: str, k: int = 5) -> list[Source]:
        """Top passages by BM25 in two steps, so common words cost nothing but still count.

        FTS5 finds and ranks candidates with the question's rarer words (short posting lists);
        the common words' BM25 share is then added for those candidates only. A plain OR query of
        every word gives the same ranking but walks huge posting lists: 122 ms against ~5 ms at
        100k passages (benchmarks/kb.py).
        """
        words, df, total = self._plan(text)
        known = sorted((d, i) for i, d in enumerate(df) if d > 0)
        if not known:
            return []
        limit = max(self.COMMON * total, self.COMMON_FLOOR)
        rare = [i for d, i in known if d <= limit][: self.MAX_TERMS] or [i for _, i in known[: self.MIN_KEEP]]
        common = [i for _, i in known if i not in rare][: self.MAX_TERMS]
        match = " OR ".join('"' + words[i].replace('"', '""') + '"' for i in sorted(rare))
        rows = self.conn.execute(
            "SELECT c.id, c.doc_id, c.title, c.heading, c.text, d.url, "
            "bm25(chunks_fts, 3.0, 2.0, 1.0) AS rank "
            "FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "JOIN documents d ON d.id = c.doc_id "
            "WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
            (match, max(k, self.POOL) if common else k),
        ).fetchall()
        scored = [(-float(r[6]), r) for r in rows]
        if common and rows:
            scored = self._add_common(scored, [(words[i], df[i]) for i in common], total)
        scored.sort(key=lambda x: -x[0])
        return [Source(r[0], r[1], r[2], r[3], r[4], r[5] or "", round(score, 3)) for score, r in scored[:k]]

    @staticmethod
    def _add_common(scored: list[tuple[float, Any]], terms: list[tuple[str, int]], total: int,
                    k1: float = 1.2, b: float = 0.75) -> list[tuple[float, Any]]:
        """Each common word's BM25 share (same formula and column weights as FTS5's bm25())."""
        docs = []
        for score, r in scored:
            fields = [_TOKEN.findall(f.lower()) for f in (r[2], r[3], r[4])]
            docs.append((score, r, fields, sum(len(f) for f in fields)))
        avg = sum(d[3] for d in docs) / len(docs) or 1.0
        idf = {w: math.log((total - n + 0.5) / (n + 0.5) + 1) for w, n in terms}
        out = []
        for score, r, fields, length in docs:
            extra = 0.0
            for w, _ in terms:
                tf = 3 * fields[0].count(w) + 2 * fields[1].count(w) + fields[2].count(w)
                if tf:
                    extra += idf[w] * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg))
            out.append((score + extra, r))
        return out

    def get(self, chunk_id: str) -> Source | None:
        r = self.conn.execute(
            "SELECT c.id, c.doc_id, c.title, c.heading, c.text, d.url FROM chunks c "
            "JOIN documents d ON d.id = c.doc_id WHERE c.id = ?",
            (chunk_id,),
        ).fetchone()
        return None if r is None else Source(r[0], r[1], r[2], r[3], r[4], r[5] or "")


    def stats(self) -> tuple[int, int]:
        docs = self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)
