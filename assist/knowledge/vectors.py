"""Sentence vectors of the knowledge base's passages, for hybrid retrieval (BM25 and vectors, fused ranks).

Kept in the knowledge base's own SQLite file (``kb_vectors``: chunk id, the document's content hash when it
was embedded, the encoder's id, the vector), computed once per passage in the background
(``KnowledgeBase.embed_passages``), searched by one matrix product over the current vectors, held in memory
as float16 (10,000 passages: 7.7 MB). A vector whose document changed since, or that another encoder made,
is not used and is computed again.

A search with the ticket's vector takes BM25's best passages, the nearest passages by cosine and the passages
under the nearest headings ("Returns › Return due to size": each section's title and heading embedded once, as a
question is) and fuses their ranks (reciprocal rank fusion: 1 / (60 + rank) from each list). The headings'
list matters where passages are long procedures and the heading says what they are for: on ABCD's agent
guidelines (benchmarks/drafts_guidelines.py) the right procedure ranks first for 28 of 40 messages by heading
alone, 23 by the passages' vectors fused with BM25, 17 by BM25. Scores stay BM25's: a passage the
vectors alone found has the BM25 score of its shared words (0 without any), so grounding (a draft's
``min_source_score``) still means the customer's words are in the passage.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from assist.domain import Source

SCHEMA = ("CREATE TABLE IF NOT EXISTS kb_vectors (chunk_id TEXT PRIMARY KEY, digest TEXT NOT NULL, "
          "encoder TEXT NOT NULL, vector BLOB NOT NULL)")
HEADINGS = ("CREATE TABLE IF NOT EXISTS kb_heading_vectors (label TEXT NOT NULL, encoder TEXT NOT NULL, "
            "vector BLOB NOT NULL, PRIMARY KEY (label, encoder))")
HEADING_HITS = 8  # headings whose passages join the fusion
RRF_K = 60  # the usual constant of reciprocal rank fusion
CANDIDATES = 30  # from each list
BM25_POOL = 200  # BM25 scores known for fused passages (below this rank: 0)


def passage_text(title: str, heading: str, text: str) -> str:
    return f"{title}: {heading}. {text}" if heading else f"{title}. {text}"


def heading_text(title: str, heading: str) -> str:
    return f"{title} › {heading}" if heading and heading != title else title


def _stack(blobs: Sequence[bytes]) -> Any:
    """Stored float32 vectors as one float16 matrix (rows in order; an empty one when there are none)."""
    import numpy as np

    if not blobs:
        return np.zeros((0, 1), dtype=np.float16)
    return np.vstack([np.frombuffer(b, dtype=np.float32) for b in blobs]).astype(np.float16)


class PassageVectors:
    """Synchronous; used on the knowledge base's worker thread, like the index."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute(SCHEMA)
        conn.execute(HEADINGS)
        self._loaded: tuple[str, list[str], Any] | None = None  # (encoder, chunk ids, float16 matrix)
        # (encoder, headings, float16 matrix, chunk ids under each heading)
        self._headings: tuple[str, list[str], Any, dict[str, list[str]]] | None = None
        self._chunks_seen: tuple[int, int] | None = None  # (passages, last rowid) when the headings were read

    def pending(self, encoder: str, limit: int, after: int = 0) -> list[tuple[int, str, str, str]]:
        """Up to ``limit`` live passages after rowid ``after`` without a current vector from ``encoder``:
        (rowid, chunk id, digest, text). The caller passes the last rowid back, so a pass over a knowledge base
        reads each passage once (restarting from the first would rescan every embedded one per batch)."""
        rows = self.conn.execute(
            "SELECT c.rowid, c.id, d.content_hash, c.title, c.heading, c.text FROM chunks c JOIN documents d "
            "ON d.id = c.doc_id LEFT JOIN kb_vectors v ON v.chunk_id = c.id AND v.encoder = ? AND "
            "v.digest = d.content_hash WHERE v.chunk_id IS NULL AND c.rowid > ? ORDER BY c.rowid LIMIT ?",
            (encoder, after, limit)).fetchall()
        return [(int(r[0]), r[1], r[2] or "", passage_text(r[3] or "", r[4] or "", r[5] or "")) for r in rows]

    def pending_headings(self, encoder: str) -> list[str]:
        """The live sections' headings (title › heading) without a vector from ``encoder`` (one pass)."""
        labels = dict.fromkeys(heading_text(t or "", h or "") for t, h in
                               self.conn.execute("SELECT DISTINCT title, heading FROM chunks"))
        have = {r[0] for r in self.conn.execute("SELECT label FROM kb_heading_vectors WHERE encoder = ?",
                                                 (encoder,))}
        return [label for label in labels if label and label not in have]

    def store_headings(self, encoder: str, rows: Sequence[tuple[str, Any]]) -> None:
        import numpy as np

        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO kb_heading_vectors VALUES (?, ?, ?)",
                                  [(label, encoder, np.asarray(v, dtype=np.float32).tobytes()) for label, v in rows])
        self._headings = None

    def under_nearest_headings(self, encoder: str, vector: Any, k: int) -> list[str]:
        """The chunk ids under the ``HEADING_HITS`` headings nearest ``vector``, nearest heading first, at most
        ``k``. The headings and the passages under them are read once, again when passages come or go."""
        import numpy as np

        state = self.conn.execute("SELECT count(*), max(rowid) FROM chunks").fetchone()
        if self._headings is None or self._headings[0] != encoder or self._chunks_seen != state:
            self._chunks_seen = state
            rows = self.conn.execute("SELECT label, vector FROM kb_heading_vectors WHERE encoder = ?",
                                     (encoder,)).fetchall()
            under: dict[str, list[str]] = {}
            for cid, title, heading in self.conn.execute("SELECT id, title, heading FROM chunks ORDER BY rowid"):
                under.setdefault(heading_text(title or "", heading or ""), []).append(cid)
            rows = [r for r in rows if r[0] in under]  # headings no passage has any more
            matrix = _stack([r[1] for r in rows])
            self._headings = (encoder, [r[0] for r in rows], matrix, under)
        _, labels, matrix, under = self._headings
        q = np.asarray(vector, dtype=np.float16).ravel()
        if not labels or matrix.shape[1] != len(q):
            return []
        sims = (matrix @ q).astype(np.float32)
        out: list[str] = []
        for i in np.argsort(-sims, kind="stable")[:HEADING_HITS]:
            out += under.get(labels[i], [])
        return out[:k]

    def store(self, encoder: str, rows: Sequence[tuple[str, str, Any]]) -> None:
        import numpy as np

        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO kb_vectors VALUES (?, ?, ?, ?)",
                                  [(cid, digest, encoder, np.asarray(v, dtype=np.float32).tobytes())
                                   for cid, digest, v in rows])
        self._loaded = None

    def has(self, encoder: str) -> bool:
        """Are there vectors from ``encoder`` at all (the first row read, not a count of 100k passages)?"""
        row = self.conn.execute("SELECT 1 FROM kb_vectors WHERE encoder = ? LIMIT 1", (encoder,)).fetchone()
        return row is not None

    def counts(self, encoder: str) -> tuple[int, int]:
        """(passages with a current vector, passages in all)."""
        done = self.conn.execute(
            "SELECT count(*) FROM kb_vectors v JOIN chunks c ON c.id = v.chunk_id JOIN documents d ON "
            "d.id = c.doc_id WHERE v.encoder = ? AND v.digest = d.content_hash", (encoder,)).fetchone()[0]
        total = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(done), int(total)

    def _matrix(self, encoder: str) -> tuple[list[str], Any]:

        if self._loaded is None or self._loaded[0] != encoder:
            rows = self.conn.execute(
                "SELECT v.chunk_id, v.vector FROM kb_vectors v JOIN chunks c ON c.id = v.chunk_id JOIN documents d "
                "ON d.id = c.doc_id WHERE v.encoder = ? AND v.digest = d.content_hash", (encoder,)).fetchall()
            ids = [r[0] for r in rows]
            matrix = _stack([r[1] for r in rows])
            self._loaded = (encoder, ids, matrix)
        return self._loaded[1], self._loaded[2]

    def nearest(self, encoder: str, vector: Any, k: int) -> list[tuple[str, float]]:
        import numpy as np

        ids, matrix = self._matrix(encoder)
        q = np.asarray(vector, dtype=np.float16).ravel()
        if not ids or matrix.shape[1] != len(q):
            return []
        sims = (matrix @ q).astype(np.float32)
        top = np.argpartition(-sims, min(k, len(ids) - 1))[:k] if len(ids) > k else np.arange(len(ids))
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(ids[i], float(sims[i])) for i in top]


def fuse(bm25: list[Source], near: list[tuple[str, float]], get: Callable[[str], Source | None],
         k: int, headings: Sequence[str] = ()) -> list[Source]:
    """The best ``k`` by reciprocal rank fusion of BM25's ranking, the vectors' and the passages under the
    nearest headings (each list's first ``CANDIDATES``); every passage keeps its BM25 score (0 when it shares
    no word with the question)."""
    ranks: dict[str, float] = {}
    for ranked in ([s.id for s in bm25[:CANDIDATES]], [cid for cid, _ in near[:CANDIDATES]],
                   list(headings[:CANDIDATES])):
        for rank, cid in enumerate(ranked):
            ranks[cid] = ranks.get(cid, 0.0) + 1.0 / (RRF_K + rank)
    by_id = {s.id: s for s in bm25}
    out = []
    for cid in sorted(ranks, key=lambda c: -ranks[c])[:k]:
        found = by_id.get(cid) or get(cid)  # a passage BM25 did not rank: score 0
        if found is not None:
            out.append(found)
    return out
