"""The workspace's intent router: its taxonomy, a classifier and the calibrated abstain threshold.

A workspace that learned from its history (``assist learn``) has ``intent-model.npz`` in its data folder:
a TF-IDF + logistic-regression model exported as plain arrays, so routing needs numpy (imported on the
first ticket, off the UI thread) and never scikit-learn. Without one, naive Bayes trains in milliseconds
on the taxonomy's examples (and the demo's labelled tickets).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from msgspec import Struct

from assist.routing import Classifier, IntentClassifier
from assist.taxonomy import OTHER, Taxonomy

log = logging.getLogger(__name__)

MODEL_FILE = "intent-model.npz"
META_FILE = "intent-model.json"  # what training measured (kind, accuracy, threshold), whichever model won
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern, so features match


def ngrams(text: str) -> list[str]:
    """Lowercased words and word pairs: the features ``train`` fits and ``LinearModel`` reads."""
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class LinearModel:
    """Sublinear TF-IDF over words and word pairs, L2-normalised, one-vs-rest logistic regression."""

    def __init__(self, vocabulary: dict[str, int], idf: Any, coef: Any, intercept: Any,
                 classes: list[str], meta: dict[str, Any]) -> None:
        self.vocabulary, self.idf, self.coef, self.intercept = vocabulary, idf, coef, intercept
        self.classes, self.meta = classes, meta

    def predict(self, text: str) -> list[tuple[str, float]]:
        import numpy as np

        counts = Counter(i for g in ngrams(text[:20_000]) if (i := self.vocabulary.get(g)) is not None)
        if not counts:
            return [(OTHER, 1.0)]
        idx = np.fromiter(counts.keys(), dtype=np.int64)
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))
        vals = tf * self.idf[idx]
        vals /= np.linalg.norm(vals) or 1.0
        scores = self.coef[:, idx] @ vals + self.intercept
        probs = 1.0 / (1.0 + np.exp(-scores))
        probs /= probs.sum() or 1.0
        order = np.argsort(-probs)
        return [(self.classes[i], float(probs[i])) for i in order]

    def save(self, path: Path) -> None:
        import numpy as np

        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, terms=np.array(terms), idf=self.idf.astype(np.float32),
                            coef=self.coef.astype(np.float32), intercept=self.intercept.astype(np.float32),
                            classes=np.array(self.classes), meta=np.array(json.dumps(self.meta)))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        import numpy as np

        with np.load(path, allow_pickle=False) as z:
            terms = [str(t) for t in z["terms"]]
            return cls({t: i for i, t in enumerate(terms)}, z["idf"].astype(np.float64),
                       z["coef"].astype(np.float64), z["intercept"].astype(np.float64),
                       [str(c) for c in z["classes"]], json.loads(str(z["meta"])))


class Loaded(Struct, frozen=True):
    classifier: Classifier
    threshold: float | None  # calibrated abstain cut-off; None: the settings' min_intent_confidence
    description: str


class IntentRouter:
    """What a session routes with. The classifier loads on first use (off the UI thread) and once."""

    def __init__(self, taxonomy: Taxonomy, model_path: Path | None = None,
                 extra_examples: Callable[[], list[tuple[str, str]]] = list) -> None:
        self.taxonomy = taxonomy
        self.model_path = model_path
        self._extra = extra_examples  # labelled history (read on first use, not at start-up)
        self._loaded: Loaded | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> Loaded:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

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
                return Loaded(model, m.get("threshold"),
                              f"{m.get('kind', 'learned model')} trained on {m.get('tickets', 0):,} tickets "
                              f"({m.get('folds', 5)}-fold accuracy {m.get('accuracy', 0):.2f}, macro-F1 "
                              f"{m.get('macro_f1', 0):.2f})")
            except (OSError, ValueError, KeyError) as exc:
                log.warning("Intent model %s unreadable (%s): using the taxonomy's examples", self.model_path, exc)
        threshold = None
        if self.model_path is not None:
            try:
                threshold = json.loads(self.model_path.with_name(META_FILE).read_text("utf-8")).get("threshold")
            except (OSError, ValueError, AttributeError):
                pass
        examples = self.taxonomy.examples() + self._extra()
        known = [(t, i) for t, i in examples if self.taxonomy.get(i) is not None]
        if not known:
            return Loaded(IntentClassifier.train([]), None, "no intents yet: every ticket is 'other'")
        return Loaded(IntentClassifier.train(known), threshold,
                      f"naive Bayes on {len(known):,} examples of {len({i for _, i in known})} intents")

    def predict(self, text: str) -> list[tuple[str, float]]:
        return self.loaded.classifier.predict(text)
