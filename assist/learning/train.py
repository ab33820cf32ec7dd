"""Training the router on a workspace's labelled history, and the numbers that say whether it is good.

Features are word 1-2-grams and character 2-5-grams (TF-IDF, sublinear, each block L2-normalised; see
``features``), plus the ticket's sentence vector when an embedding provider is on (``assist.embeddings``).
Word candidates are cross-validated on the same folds in the same run and the most accurate is kept:

- a linear SVM (liblinear, one-vs-rest): as accurate as logistic regression on full histories and ~10x
  faster to fit (BANKING77: 0.912 vs 0.914 at C=10 and 0.901 at the textbook C=1; 2 s vs 20 s);
- multinomial logistic regression (lbfgs, C=10 and C=1), which wins with few examples per intent
  (BANKING77 at 10 per intent: 0.758 vs 0.726), tried while its fit stays within the time budget.

With sentence vectors, a logistic regression on them is cross-validated too, and its scores are added to the
word model's at the weight that does best out of fold; the fused model is kept when its macro-F1 is better.

With few labels an intent and a history nobody labelled, the kept model also labels that history itself and
learns from the share it is surest of, when that is better out of fold (``self_train``).

Scores become probabilities through a softmax whose temperature is fitted on the out-of-fold decisions of
the model that routes; the same out-of-fold confidences and outcomes are kept with the model, so the
abstain threshold follows the precision the workspace asks for (``[routing] precision``) without
retraining. Every intent with two or more examples is learnable.

scikit-learn is imported here only: never at start-up, never for routing (``linear.LinearModel``).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from assist.errors import AssistError
from assist.learning.features import vectorizers
from assist.learning.fitting import (
    FUSION_GRID,
    LR_BUDGET,
    WORKERS,
    Pair,
    Score,
    class_scores,
    emb_lr,
    fit_temperature,
    lr,
    quality,
    softmax,
    svm,
    text_matrix,
)
from assist.learning.linear import Curve, LinearModel
from assist.learning.self_training import better, self_train, unlabelled_pool

log = logging.getLogger(__name__)

MIN_PER_INTENT = 2
DEFAULT_PRECISION = 0.95

Embed = Callable[[Sequence[str]], Any]  # texts -> (n, d) L2-normalised float32 matrix


@dataclass(frozen=True, slots=True)
class TrainResult:
    model: LinearModel
    winner: str
    scores: tuple[Score, ...]
    curve: Curve  # out-of-fold confidence -> precision and coverage
    precision_target: float
    tickets: int
    intents: int
    fit_seconds: float
    cv_seconds: float
    dropped: dict[str, int] = field(default_factory=dict)  # intents with too few examples to learn
    self_labelled: int = 0  # unlabelled history tickets the kept model labelled itself and learnt from

    @property
    def threshold(self) -> float:
        return self.curve.threshold(self.precision_target)

    @property
    def coverage(self) -> float:
        return self.curve.at(self.threshold)[0]

    @property
    def precision(self) -> float:
        return self.curve.at(self.threshold)[1]

    def lines(self) -> list[str]:
        out = [f"{self.tickets:,} labelled tickets, {self.intents} intents" + (
            f"; and {self.self_labelled:,} unlabelled ones it labelled itself" if self.self_labelled else "")]
        if self.dropped:
            out.append("left out (fewer than {} tickets): {}".format(
                MIN_PER_INTENT, ", ".join(f"{k} ({v})" for k, v in sorted(self.dropped.items()))))
        width = max(44, *(len(s.name) for s in self.scores))
        out.append(f"{'model':<{width}} {'accuracy':>8} {'macro-F1':>8} {'CV time':>8}")
        for s in self.scores:
            mark = "  <- kept" if s.name == self.winner else ""
            out.append(f"{s.name:<{width}} {s.accuracy:>8.3f} {s.macro_f1:>8.3f} {s.seconds:>7.1f}s{mark}")
        out.append(f"at precision {self.precision_target:.0%} ([routing] precision): routes {self.coverage:.0%} "
                   f"of tickets automatically (right {self.precision:.1%} of the time, out of fold), the rest "
                   f"to review (confidence below {self.threshold:.2f})")
        out.append(f"cross-validation {self.cv_seconds:.1f} s, final fit {self.fit_seconds:.2f} s")
        return out


FOLDS_LARGE, LARGE = 3, 5000  # above LARGE tickets 3 folds estimate as well as 5 and keep learn within budget


def _candidates(n: int, k: int) -> dict[str, Callable[[], Any]]:
    out: dict[str, Callable[[], Any]] = {"word+char TF-IDF + linear SVM": svm}
    if n * k <= LR_BUDGET:  # C by cross-validation: 10 wins on varied text, 1 on repetitive (templated) text
        out["word+char TF-IDF + logistic regression"] = lr
        out["word+char TF-IDF + logistic regression, C=1"] = lambda: lr(1.0)
    return out


def _folds(n_min: int, folds: int) -> int:
    return max(2, min(folds, n_min))


def train(examples: Sequence[tuple[str, str]], *, folds: int = 5, precision: float = DEFAULT_PRECISION,
          embed: Embed | None = None, embedding: str = "", unlabelled: Sequence[str] = (),
          progress: Callable[[str], None] = lambda _m: None) -> TrainResult:
    """Cross-validate the candidates, keep the better one (macro-F1), fit it on everything.

    Args:
        examples: (text, intent) pairs: the labelled history and the taxonomy's examples together.
        embed: the workspace's sentence encoder (``assist.embeddings``), or None for words only.
        embedding: the encoder's id, kept with the model so routing uses the same one.
        unlabelled: the history's tickets nobody labelled; with few labels per intent the model labels them
            itself and learns from them too when that is better out of fold (``self_train``).
    """
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    counts = Counter(y for t, y in examples if t.strip())
    dropped = {k: v for k, v in counts.items() if v < MIN_PER_INTENT}
    data = [(t, y) for t, y in examples if y not in dropped and t.strip()]
    labels = sorted({y for _, y in data})
    if len(labels) < 2:
        raise AssistError(f"Training needs at least two intents with {MIN_PER_INTENT} or more labelled tickets "
                          f"each; this history has {len(labels)}.")
    texts, truth = [t for t, _ in data], [y for _, y in data]
    index = {y: i for i, y in enumerate(labels)}
    truth_idx = np.array([index[y] for y in truth])
    emb = None
    if embed is not None:
        progress(f"sentence vectors for {len(texts):,} tickets")
        try:
            emb = np.asarray(embed(texts), dtype=np.float32)
        except Exception as exc:  # noqa: BLE001 - vectors are a plus: without them, train on words
            log.warning("Sentence vectors unavailable (%s): training on word statistics", exc)
            progress("sentence vectors unavailable: training on word statistics")
    k = _folds(min(Counter(truth).values()), folds if len(texts) < LARGE else min(folds, FOLDS_LARGE))
    split = list(StratifiedKFold(k, shuffle=True, random_state=0).split(texts, truth))
    candidates = _candidates(len(texts), len(labels))
    cv_started = time.perf_counter()
    oof: dict[str, Any] = {}
    seconds: dict[str, float] = {}

    def cross_validate(name: str, fit_scores: Callable[[Any, Any], Any]) -> None:
        progress(f"cross-validating {name} ({k} folds)")
        started = time.perf_counter()
        pred = np.full((len(texts), len(labels)), -1e3)  # a fold may miss a rare intent
        # folds fit two at a time: liblinear and BLAS release the GIL, so both cores work
        with ThreadPoolExecutor(WORKERS) as pool:
            for (_tr, te), (cls, s) in zip(split, pool.map(lambda f: fit_scores(*f), split), strict=True):
                pred[np.ix_(te, cls)] = s
        oof[name], seconds[name] = pred, time.perf_counter() - started

    for name, make in candidates.items():
        def text_fold(tr: Any, te: Any, make: Callable[[], Any] = make) -> tuple[Any, Any]:
            word, char = vectorizers()
            clf = make().fit(text_matrix(word, char, [texts[i] for i in tr], fit=True), truth_idx[tr])
            return clf.classes_, class_scores(clf, text_matrix(word, char, [texts[i] for i in te]))

        cross_validate(name, text_fold)
    words_name = max(candidates, key=lambda n: quality(oof[n], truth_idx))
    fusion = 0.0
    if emb is not None:
        def emb_fold(tr: Any, te: Any) -> tuple[Any, Any]:
            clf = emb_lr().fit(emb[tr], truth_idx[tr])
            return clf.classes_, class_scores(clf, emb[te])

        cross_validate(EMB_NAME, emb_fold)
        # one linear model over both: words' scores + fusion x the vectors' scores, the weight chosen out of fold
        fusion = max(FUSION_GRID, key=lambda a: quality(oof[words_name] + a * oof[EMB_NAME], truth_idx))
        oof[FUSED_NAME] = oof[words_name] + fusion * oof[EMB_NAME]
        seconds[FUSED_NAME] = seconds[words_name] + seconds[EMB_NAME]
    scores = []
    for name, pred in oof.items():
        top = pred.argmax(axis=1)
        scores.append(Score(name, float(accuracy_score(truth_idx, top)),
                            float(f1_score(truth_idx, top, average="macro", zero_division=0)), seconds[name]))
    cv_seconds = time.perf_counter() - cv_started
    kept = max((s for s in scores if s.name in (words_name, FUSED_NAME)), key=lambda s: (s.macro_f1, s.accuracy))
    use_emb = kept.name == FUSED_NAME
    temperature = fit_temperature(oof[kept.name], truth_idx)
    probs = softmax(oof[kept.name], temperature)
    curve = Curve.from_predictions(probs.max(axis=1), probs.argmax(axis=1) == truth_idx)
    kind = words_name + (" + sentence vectors" if use_emb else "")
    progress(f"fitting {kind} on all {len(texts):,} tickets")
    started = time.perf_counter()
    make = candidates[words_name]
    final = Pair.fit(make, texts, truth_idx, emb if use_emb else None, fusion, len(labels), parallel=True)
    fit_seconds = time.perf_counter() - started
    pool = unlabelled_pool(unlabelled, texts, truth)
    self_labelled = 0
    if pool:
        learned = self_train(pool, texts, truth_idx, emb if use_emb else None, split, make, final, temperature,
                              len(labels), embed, kept.name, progress)
        if learned is not None and better(learned, kept, curve, precision):
            scores.append(learned.score)
            kept, final, temperature = learned.score, learned.pair, learned.temperature
            curve = learned.curve
            kind += f" + {learned.added:,} unlabelled tickets it labelled itself"
            self_labelled = learned.added
            fit_seconds += learned.fit_seconds
            cv_seconds += learned.cv_seconds
        elif learned is not None:
            scores.append(learned.score)
    word, char = final.word, final.char
    coef, intercept = final.coefficients()
    meta = {"kind": kind, "tickets": len(texts), "folds": k, "accuracy": round(kept.accuracy, 4),
            "macro_f1": round(kept.macro_f1, 4), "trained_at": time.time(),
            "embedding": embedding if final.vectors is not None else ""}
    model = LinearModel.build(
        {str(t): int(i) for t, i in word.vocabulary_.items()},
        {str(t): int(i) + len(word.vocabulary_) for t, i in char.vocabulary_.items()},
        np.concatenate([word.idf_, char.idf_]).astype(np.float32), coef, intercept, labels, temperature, curve, meta)
    return TrainResult(model, kept.name, tuple(scores), curve, precision, len(texts), len(labels),
                       fit_seconds, cv_seconds, dropped, self_labelled)


EMB_NAME = "sentence vectors + logistic regression"
FUSED_NAME = "word+char TF-IDF + sentence vectors, fused"
