"""The knowledge index: documents and heading-sized chunks in SQLite with an FTS5 (porter) index.

Synchronous; always used on the knowledge base's own worker thread (see ``assist.knowledge.base``).
A document is re-indexed only when its content hash changes, and chunk ids (``doc#position``) stay
stable for unchanged documents, so citations stored in the journal keep pointing at the same passage.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import sqlite_utils

from assist.domain import Source
from assist.knowledge.chunking import ParsedDocument
from assist.text import query_terms


def fts_query(text: str) -> str:
    """An FTS5 OR-query of the text's content words; every term quoted so user text can't inject syntax."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in query_terms(text))


def init_schema(conn: sqlite3.Connection) -> None:
    db = sqlite_utils.Database(conn)
    if "documents" not in db.table_names():
        db["documents"].create(
            {"id": str, "title": str, "url": str, "kind": str, "content_hash": str,
             "updated_at": str},
            pk="id",
        )
    if "chunks" not in db.table_names():
        db["chunks"].create(
            {"id": str, "doc_id": str, "position": int, "title": str, "heading": str, "text": str},
            pk="id",
            foreign_keys=[("doc_id", "documents", "id")],
        )
        db["chunks"].create_index(["doc_id"])
        db["chunks"].enable_fts(
            ["title", "heading", "text"], create_triggers=True, tokenize="porter"
        )
    # document frequency per (stemmed) term, to leave very common words out of queries
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts_vocab USING fts5vocab(chunks_fts, row)")


class KnowledgeIndex:
    # A term in more than 5% of passages (and more than 2,000 of them) says little about the question
    # but costs a long posting list: at 100k passages it is the difference between ~120 ms and ~5 ms.
    COMMON = 0.05
    COMMON_FLOOR = 2000
    MAX_TERMS = 16
    MIN_KEEP = 4

    def __init__(self, conn: sqlite3.Connection) -> None:
        init_schema(conn)
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        # A private scratch index stems query words exactly as the real one does (same tokenizer).
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.q_fts USING fts5(x, tokenize='porter')")
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.q_vocab USING fts5vocab(temp, q_fts, instance)")

    def _match(self, text: str) -> str:
        """An OR query of the question's most telling words, rarest first, quoted (no FTS syntax)."""
        words = query_terms(text)
        if not words:
            return ""
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM temp.q_fts")
            self.conn.executemany("INSERT INTO temp.q_fts (rowid, x) VALUES (?, ?)", list(enumerate(words)))
            stems = dict(self.conn.execute("SELECT doc, term FROM temp.q_vocab").fetchall())
            self.conn.execute("DELETE FROM temp.q_fts")
        marks = ",".join("?" * len(set(stems.values())))
        df = dict(self.conn.execute(f"SELECT term, doc FROM chunks_fts_vocab WHERE term IN ({marks})",
                                    list(set(stems.values()))).fetchall())
        total = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0] or 1
        known = sorted((df[stems[i]], i) for i in stems if stems[i] in df)
        limit = max(self.COMMON * total, self.COMMON_FLOOR)
        # the rarest few always stay (a short question may have nothing but common words)
        keep = [i for n, (d, i) in enumerate(known) if d <= limit or n < self.MIN_KEEP]
        chosen = [words[i] for i in sorted(keep[: self.MAX_TERMS])]
        return " OR ".join('"' + w.replace('"', '""') + '"' for w in chosen)

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
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def search(self, text: str, k: int = 5) -> list[Source]:
        match = self._match(text)
        if not match:
            return []
        rows = self.conn.execute(
            "SELECT c.id, c.doc_id, c.title, c.heading, c.text, d.url, "
            "bm25(chunks_fts, 3.0, 2.0, 1.0) AS rank "
            "FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "JOIN documents d ON d.id = c.doc_id "
            "WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
            (match, k),
        ).fetchall()
        return [
            Source(r[0], r[1], r[2], r[3], r[4], r[5] or "", round(-float(r[6]), 3)) for r in rows
        ]

    def get(self, chunk_id: str) -> Source | None:
        r = self.conn.execute(
            "SELECT c.id, c.doc_id, c.title, c.heading, c.text, d.url FROM chunks c "
            "JOIN documents d ON d.id = c.doc_id WHERE c.id = ?",
            (chunk_id,),
        ).fetchone()
        return None if r is None else Source(r[0], r[1], r[2], r[3], r[4], r[5] or "")

    def document_sources(self, doc_id: str) -> list[Source]:
        rows = self.conn.execute(
            "SELECT c.id, c.doc_id, c.title, c.heading, c.text, d.url FROM chunks c "
            "JOIN documents d ON d.id = c.doc_id WHERE c.doc_id = ? ORDER BY c.position",
            (doc_id,),
        ).fetchall()
        return [Source(r[0], r[1], r[2], r[3], r[4], r[5] or "") for r in rows]

    def stats(self) -> tuple[int, int]:
        docs = self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)
