"""Redaction quality and speed on the hand-written PII corpus (tests/pii_corpus.py).

Targets: recall >= 95% of PII values masked, false positives <= 5% of negative strings (order
numbers, SKUs, ISBNs, tracking numbers, dates, prices) changed. Baseline in the same run: the first
wave's regex-only masker (emails, digit runs, street names), kept here for comparison only.
"""

from __future__ import annotations

import re
import time

from _common import ROOT  # noqa: F401  (puts the repo on sys.path)

from assist.redact import Redactor
from tests.pii_corpus import NEGATIVES, positives
from tests.unit.assist.test_redact import _leaks, score

_OLD = [re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), re.compile(r"\b(?:\d[ -]?){12,18}\d\b"),
        re.compile(r"(?<![\w-])\+?\(?\d[\d\s().-]{6,}\d\b")]


def baseline() -> tuple[float, float]:
    def mask(text: str) -> str:
        for p in _OLD:
            text = p.sub("[X_1]", text)
        return text

    found = total = 0
    for text, values in positives():
        masked = mask(text)
        for v in values:
            total += 1
            found += not _leaks(masked.replace("[X_1]", "[EMAIL_1]"), v)
    false = sum(mask(t) != t for t in NEGATIVES)
    return found / total, false / len(NEGATIVES)


if __name__ == "__main__":
    recall, fp, missed, false = score()
    base_recall, base_fp = baseline()
    texts = [t for t, _ in positives()] + NEGATIVES
    started = time.perf_counter()
    for _ in range(5):
        for t in texts:
            Redactor().mask(t)
    per = (time.perf_counter() - started) / (5 * len(texts))
    print(f"corpus: {len(positives())} strings with PII, {len(NEGATIVES)} without")
    print(f"recall {recall:.1%} (baseline regex masker {base_recall:.1%})   target >= 95%: "
          f"{'met' if recall >= 0.95 else 'NOT met'}")
    print(f"false positives {fp:.1%} (baseline {base_fp:.1%})   target <= 5%: {'met' if fp <= 0.05 else 'NOT met'}")
    print(f"mask time per message: {per * 1000:.2f} ms")
    for m in missed:
        print("  missed:", m)
    for f in false:
        print("  false positive:", f)
