"""The workspace's intent router: its taxonomy, a classifier and the calibrated abstain threshold.

A workspace that learned from its history (``assist learn``) has ``intent-model.npz`` in its data folder:
word + character TF-IDF (and, when it was trained with them, sentence vectors) into a linear model,
exported as plain arrays, so routing needs numpy (imported on the first ticket, off the UI thread) and never
scikit-learn. The model keeps its out-of-fold confidence curve: the abstain threshold follows the
workspace's ``[routing] precision`` without retraining. Without a model, naive Bayes trains in milliseconds
on the taxonomy's examples (and the demo's labelled tickets).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from msgspec import Struct

from assist.learning.features import chars, words
from assist.routing import Classifier, IntentClassifier
from assist.taxonomy import OTHER, Taxonomy

log = logging.getLogger(__name__)

MODEL_FILE = "intent-model.npz"
META_FILE = "intent-model.json"  # what training measured (kind, accuracy, curve), whichever model won
CURVE_POINTS = 400


class Curve(Struct, frozen=True):
    """Out-of-fold confidence of the model that routes, against how often it was right: descending
    confidences, and the precision and coverage of accepting every prediction at or above each."""

    confidence: tuple[float, ...]
    precision: tuple[float, ...]
    coverage: tuple[float, ...]
    n: int = 0  # predictions behind the curve: a threshold on few of them is held to a safety margin

    @classmethod
    def from_predictions(cls, confidence: Any, correct: Any) -> Curve:
        import numpy as np

        order = np.argsort(-np.asarray(confidence), kind="stable")
        conf = np.asarray(confidence, dtype=np.float64)[order]
        right = np.cumsum(np.asarray(correct, dtype=np.float64)[order])
        n = np.arange(1, len(conf) + 1)
        # a point only where the confidence changes (ties are accepted together)
        last = np.flatnonzero(np.append(conf[1:] != conf[:-1], True))
        if len(last) > CURVE_POINTS:
            last = last[np.unique(np.linspace(0, len(last) - 1, CURVE_POINTS).round().astype(int))]
        return cls(tuple(round(float(c), 5) for c in conf[last]), tuple(round(float(p), 5) for p in
                   (right[last] / n[last])), tuple(round(float(c), 5) for c in n[last] / len(conf)), len(conf))

    def threshold(self, precision: float) -> float:
        """The lowest confidence whose accepted predictions are right at least ``precision`` of the time
        (above 1 when none are: everything goes to review)."""
        best = 1.01
        for c, p, v in zip(self.confidence, self.precision, self.coverage, strict=True):
            m = v * self.n
            margin = (p * (1 - p) / m) ** 0.5 if m else 0.0  # one standard error: out of fold is a sample
            if p - margin >= precision - 1e-9:
                best = c
        return best

    def at(self, threshold: float) -> tuple[float, float]:
        """(coverage, precision) when predictions at or above ``threshold`` are accepted."""
        cov, prec = 0.0, 1.0
        for c, p, v in zip(self.confidence, self.precision, self.coverage, strict=True):
            if c >= threshold:
                cov, prec = v, p
        return cov, prec


class LinearModel:
    """Word and character TF-IDF blocks (each L2-normalised), optional sentence vector, a linear layer and
    a softmax at the temperature fitted out of fold."""

    def __init__(self, vocabulary: dict[str, int], n_word: int, idf: Any, weights: Any, intercept: Any,
                 classes: list[str], temperature: float, curve: Curve, meta: dict[str, Any]) -> None:
        self.vocabulary, self.n_word, self.idf = vocabulary, n_word, idf
        # one dict per block, without the file's "w:"/"c:" prefixes: no string built per gram when routing
        self._blocks = ({t[2:]: i for t, i in vocabulary.items() if t.startswith("w:")},
                        {t[2:]: i for t, i in vocabulary.items() if t.startswith("c:")})
        self.weights, self.intercept = weights, intercept  # weights: (features, classes), rows gathered
        self.classes, self.temperature, self.curve, self.meta = classes, temperature, curve, meta
        self.n_text = len(idf)

    @classmethod
    def build(cls, word_vocab: dict[str, int], char_vocab: dict[str, int], idf: Any, coef: Any, intercept: Any,
              classes: list[str], temperature: float, curve: Curve, meta: dict[str, Any]) -> LinearModel:
        import numpy as np

        vocab = {f"w:{t}": i for t, i in word_vocab.items()} | {f"c:{t}": i for t, i in char_vocab.items()}
        return cls(vocab, len(word_vocab), idf, np.ascontiguousarray(coef.T), intercept, classes, temperature,
                   curve, meta)

    @property
    def embedding(self) -> str:
        return str(self.meta.get("embedding") or "")

    def _block(self, grams: list[str], vocab: dict[str, int], scores: Any) -> None:
        import numpy as np

        hits = [i for i in map(vocab.get, grams) if i is not None]  # C-level lookups, one pass
        if not hits:
            return
        idx, counts = np.unique(np.array(hits, dtype=np.int64), return_counts=True)
        vals = (1.0 + np.log(counts.astype(np.float32))) * self.idf[idx]
        vals /= np.linalg.norm(vals) or 1.0
        scores += vals @ self.weights[idx]

    def scores(self, text: str, vector: Any | None = None) -> Any:
        import numpy as np

        s = self.intercept.astype(np.float32).copy()
        self._block(words(text), self._blocks[0], s)
        self._block(chars(text), self._blocks[1], s)
        if vector is not None and len(self.weights) - self.n_text == len(vector):  # another encoder's: unused
            s += (np.asarray(vector, dtype=np.float32) * float(self.meta.get("emb_weight", 1.0))) @ \
                self.weights[self.n_text:]
        return s

    def predict(self, text: str, vector: Any | None = None) -> list[tuple[str, float]]:
        import numpy as np

        if not text.strip() and vector is None:
            return [(OTHER, 1.0)]
        s = self.scores(text, vector).astype(np.float64) * self.temperature
        e = np.exp(s - s.max())
        probs = e / e.sum()
        order = np.argsort(-probs)
        return [(self.classes[i], float(probs[i])) for i in order]

    def save(self, path: Path) -> None:
        import numpy as np

        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        with open(tmp, "wb") as f:
            np.savez_compressed(f, terms=np.array(terms), idf=self.idf.astype(np.float32),
                                weights=self.weights.astype(np.float32), intercept=self.intercept.astype(np.float32),
                                classes=np.array(self.classes), meta=np.array(json.dumps(
                                    self.meta | {"n_word": self.n_word, "temperature": self.temperature,
                                                 "curve": [list(self.curve.confidence), list(self.curve.precision),
                                                           list(self.curve.coverage), self.curve.n]})))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        import numpy as np

        with np.load(path, allow_pickle=False) as z:
            if "weights" not in z:
                raise ValueError("a model from an older Assist (run assist learn again)")
            terms = [str(t) for t in z["terms"]]
            meta = json.loads(str(z["meta"]))
            conf, prec, cov, *size = meta.pop("curve")
            n = size[0] if size else 0
            return cls({t: i for i, t in enumerate(terms)}, int(meta.pop("n_word")), z["idf"], z["weights"],
                       z["intercept"], [str(c) for c in z["classes"]], float(meta.pop("temperature")),
                       Curve(tuple(conf), tuple(prec), tuple(cov), int(n)), meta)


class Loaded(Struct, frozen=True):
    classifier: Classifier
    curve: Curve | None  # out-of-fold confidence curve; None: the settings' min_intent_confidence
    description: str
    embedding: str = ""  # the sentence encoder the model was trained with ("" for words only)


class IntentRouter:
    """What a session routes with. The classifier loads on first use (off the UI thread) and once.

    ``precision``: how often an automatically named intent must be right (the workspace's
    ``[routing] precision``); below the matching confidence a ticket goes to review.
    """

    def __init__(self, taxonomy: Taxonomy, model_path: Path | None = None,
                 extra_examples: Callable[[], list[tuple[str, str]]] = list, precision: float = 0.95,
                 embed: Callable[[Sequence[str]], Any] | None = None) -> None:
        self.taxonomy = taxonomy
        self.model_path = model_path
        self.precision = precision
        self.embed = embed  # the workspace's sentence encoder, when one is on
        self._extra = extra_examples  # labelled history (read on first use, not at start-up)
        self._loaded: Loaded | None = None
        self._lock = threading.Lock()
        self._warned = False

    @property
    def loaded(self) -> Loaded:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    @property
    def threshold(self) -> float | None:
        curve = self.loaded.curve
        return None if curve is None else curve.threshold(self.precision)

    def reload(self, taxonomy: Taxonomy | None = None) -> None:
        with self._lock:
            self.taxonomy = taxonomy or self.taxonomy
            self._loaded = None

    def _load(self) -> Loaded:
        if self.model_path is not None and self.model_path.exists():
            try:
                model = LinearModel.load(self.model_path)
                m = model.meta
                missing = [c for c in model.classes if self.taxonomy.get(c) is None]
                if missing:
                    log.warning("The learned intent model knows intents the taxonomy lacks: %s", missing)
                return Loaded(model, model.curve,
                              f"{m.get('kind', 'learned model')} trained on {m.get('tickets', 0):,} tickets "
                              f"({m.get('folds', 5)}-fold accuracy {m.get('accuracy', 0):.2f}, macro-F1 "
                              f"{m.get('macro_f1', 0):.2f})", model.embedding)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("Intent model %s unreadable (%s): using the taxonomy's examples", self.model_path, exc)
        examples = self.taxonomy.examples() + self._extra()
        known = [(t, i) for t, i in examples if self.taxonomy.get(i) is not None]
        if not known:
            return Loaded(IntentClassifier.train([]), None, "no intents yet: every ticket is 'other'")
        return Loaded(IntentClassifier.train(known), None,
                      f"naive Bayes on {len(known):,} examples of {len({i for _, i in known})} intents")

    def predict(self, text: str) -> list[tuple[str, float]]:
        loaded = self.loaded
        if isinstance(loaded.classifier, LinearModel):
            vector = None
            encoder_id = str(getattr(getattr(self.embed, "__self__", None), "id", loaded.embedding))
            if loaded.embedding and self.embed is not None and encoder_id != loaded.embedding:
                if not self._warned:
                    self._warned = True
                    log.warning("The intent model was trained with %s vectors, the workspace now uses %s: routing "
                                "on words only until assist learn runs again", loaded.embedding, encoder_id)
            elif loaded.embedding and self.embed is not None:
                try:
                    vector = self.embed([text[:2000]])[0]
                except Exception as exc:  # noqa: BLE001 - a failing encoder must not stop routing
                    log.warning("Sentence encoder failed (%s): routing on words only", type(exc).__name__)
            return loaded.classifier.predict(text, vector)
        return loaded.classifier.predict(text)
