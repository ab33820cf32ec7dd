"""Sentence vectors (issue 30): cached by content, offline, and what they add to routing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assist import embeddings
from assist.learning.model import IntentRouter
from assist.learning.train import train
from assist.taxonomy import Intent, Taxonomy


class CountingEncoder:
    id = "test/letters"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts):  # type: ignore[no-untyped-def]
        self.seen += list(texts)
        out = np.zeros((len(texts), embeddings.DIM), dtype=np.float32)
        for row, t in zip(out, texts, strict=True):
            for ch in t.lower():
                row[ord(ch) % embeddings.DIM] += 1
            row /= np.linalg.norm(row) or 1
        return out


def test_vectors_are_computed_once_and_kept_in_the_workspace(tmp_path: Path) -> None:
    inner = CountingEncoder()
    cache = embeddings.CachedEncoder(inner, tmp_path / "vectors.sqlite")
    seen: list[tuple[int, int]] = []
    first = cache.encode(["where is my parcel", "refund please", "where is my parcel"],
                         progress=lambda d, t: seen.append((d, t)))
    assert first.shape == (3, embeddings.DIM) and np.allclose(first[0], first[2])
    assert inner.seen == ["where is my parcel", "refund please"] and seen[-1] == (3, 3)
    again = embeddings.CachedEncoder(CountingEncoder(), tmp_path / "vectors.sqlite")
    assert np.allclose(again.encode(["refund please"]), first[1]) and again.inner.seen == []  # type: ignore[attr-defined]
    (tmp_path / "a-file").write_text("not a folder")
    blocked = embeddings.CachedEncoder(CountingEncoder(), tmp_path / "a-file" / "vectors.sqlite")
    assert blocked.encode(["still works"]).shape == (1, embeddings.DIM)  # an unusable cache: vectors, no error


def test_off_means_word_statistics_and_doctor_says_which() -> None:
    assert embeddings.for_workspace("off", None) is None
    assert "off" in embeddings.describe("off")


@pytest.mark.skipif(not embeddings.offline_installed(), reason="the offline encoder is not installed")
def test_the_offline_encoder_routes_by_meaning_with_few_examples(tmp_path: Path) -> None:
    """Four examples per intent and no shared words with the test tickets: vectors carry the meaning."""
    examples = {
        "refund": ["I want my money back", "please refund my order", "return the payment to my card",
                   "reimburse me for the broken item"],
        "delivery": ["where is my parcel", "the package hasn't arrived", "tracking shows no movement",
                     "courier never came"],
        "login": ["I can't sign in", "password reset doesn't work", "locked out of my account",
                  "two-factor code never arrives"],
    }
    data = [(t, y) for y, ts in examples.items() for t in ts]
    encoder = embeddings.for_workspace("auto", tmp_path)
    assert encoder is not None
    result = train(data, folds=2, embed=encoder.encode, embedding=embeddings.OFFLINE_ID)
    assert result.model.embedding == embeddings.OFFLINE_ID
    path = tmp_path / "intent-model.npz"
    result.model.save(path)
    router = IntentRouter(Taxonomy(intents=tuple(Intent(name=n) for n in examples)), path, embed=encoder.encode)
    assert router.predict("Could I be reimbursed? The kettle arrived cracked.")[0][0] == "refund"
    assert router.predict("My shipment is lost somewhere, no update for a week")[0][0] == "delivery"
    assert router.predict("The app rejects my credentials every time")[0][0] == "login"
