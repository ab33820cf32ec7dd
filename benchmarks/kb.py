"""Knowledge base at 100k chunks: ingest throughput, query p50/p95, and recall@5 against bm25s.

Targets: query p50 <= 10 ms at 100k chunks, recall@5 >= bm25s on the same corpus and questions.
The corpus is synthetic but shaped like a help center (Zipf-distributed vocabulary, ~60-word
passages under titles); each question is a handful of words from one gold passage plus common noise.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from _common import ms, quantile

from assist.knowledge.chunking import ParsedDocument, Section
from assist.knowledge.index import KnowledgeIndex

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "si", "pe", "da", "gu", "fi", "be", "zo", "ha", "ny"]


def vocabulary(rnd: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 4))))
    return sorted(words)


def corpus(n_chunks: int, seed: int = 3) -> tuple[list[str], list[str]]:
    rnd = random.Random(seed)
    vocab = vocabulary(rnd, 30_000)
    weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf: a few very common words, a long tail
    titles, texts = [], []
    for _ in range(n_chunks):
        words = rnd.choices(vocab, weights=weights, k=60)
        titles.append(" ".join(rnd.choices(vocab[:3000], k=3)))
        texts.append(" ".join(words))
    return titles, texts


def questions(texts: list[str], n: int, seed: int = 5) -> list[tuple[int, str]]:
    rnd = random.Random(seed)
    out = []
    common = texts[0].split()[:10]
    for gold in rnd.sample(range(len(texts)), n):
        words = sorted(set(texts[gold].split()))  # sorted: the same questions on every run
        picked = rnd.sample(words, min(5, len(words)))
        out.append((gold, " ".join(picked + rnd.sample(common, 2))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    titles, texts = corpus(args.chunks)
    qs = questions(texts, args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "kb.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        index = KnowledgeIndex(conn)
        t0 = time.perf_counter()
        per_doc = 10
        for d in range(0, len(texts), per_doc):
            sections = tuple(Section(titles[i], texts[i]) for i in range(d, min(d + per_doc, len(texts))))
            index.upsert(f"doc{d}", ParsedDocument(f"Article {d}", sections), url="", kind="text",
                         content_hash=str(d))
        ingest = time.perf_counter() - t0
        def measure(search) -> tuple[list[float], int]:
            times, hits = [], 0
            for gold, q in qs:
                t = time.perf_counter()
                found = search(q, 5)
                times.append(time.perf_counter() - t)
                hits += any(f.id == f"doc{gold - gold % per_doc}#{gold % per_doc}" for f in found)
            return times, hits

        fts_times, fts_hits = measure(index._search_fts)
        t0 = time.perf_counter()
        index.search("warm up", 5)  # above LARGE this builds the in-memory index once
        large_build = time.perf_counter() - t0
        times, hits = measure(index.search)
        conn.close()
    import bm25s

    t0 = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([f"{t} {x}" for t, x in zip(titles, texts, strict=True)], stopwords=None,
                                   show_progress=False), show_progress=False)
    bm_index = time.perf_counter() - t0
    bm_times, bm_hits = [], 0
    for gold, q in qs:
        t = time.perf_counter()
        docs, _ = retriever.retrieve(bm25s.tokenize([q], stopwords=None, show_progress=False), k=5,
                                     show_progress=False)
        bm_times.append(time.perf_counter() - t)
        bm_hits += gold in set(docs[0].tolist())
    n = len(qs)
    engine = "bm25s index" if len(texts) >= KnowledgeIndex.LARGE else "FTS5 two-step"
    print(f"ingest: {len(texts):,} chunks in {ingest:.1f} s = {len(texts) / ingest:,.0f} chunks/s "
          f"(bm25s index build {bm_index:.1f} s, in memory)")
    print(f"Assist at this size answers with: {engine} (first query built it in {large_build:.1f} s)")
    print(f"FTS5 two-step path alone: p50 {ms(quantile(fts_times, 0.5))}, p95 {ms(quantile(fts_times, 0.95))}, "
          f"recall@5 {fts_hits / n:.3f}")
    print(f"query: p50 {ms(quantile(times, 0.5))}, p95 {ms(quantile(times, 0.95))} over {n} questions "
          f"(bm25s p50 {ms(quantile(bm_times, 0.5))})   target p50 <= 10 ms: "
          f"{'met' if quantile(times, 0.5) <= 0.010 else 'NOT met'}")
    print(f"recall@5: Assist {hits / n:.3f}, bm25s {bm_hits / n:.3f}, ratio {hits / max(bm_hits, 1):.2f}   "
          f"target >= bm25s: {'met' if hits >= bm_hits else 'NOT met'}")


if __name__ == "__main__":
    main()
