"""The router's exported linear model: word and character TF-IDF blocks, an optional sentence-vector block,
one linear layer and a softmax at the temperature fitted out of fold, as plain numpy arrays (``save``/``load``),
with the out-of-fold confidence curve that turns a precision into a threshold.

Used by the intent router (``model``), training (``train``) and the asking-for-a-human detector
(``handoff``); it knows no taxonomy and no routing, so each of them can depend on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from msgspec import Struct

from assist.learning.features import chars, words

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
            s += np.asarray(vector, dtype=np.float32) @ self.weights[self.n_text:]  # fusion is in the weights
        return s

    def predict(self, text: str, vector: Any | None = None) -> list[tuple[str, float]]:
        import numpy as np

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
