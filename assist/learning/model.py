"""The workspace's intent router: its taxonomy, a classifier and the calibrated abstain threshold.

A workspace that learned from its history (``assist learn``) has ``intent-model.npz`` in its data folder:
word + character TF-IDF (and, when it was trained with them, sentence vectors) into a linear model,
exported as plain arrays, so routing needs numpy (imported on the first ticket, off the UI thread) and never
scikit-learn. The model keeps its out-of-fold confidence curve: the abstain threshold follows the
workspace's ``[routing] precision`` without retraining. Without a model, naive Bayes trains in milliseconds
on the taxonomy's examples (and the demo's labelled tickets).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from msgspec import Struct

from assist.learning.linear import Curve, LinearModel
from assist.routing import Classifier, IntentClassifier
from assist.taxonomy import OTHER, Taxonomy

log = logging.getLogger(__name__)

MODEL_FILE = "intent-model.npz"
META_FILE = "intent-model.json"  # what training measured (kind, accuracy, curve), whichever model won


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
            if not text.strip():
                return [(OTHER, 1.0)]
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
