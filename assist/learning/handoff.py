"""Asking for a human, understood as a concept: a small learned detector beside the trigger patterns.

Patterns catch the phrasings someone thought of ("speak to a human"); customers also write "agent pls",
"Can somebody from your team call me back?" or "I'd rather discuss this with a person than an assistant".
The detector is the router's own model (word + character TF-IDF into a linear model, ``train``) fitted on a
labelled phrase set (``resources/human_requests.toml``: requests, and ordinary messages that mention
agents, people and calls in passing) plus the workspace's own examples (``[human_request]`` in its
taxonomy). Each sentence of what the customer wrote is scored; the ticket asks for a human when one
sentence does. The patterns stay as a floor. benchmarks/routing.py measures recall on a held-out set written
in other styles and false positives on public intent sets.

The built-in model ships ready in ``resources/human_requests.npz`` (``python -m assist.learning.handoff``
rebuilds it; a test holds it to the phrase set), so no ticket waits for scikit-learn; a workspace with
examples of its own trains once, on a worker, and keeps the model in its data folder.

With the offline sentence encoder on, the shipped detector reads sentence vectors beside the words
(``resources/human_requests_vectors.npz``, the same phrase set) as a second opinion on the sentences the words
model is unsure of (``SECOND_OPINION``): out of fold on the phrase set recall 85% -> 90% at the same
false-positive rate, held-out set 98% -> 100%, still 0 of BANKING77's 3,080 test messages
(benchmarks/routing.py; asking it about every sentence: 91%, and an encoding for most tickets). Only those
sentences are encoded (one call, and none for most tickets); when the encoder fails, the words model decides.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assist.learning.linear import LinearModel

Embed = Callable[[Sequence[str]], Any]
VECTORS_FILE = "human_requests_vectors.npz"

log = logging.getLogger(__name__)

ASKS, ORDINARY = "asks", "ordinary"
# A request for a person names a person or a live channel: the detector reads only sentences that do (in the
# languages the phrase set has, misspellings included), so "I'd like to make a transfer" is never one.
ANCHOR = re.compile(
    r"\b(?:hum[ae]ns?|hooman|persons?|people|ppl|peeps|someone|somebody|some one|anyone|anybody|any ?one|"
    r"ag[ea]?n?e?n?ts?|agnet|reps?|repr?[ae]s[ae]ntatives?|staff|employees?|operators?|advis[oe]rs?|"
    r"consultants?|executives?|colleagues?|team|member|specialists?|supervisors?|managers?|officer|"
    r"call|called|calling|callback|call-back|phone|telephone|ring|talk|talking|speak|speek|spaek|spk|chat|"
    r"bot|chatbot|robot|machine|automated|assistant|ai|real|live|actual|mensch\w*|mitarbeiter\w*|"
    r"personas?|alguien|agente|humain|quelqu\w*|conseill\w*|operatore|persona|transfer\w*|connect\w*|"
    r"put me through|escalat\w*|reach)\b", re.IGNORECASE)
THRESHOLD = 0.7  # P(asks) of one sentence: held-out recall 0.94 at 0.5-0.7, fewer public false positives at 0.7
# The words model's probabilities for which the sentence-vector twin is asked too (outside it the words are sure)
SECOND_OPINION = (0.15, 0.95)
_WORD = re.compile(r"[^\W\d_]{3,}")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
# A request is often one clause of a longer sentence ("Do the needful and arrange a callback"): each clause is
# read on its own as well as the whole sentence.
_CLAUSE = re.compile(r",\s+|\s+(?:and|but)\s+", re.IGNORECASE)
MAX_SENTENCES, MAX_SENTENCE = 40, 300


def phrase_set(path: Path) -> tuple[list[str], list[str]]:
    data = tomllib.loads(path.read_text("utf-8"))
    return [str(x) for x in data.get("asks", [])], [str(x) for x in data.get("ordinary", [])]


def fingerprint(asks: Sequence[str], ordinary: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps([list(asks), list(ordinary)]).encode("utf-8")).hexdigest()[:16]


def build(asks: Sequence[str], ordinary: Sequence[str], embed: Embed | None = None,
          embedding: str = "") -> LinearModel:
    """Fit the detector (scikit-learn, via the router's training); the phrase set's fingerprint is kept.
    ``embed``/``embedding``: a sentence encoder and its id, for a detector that reads vectors too."""
    from assist.learning.train import train

    examples = [(t, ASKS) for t in asks] + [(t, ORDINARY) for t in ordinary]
    model = train(examples, folds=5, precision=0.95, embed=embed, embedding=embedding).model
    model.meta["fingerprint"] = fingerprint(asks, ordinary)
    return model


def sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE.split(text[:20_000]) if p.strip()]
    return [p[:MAX_SENTENCE] for p in parts[:MAX_SENTENCES]]


def units(text: str) -> list[str]:
    """Each sentence, and its clauses when it has more than one."""
    out: list[str] = []
    for s in sentences(text):
        out.append(s)
        clauses = [c.strip() for c in _CLAUSE.split(s) if len(c.split()) >= 3]
        if len(clauses) > 1:
            out += clauses[:8]
    return out


class Detector:
    """P(asks for a human) of each sentence; the best one decides."""

    def __init__(self, model: LinearModel, threshold: float = THRESHOLD, words: frozenset[str] = frozenset(),
                 vectors: LinearModel | None = None) -> None:
        """``words``: the workspace's own words for its people (from its examples) besides ``ANCHOR``;
        ``vectors``: the same detector reading sentence vectors too (its ``embedding`` names the encoder)."""
        self.model, self.threshold, self.words, self.vectors = model, threshold, words, vectors
        self._asks = model.classes.index(ASKS)

    def _anchored(self, sentence: str) -> bool:
        return bool(ANCHOR.search(sentence)) or bool(self.words.intersection(_WORD.findall(sentence.lower())))

    def _vectors_for(self, sentences: list[str], embed: Embed | None) -> tuple[LinearModel, Any | None]:
        """The model to read ``sentences`` with and their vectors (None: words only)."""
        model = self.vectors
        if model is None or embed is None or not sentences:
            return self.model, None
        if str(getattr(getattr(embed, "__self__", None), "id", model.embedding)) != model.embedding:
            return self.model, None  # another encoder's vectors: the weights would not fit them
        try:
            return model, embed(sentences)
        except Exception as exc:  # noqa: BLE001 - a failing encoder must not stop routing: words decide
            log.warning("Sentence encoder failed (%s): asking for a human read on words only", type(exc).__name__)
            return self.model, None

    @staticmethod
    def _p(model: LinearModel, sentence: str, vector: Any | None = None) -> float:
        import numpy as np

        z = model.scores(sentence, vector).astype(np.float64) * model.temperature
        e = np.exp(z - z.max())
        return float(e[model.classes.index(ASKS)] / e.sum())

    def score(self, text: str, embed: Embed | None = None) -> tuple[float, str]:
        """(highest probability, the sentence that had it); ``embed``: the workspace's sentence encoder, asked
        only about the sentences the words leave in doubt (``SECOND_OPINION``): most tickets cost no encoding."""
        anchored = [s for s in units(text) if self._anchored(s)]
        probs = [self._p(self.model, s) for s in anchored]
        doubt = [i for i, p in enumerate(probs) if SECOND_OPINION[0] <= p < SECOND_OPINION[1]]
        if doubt:
            model, vectors = self._vectors_for([anchored[i] for i in doubt], embed)
            if vectors is not None:
                for j, i in enumerate(doubt):
                    probs[i] = self._p(model, anchored[i], vectors[j])
        best = max(range(len(probs)), key=lambda i: probs[i], default=None)
        return (0.0, "") if best is None else (probs[best], anchored[best])

    def fired(self, text: str, embed: Embed | None = None) -> str | None:
        """The sentence asking for a human, or None."""
        p, where = self.score(text, embed)
        return where if p >= self.threshold else None


def shipped(resources: Path) -> Detector:
    """The built-in detector, with its sentence-vector twin when that file is there and readable."""
    vectors = None
    try:
        vectors = LinearModel.load(resources / VECTORS_FILE)
    except (OSError, ValueError, KeyError) as exc:
        log.info("No sentence-vector human-request model (%s): words only", type(exc).__name__)
    return Detector(LinearModel.load(resources / "human_requests.npz"), vectors=vectors)


def for_workspace(resources: Path, extra_asks: Sequence[str], extra_ordinary: Sequence[str],
                  cache_dir: Path | None) -> Detector:
    """The shipped detector, or one trained with the workspace's own examples too (kept in ``cache_dir``)."""
    if not (extra_asks or extra_ordinary):
        return shipped(resources)
    asks, ordinary = phrase_set(resources / "human_requests.toml")
    common = {w for t in ordinary + list(extra_ordinary) for w in _WORD.findall(t.lower())}
    own = frozenset(w for t in extra_asks for w in _WORD.findall(t.lower()) if w not in common)
    asks, ordinary = asks + list(extra_asks), ordinary + list(extra_ordinary)
    key = fingerprint(asks, ordinary)
    cached = cache_dir / f"human-requests-{key}.npz" if cache_dir is not None else None
    if cached is not None and cached.exists():
        try:
            return Detector(LinearModel.load(cached), words=own)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("Cached human-request model unreadable (%s): training it again", exc)
    model = build(asks, ordinary)
    if cached is not None:
        try:
            model.save(cached)
        except OSError as exc:
            log.warning("Couldn't keep the human-request model (%s)", exc.strerror)
    return Detector(model, words=own)


def main() -> None:  # pragma: no cover - maintainers' tool: python -m assist.learning.handoff
    from assist import embeddings
    from assist.paths import resources_dir

    res = resources_dir()
    asks, ordinary = phrase_set(res / "human_requests.toml")
    build(asks, ordinary).save(res / "human_requests.npz")
    print(f"{res / 'human_requests.npz'}: {len(asks)} requests, {len(ordinary)} ordinary messages")
    if embeddings.offline_installed():
        encoder = embeddings.OfflineEncoder()
        build(asks, ordinary, encoder.encode, encoder.id).save(res / VECTORS_FILE)
        print(f"{res / VECTORS_FILE}: the same, with {encoder.id} sentence vectors")


if __name__ == "__main__":  # pragma: no cover
    main()
