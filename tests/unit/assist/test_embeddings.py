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


def test_a_configured_embedding_model_goes_through_the_gateway_masked(tmp_path: Path, monkeypatch) -> None:
    """[ai] embeddings = "model": vectors from an OpenAI-compatible /v1/embeddings (the strict loopback double)
    through litellm in the model host; PII masked for a cloud model; vectors cached; the router learns on them."""
    from assist.settings import ModelTier
    from tests.openai_server import OpenAIServer

    monkeypatch.setattr("assist.llm.is_cloud", lambda tier: True)  # the loopback server stands in for a cloud
    server = OpenAIServer()
    try:
        tier = ModelTier(model="openai/text-embedding-3-small", api_base=server.api_base, timeout_s=30)
        encoder = embeddings.for_workspace("model", tmp_path, tier, lambda: "sk-test", True)
        assert encoder is not None and encoder.id == "litellm/openai/text-embedding-3-small"
        texts = ["refund my order to jo.bloggs@example.com", "where is my parcel", "refund my order please"]
        vectors = encoder.encode(texts)
        assert vectors.shape == (3, OpenAIServer.dims)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
        assert float(vectors[0] @ vectors[2]) > float(vectors[0] @ vectors[1])  # the server's vectors, in order
        sent = server.requests[-1]
        assert sent["model"] == "text-embedding-3-small" and "jo.bloggs@example.com" not in str(sent)
        calls = len(server.requests)
        encoder.encode(texts[:2])  # cached: nothing sent again
        assert len(server.requests) == calls

        data = [(t, y) for y, ts in {"refund": ["refund my order", "money back please", "refund the payment"],
                                     "delivery": ["where is my parcel", "parcel not here", "track my parcel"]}.items()
                for t in ts]
        result = train(data, folds=2, embed=encoder.encode, embedding=encoder.id)
        path = tmp_path / "intent-model.npz"
        result.model.save(path)
        router = IntentRouter(Taxonomy(intents=(Intent(name="refund"), Intent(name="delivery"))), path,
                              embed=encoder.encode)
        assert router.predict("please refund the order")[0][0] == "refund"
        other = embeddings.for_workspace("auto", tmp_path)  # the workspace switched encoder: words only, no crash
        if other is not None:
            switched = IntentRouter(router.taxonomy, path, embed=other.encode)
            assert switched.predict("where is my parcel")[0][0] == "delivery"
    finally:
        server.close()


def test_doctor_says_which_model_gets_ticket_text() -> None:
    assert "text-embedding-3-small" in embeddings.describe("model", "openai/text-embedding-3-small")
    assert "no [models.embedding]" in embeddings.describe("model", "")


def test_a_failing_encoder_means_words_not_a_failed_learn() -> None:
    def broken(texts):  # type: ignore[no-untyped-def]
        raise OSError("engine library missing")

    data = [("refund my order", "refund"), ("money back", "refund"), ("where is my parcel", "delivery"),
            ("parcel not here", "delivery")]
    result = train(data, folds=2, embed=broken, embedding="broken")
    assert result.model.embedding == "" and "sentence vectors" not in result.winner
