"""Training the router on a workspace's labelled history, and the numbers that say whether it is good.

Two candidates, cross-validated on the same folds in the same run: the dependency-free naive Bayes the
router started with, and TF-IDF (words and word pairs, sublinear) + logistic regression (scikit-learn,
one-vs-rest, fitted by SGD: 10,000 tickets in about 2.5 s on 2 cores). The one with the better macro-F1
is kept. The abstain threshold is calibrated on the out-of-fold predictions: the lowest confidence at
which the accepted predictions are right at least ``precision`` of the time.

scikit-learn is imported here only: never at start-up, never for routing (``model.LinearModel``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assist.errors import AssistError
from assist.learning.model import LinearModel, ngrams
from assist.routing import IntentClassifier

MIN_PER_INTENT = 3


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    accuracy: float
    macro_f1: float
    seconds: float  # cross-validation wall time


@dataclass(frozen=True, slots=True)
class TrainResult:
    model: LinearModel | None  # None when naive Bayes won: the router trains it from examples itself
    winner: str
    scores: tuple[Score, ...]
    threshold: float
    coverage: float  # share of tickets the router names an intent for at that threshold
    precision: float
    tickets: int
    intents: int
    fit_seconds: float
    dropped: dict[str, int] = field(default_factory=dict)  # intents with too few examples to learn

    def lines(self) -> list[str]:
        out = [f"{self.tickets:,} labelled tickets, {self.intents} intents"]
        if self.dropped:
            out.append("left out (fewer than {} tickets): {}".format(
                MIN_PER_INTENT, ", ".join(f"{k} ({v})" for k, v in sorted(self.dropped.items()))))
        out.append(f"{'model':<34} {'accuracy':>8} {'macro-F1':>8} {'CV time':>8}")
        for s in self.scores:
            mark = "  <- kept" if s.name == self.winner else ""
            out.append(f"{s.name:<34} {s.accuracy:>8.3f} {s.macro_f1:>8.3f} {s.seconds:>7.1f}s{mark}")
        out.append(f"abstain below confidence {self.threshold:.2f}: names an intent for {self.coverage:.0%} of "
                   f"tickets, right {self.precision:.0%} of the time")
        out.append(f"final fit: {self.fit_seconds:.2f} s")
        return out


def _lr_pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(analyzer=ngrams, sublinear_tf=True, min_df=2),
        SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=30, tol=None, random_state=0),
    )


def _export(pipe: Any, meta: dict[str, Any]) -> LinearModel:
    vec, clf = pipe.steps[0][1], pipe.steps[1][1]
    return LinearModel({str(k): int(v) for k, v in vec.vocabulary_.items()}, vec.idf_, clf.coef_, clf.intercept_,
                       [str(c) for c in clf.classes_], meta)


def _nb_fit_predict(train: Sequence[tuple[str, str]], test: Sequence[str]) -> list[list[tuple[str, float]]]:
    nb = IntentClassifier.train(train)
    return [nb.predict(t) for t in test]


def _lr_fit_predict(train: Sequence[tuple[str, str]], test: Sequence[str]) -> list[list[tuple[str, float]]]:
    pipe = _lr_pipeline()
    pipe.fit([t for t, _ in train], [y for _, y in train])
    classes = [str(c) for c in pipe.classes_]
    out = []
    for row in pipe.predict_proba(list(test)):
        out.append(sorted(zip(classes, (float(p) for p in row), strict=True), key=lambda p: -p[1]))
    return out


CANDIDATES: dict[str, Callable[[Sequence[tuple[str, str]], Sequence[str]], list[list[tuple[str, float]]]]] = {
    "naive Bayes (stemmed words)": _nb_fit_predict,
    "TF-IDF + logistic regression": _lr_fit_predict,
}


def calibrate(top: Sequence[tuple[str, float]], truth: Sequence[str], precision: float = 0.9
              ) -> tuple[float, float, float]:
    """(threshold, coverage, precision at it): the lowest cut-off whose accepted answers reach ``precision``."""
    pairs = sorted(((p, label == y) for (label, p), y in zip(top, truth, strict=True)), key=lambda x: -x[0])
    best = (1.0, 0.0, 1.0)
    right = 0
    for n, (p, ok) in enumerate(pairs, start=1):
        right += ok
        if right / n >= precision:
            best = (p, n / len(pairs), right / n)
    return round(min(best[0], 0.95), 3), best[1], best[2]


def train(examples: Sequence[tuple[str, str]], *, folds: int = 5, precision: float = 0.9,
          progress: Callable[[str], None] = lambda _m: None) -> TrainResult:
    """Cross-validate both candidates, keep the better one (macro-F1), fit it on everything."""
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    counts = Counter(y for _, y in examples)
    dropped = {k: v for k, v in counts.items() if v < max(MIN_PER_INTENT, folds)}
    data = [(t, y) for t, y in examples if y not in dropped and t.strip()]
    labels = sorted({y for _, y in data})
    if len(labels) < 2:
        raise AssistError(f"Training needs at least two intents with {max(MIN_PER_INTENT, folds)} or more labelled "
                          f"tickets each; this history has {len(labels)}.")
    texts, truth = [t for t, _ in data], [y for _, y in data]
    split = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, truth))
    scores, tops = [], {}
    for name, fit_predict in CANDIDATES.items():
        progress(f"cross-validating {name} ({folds} folds)")
        started = time.perf_counter()
        pred: list[tuple[str, float]] = [("", 0.0)] * len(texts)
        for tr, te in split:
            ranked = fit_predict([data[i] for i in tr], [texts[i] for i in te])
            for i, r in zip(te, ranked, strict=True):
                pred[i] = r[0]
        top_labels = [p[0] for p in pred]
        scores.append(Score(name, float(accuracy_score(truth, top_labels)),
                            float(f1_score(truth, top_labels, average="macro", zero_division=0)),
                            time.perf_counter() - started))
        tops[name] = pred
    winner = max(scores, key=lambda s: s.macro_f1)
    threshold, coverage, prec = calibrate(tops[winner.name], truth, precision)
    progress(f"fitting {winner.name} on all {len(texts):,} tickets")
    started = time.perf_counter()
    model = None
    meta = {"kind": winner.name, "tickets": len(texts), "folds": folds, "accuracy": round(winner.accuracy, 4),
            "macro_f1": round(winner.macro_f1, 4), "threshold": threshold, "trained_at": time.time()}
    if winner.name.startswith("TF-IDF"):
        pipe = _lr_pipeline()
        pipe.fit(texts, truth)
        model = _export(pipe, meta)
    return TrainResult(model, winner.name, tuple(scores), threshold, coverage, prec, len(texts), len(labels),
                       time.perf_counter() - started, dropped)
