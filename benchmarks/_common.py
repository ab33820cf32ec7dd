"""Helpers shared by the benchmarks: repo on sys.path, a private Assist data dir, quantiles."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def private_dirs() -> Path:
    root = Path(tempfile.mkdtemp(prefix="assist-bench-"))
    for name, sub in (("ASSIST_CONFIG_DIR", "config"), ("ASSIST_DATA_DIR", "data"), ("ASSIST_LOG_DIR", "logs")):
        os.environ[name] = str(root / sub)
    return root


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values)
