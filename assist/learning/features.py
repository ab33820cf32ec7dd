"""What the router reads of a ticket: word 1-2-grams and character 2-5-grams inside word boundaries.

The same two analysers scikit-learn's ``TfidfVectorizer`` uses (``analyzer="word"`` with its default token
pattern, ``analyzer="char_wb"``), written out so routing needs numpy and never scikit-learn; a unit test
holds the two to the same grams. Character grams are what carry typos ("refnd", "cancell"), inflections and
short, lowercase messages that word features miss (measured on public intent sets, benchmarks/routing.py).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)
MAX_CHARS = 3000  # the opening of a long ticket says what it is about; the rest costs time, not accuracy


def words(text: str) -> list[str]:
    """Lowercased words and word pairs (scikit-learn's word analyser with ``ngram_range=(1, 2)``)."""
    toks = TOKEN.findall(text[:MAX_CHARS].lower())
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]


def chars(text: str) -> list[str]:
    """Character 2-5-grams of each space-padded word (scikit-learn's ``char_wb`` analyser)."""
    return [g for w in text[:MAX_CHARS].lower().split()
            for g in (_word_grams(w) if len(w) <= CACHED_WORD else _cut(w))]


CACHED_WORD = 40  # words up to this long keep their grams (a long token is cut each time, never kept)


@lru_cache(maxsize=65_536)
def _word_grams(word: str) -> tuple[str, ...]:
    """One word's grams: a team's words repeat from ticket to ticket, so each is cut once (routing ~10% faster)."""
    return _cut(word)


def _cut(word: str) -> tuple[str, ...]:
    lo, hi = CHAR_NGRAMS
    w = f" {word} "
    return tuple(w[i:i + n] for n in range(lo, min(hi, len(w)) + 1) for i in range(len(w) - n + 1))


def vectorizers() -> tuple[Any, Any]:
    """The two scikit-learn vectorizers training fits (imported here only: never when routing)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return (TfidfVectorizer(analyzer=words, sublinear_tf=True, lowercase=False, dtype=_f32()),
            TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True,
                            preprocessor=_char_pre, dtype=_f32()))


def _char_pre(text: str) -> str:
    return text[:MAX_CHARS].lower()


def _f32() -> type:
    import numpy as np

    return np.float32
