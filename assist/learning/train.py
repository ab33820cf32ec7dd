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

Scores become probabilities through a softmax whose temperature is fitted on the out-of-fold decisions of
the model that routes; the same out-of-fold confidences and outcomes are kept with the model, so the
abstain threshold follows the precision the workspace asks for (``[routing] precision``) without
retraining. Every intent with two or more examples is learnable.

scikit-learn is imported here only: never at start-up, never for routing (``linear.LinearModel``).
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from assist.errors import AssistError
from assist.learning.features import vectorizers
from assist.learning.linear import Curve, LinearModel

log = logging.getLogger(__name__)

MIN_PER_INTENT = 2
LR_BUDGET = 60_000  # tickets x intents above which lbfgs logistic regression is too slow to cross-validate
SVM_C = 0.5
LR_C = 10.0
DEFAULT_PRECISION = 0.95
WORKERS = 2

Embed = Callable[[Sequence[str]], Any]  # texts -> (n, d) L2-normalised float32 matrix


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    accuracy: float
    macro_f1: float
    seconds: float  # cross-validation wall time


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


def _text_matrix(word: Any, char: Any, texts: Sequence[str], fit: bool = False) -> Any:
    import numpy as np
    import scipy.sparse as sp

    if fit:
        return sp.hstack([word.fit_transform(texts), char.fit_transform(texts)], format="csr", dtype=np.float32)
    return sp.hstack([word.transform(texts), char.transform(texts)], format="csr", dtype=np.float32)


EMB_C = 100.0  # sentence vectors are dense and few: weak regularisation (measured, BANKING77 at 10/intent)
FOLDS_LARGE, LARGE = 3, 5000  # above LARGE tickets 3 folds estimate as well as 5 and keep learn within budget


def _svm(c: float = SVM_C) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=c, dual=True, max_iter=2000)


def _lr(c: float = LR_C) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=300)


class SoftmaxRegression:
    """Multinomial logistic regression for dense features (sentence vectors), L2-penalised as scikit-learn's
    (C x summed log-loss + |W|^2 / 2), fitted by L-BFGS (``lbfgs``) on BLAS matrix products: far faster than
    scikit-learn's lbfgs on 10,000 x 384 (its per-sample loss loop dominates), same accuracy (BANKING77)."""

    def __init__(self, c: float = 100.0, max_iter: int = 100) -> None:
        self.c, self.max_iter = c, max_iter

    def fit(self, x: Any, y: Any) -> SoftmaxRegression:
        import numpy as np

        self.classes_ = np.unique(y)
        pos = np.searchsorted(self.classes_, y)
        x = np.asarray(x, dtype=np.float32)
        n, d = x.shape
        k = len(self.classes_)
        onehot = np.zeros((n, k), dtype=np.float32)
        onehot[np.arange(n), pos] = 1.0
        reg = 1.0 / (self.c * n)  # the objective divided by C*n: mean log-loss + |W|^2 / (2Cn)

        def loss(w: Any) -> tuple[float, Any]:
            weights, bias = w[:d * k].reshape(d, k).astype(np.float32), w[d * k:].astype(np.float32)
            z = x @ weights + bias
            z -= z.max(axis=1, keepdims=True)
            logsum = np.log(np.exp(z).sum(axis=1))
            value = float((logsum - z[np.arange(n), pos]).mean()) + 0.5 * reg * float((weights ** 2).sum())
            p = np.exp(z - logsum[:, None])
            p -= onehot
            grad_w = x.T @ p / n + reg * weights
            return value, np.concatenate([grad_w.ravel(), p.mean(axis=0)]).astype(np.float64)

        w = lbfgs(loss, np.zeros(d * k + k), self.max_iter)
        self.coef_ = w[:d * k].reshape(d, k).T.copy()
        self.intercept_ = w[d * k:].copy()
        return self

    def decision_function(self, x: Any) -> Any:
        import numpy as np

        return np.asarray(x, dtype=np.float64) @ self.coef_.T + self.intercept_


def lbfgs(fun: Callable[[Any], tuple[float, Any]], x0: Any, maxiter: int, memory: int = 10) -> Any:
    """Unbounded L-BFGS (two-loop recursion, backtracking Armijo line search) for a smooth convex loss that
    returns (value, gradient). scipy's L-BFGS-B spends ~2.5 s of its own per 100 iterations on 30k variables
    (its bound handling) where the loss itself costs 1.2 s: BANKING77's 10,003 vectors x 77 intents fit in
    1.5 s instead of 3.9 s here, to the same test accuracy (0.923 vs 0.921)."""
    import numpy as np

    x = np.array(x0, dtype=np.float64)
    fx, gx = fun(x)
    pairs: list[tuple[Any, Any, float]] = []  # (s, y, 1 / y.s), the newest last
    for _ in range(maxiter):
        q = gx.copy()
        alphas = []
        for s_, y_, rho in reversed(pairs):
            a = rho * float(s_ @ q)
            q -= a * y_
            alphas.append(a)
        if pairs:
            s_, y_, _ = pairs[-1]
            q *= float(s_ @ y_) / float(y_ @ y_)
        for (s_, y_, rho), a in zip(pairs, reversed(alphas), strict=True):
            q += (a - rho * float(y_ @ q)) * s_
        direction = -q
        slope = float(gx @ direction)
        if slope >= 0:  # not a descent direction: steepest descent this once
            direction, slope = -gx, -float(gx @ gx)
        step = 1.0 if pairs else min(1.0, 1.0 / max(float(np.abs(gx).sum()), 1e-12))
        for _ in range(20):
            nx = x + step * direction
            nf, ng = fun(nx)
            if nf <= fx + 1e-4 * step * slope:
                break
            step *= 0.5
        s_, y_ = nx - x, ng - gx
        sy = float(s_ @ y_)
        if sy > 1e-10:
            pairs.append((s_, y_, 1.0 / sy))
            del pairs[:-memory]
        x, fx, gx = nx, nf, ng
        if float(np.abs(gx).max()) < 1e-6:
            break
    return x


def _emb_lr() -> Any:
    return SoftmaxRegression(EMB_C)


def _candidates(n: int, k: int) -> dict[str, Callable[[], Any]]:
    out: dict[str, Callable[[], Any]] = {"word+char TF-IDF + linear SVM": _svm}
    if n * k <= LR_BUDGET:  # C by cross-validation: 10 wins on varied text, 1 on repetitive (templated) text
        out["word+char TF-IDF + logistic regression"] = _lr
        out["word+char TF-IDF + logistic regression, C=1"] = lambda: _lr(1.0)
    return out


def _scores(clf: Any, x: Any) -> Any:
    """Per-class scores as a (n, classes) matrix, two-class models included (one column -> two)."""
    import numpy as np

    s = clf.decision_function(x)
    if s.ndim == 1:
        s = np.column_stack([-s / 2, s / 2])
    return s


def fit_temperature(scores: Any, truth_idx: Any) -> float:
    """The softmax temperature that makes out-of-fold scores honest probabilities (least log-loss)."""
    import numpy as np

    best, best_t = math.inf, 1.0
    for t in np.geomspace(0.25, 64, 41):
        z = scores * t
        z = z - z.max(axis=1, keepdims=True)
        logp = z[np.arange(len(z)), truth_idx] - np.log(np.exp(z).sum(axis=1))
        loss = float(-logp.mean())
        if loss < best:
            best, best_t = loss, float(t)
    return best_t


def _softmax(scores: Any, t: float) -> Any:
    import numpy as np

    z = scores * t
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


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
            itself and learns from them too when that is better out of fold (``_self_train``).
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
            clf = make().fit(_text_matrix(word, char, [texts[i] for i in tr], fit=True), truth_idx[tr])
            return clf.classes_, _scores(clf, _text_matrix(word, char, [texts[i] for i in te]))

        cross_validate(name, text_fold)
    words_name = max(candidates, key=lambda n: _quality(oof[n], truth_idx))
    fusion = 0.0
    if emb is not None:
        def emb_fold(tr: Any, te: Any) -> tuple[Any, Any]:
            clf = _emb_lr().fit(emb[tr], truth_idx[tr])
            return clf.classes_, _scores(clf, emb[te])

        cross_validate(EMB_NAME, emb_fold)
        # one linear model over both: words' scores + fusion x the vectors' scores, the weight chosen out of fold
        fusion = max(FUSION_GRID, key=lambda a: _quality(oof[words_name] + a * oof[EMB_NAME], truth_idx))
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
    probs = _softmax(oof[kept.name], temperature)
    curve = Curve.from_predictions(probs.max(axis=1), probs.argmax(axis=1) == truth_idx)
    kind = words_name + (" + sentence vectors" if use_emb else "")
    progress(f"fitting {kind} on all {len(texts):,} tickets")
    started = time.perf_counter()
    make = candidates[words_name]
    final = _Pair.fit(make, texts, truth_idx, emb if use_emb else None, fusion, len(labels), parallel=True)
    fit_seconds = time.perf_counter() - started
    pool = _pool(unlabelled, texts, truth)
    self_labelled = 0
    if pool:
        learned = _self_train(pool, texts, truth_idx, emb if use_emb else None, split, make, final, temperature,
                              len(labels), embed, kept.name, progress)
        if learned is not None and _better(learned, kept, curve, truth_idx, precision):
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
FUSION_GRID = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)


def _quality(pred: Any, truth_idx: Any) -> float:
    return float((pred.argmax(axis=1) == truth_idx).mean())


def _full(clf: Any, n_labels: int) -> tuple[Any, Any]:
    """(coef, intercept) with one row per label, in label order (two-class models: the pair -s/2, s/2)."""
    import numpy as np

    coef = np.asarray(clf.coef_, dtype=np.float32)
    intercept = np.asarray(clf.intercept_, dtype=np.float32)
    if coef.shape[0] == 1:
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.concatenate([-intercept / 2, intercept / 2])
    full = np.zeros((n_labels, coef.shape[1]), dtype=np.float32)
    bias = np.full(n_labels, -1e3, dtype=np.float32)
    full[clf.classes_], bias[clf.classes_] = coef, intercept
    return full, bias


# -- learning from the unlabelled history (self-training) ------------------------------------------
# With ten labelled tickets an intent, the model labels the history nobody labelled and learns from the
# share it is surest of (BANKING77, 10 per intent, the rest of its training split as the unlabelled history,
# words + vectors: 0.836 -> 0.852 on the test split). Kept only when it is better out of fold: each fold's
# model labels the history without having seen the fold's held-out tickets, so the figures stay honest.

SELF_SHARE = 0.8  # of the tickets the model gives each intent, the most confident share is learnt from
SELF_MAX_PER_INTENT = 50  # with more labelled tickets than this an intent (median), labels are enough
SELF_POOL = 20_000  # unlabelled tickets read at most (a deterministic sample beyond)
SELF_NAME = " + unlabelled history, self-labelled"


@dataclass(slots=True)
class _Pair:
    """A fitted words model and, optionally, a sentence-vector model whose scores join at ``fusion``."""

    word: Any
    char: Any
    clf: Any
    vectors: Any | None
    fusion: float
    n_labels: int

    @classmethod
    def fit(cls, make: Callable[[], Any], texts: Sequence[str], y: Any, emb: Any | None, fusion: float,
            n_labels: int, *, parallel: bool = False) -> _Pair:
        word, char = vectorizers()
        if parallel and emb is not None:  # liblinear, lbfgs and BLAS release the GIL: both cores work
            with ThreadPoolExecutor(WORKERS) as pool:
                vec = pool.submit(_emb_lr().fit, emb, y)
                clf = make().fit(_text_matrix(word, char, texts, fit=True), y)
                return cls(word, char, clf, vec.result(), fusion, n_labels)
        clf = make().fit(_text_matrix(word, char, texts, fit=True), y)
        return cls(word, char, clf, None if emb is None else _emb_lr().fit(emb, y), fusion, n_labels)

    def scores(self, texts: Sequence[str], emb: Any | None) -> tuple[Any, Any | None]:
        """(words' scores, vectors' scores or None), one column per label (-1e3 for a label never seen)."""
        import numpy as np

        def wide(clf: Any, x: Any) -> Any:
            out = np.full((x.shape[0], self.n_labels), -1e3)
            out[:, clf.classes_] = _scores(clf, x)
            return out

        words = wide(self.clf, _text_matrix(self.word, self.char, texts))
        return words, (None if self.vectors is None or emb is None else wide(self.vectors, emb))

    def fused(self, texts: Sequence[str], emb: Any | None) -> Any:
        words, vec = self.scores(texts, emb)
        return words if vec is None else words + self.fusion * vec

    def coefficients(self) -> tuple[Any, Any]:
        import numpy as np

        coef, intercept = _full(self.clf, self.n_labels)
        if self.vectors is not None:
            ecoef, eintercept = _full(self.vectors, self.n_labels)
            coef, intercept = np.hstack([coef, self.fusion * ecoef]), intercept + self.fusion * eintercept
        return coef, intercept


@dataclass(frozen=True, slots=True)
class _SelfTrained:
    score: Score
    pair: _Pair
    curve: Curve
    temperature: float
    added: int
    fit_seconds: float
    cv_seconds: float


SELF_COVERAGE_LOSS = 0.10  # routed automatically at the workspace's precision: at most this much less


def _better(learned: _SelfTrained, kept: Score, curve: Curve, truth_idx: Any, precision: float) -> bool:
    """Is learning from the unlabelled history better, out of fold? More right (macro-F1), and routing about as
    many tickets automatically at the workspace's precision: BANKING77 words only at 10 an intent, self-training
    was right more often (0.754 -> 0.782) but its confidences sent 15% automatically instead of 41%."""
    if (learned.score.macro_f1, learned.score.accuracy) <= (kept.macro_f1, kept.accuracy):
        return False
    mine = learned.curve.at(learned.curve.threshold(precision))[0]
    return mine >= curve.at(curve.threshold(precision))[0] - SELF_COVERAGE_LOSS


def _pool(unlabelled: Sequence[str], texts: Sequence[str], truth: Sequence[str]) -> list[str]:
    """The unlabelled tickets worth learning from: some, not labelled already, and only when labels are few."""
    import random

    per_intent = sorted(Counter(truth).values())
    if not unlabelled or per_intent[len(per_intent) // 2] > SELF_MAX_PER_INTENT:
        return []
    seen = {" ".join(t.split()) for t in texts}
    pool = list(dict.fromkeys(t for t in unlabelled if t.strip() and " ".join(t.split()) not in seen))
    if len(pool) > SELF_POOL:
        pool = random.Random(0).sample(pool, SELF_POOL)
    return pool if len(pool) >= len(per_intent) else []


def _pseudo(scores: Any, temperature: float) -> tuple[Any, Any]:
    """(rows, labels): for each intent, the most confident SELF_SHARE of the tickets the model gives it."""
    import numpy as np

    probs = _softmax(scores, temperature)
    pred, conf = probs.argmax(axis=1), probs.max(axis=1)
    rows = []
    for c in np.unique(pred):
        mine = np.flatnonzero(pred == c)
        rows.append(mine[np.argsort(-conf[mine], kind="stable")][:math.ceil(SELF_SHARE * len(mine))])
    keep = np.sort(np.concatenate(rows)) if rows else np.zeros(0, dtype=int)
    return keep, pred[keep]


def _self_train(pool: list[str], texts: list[str], truth_idx: Any, emb: Any | None, split: list[Any],
                make: Callable[[], Any], labelled_model: _Pair, temperature: float, n_labels: int,
                embed: Embed | None, name: str, progress: Callable[[str], None]) -> _SelfTrained | None:
    import numpy as np
    from sklearn.metrics import f1_score

    pool_emb = None
    if emb is not None and embed is not None:
        progress(f"sentence vectors for {len(pool):,} unlabelled tickets")
        try:
            pool_emb = np.asarray(embed(pool), dtype=np.float32)
        except Exception as exc:  # noqa: BLE001 - as for the labelled tickets: words only then
            log.warning("Sentence vectors unavailable for the unlabelled history (%s)", exc)
            return None

    def learner(n: int) -> Callable[[], Any]:  # big sets: the SVM, as _candidates would choose
        return make if n * n_labels <= LR_BUDGET else _svm

    def grown(model: _Pair, rows: Any, y: Any) -> tuple[_Pair, int]:
        """``model`` refitted on its tickets and the pool's it labels itself; how many it labelled."""
        chosen, their = _pseudo(model.fused(pool, pool_emb), temperature)
        x_texts = [texts[i] for i in rows] + [pool[i] for i in chosen]
        x_emb = None if emb is None or pool_emb is None else np.vstack([emb[rows], pool_emb[chosen]])
        return _Pair.fit(learner(len(x_texts)), x_texts, np.concatenate([y, their]), x_emb,
                         model.fusion, n_labels, parallel=model is labelled_model), len(chosen)

    def fold(tr: Any, te: Any) -> tuple[Any, Any, Any | None]:
        first = _Pair.fit(make, [texts[i] for i in tr], truth_idx[tr], None if emb is None else emb[tr],
                          labelled_model.fusion, n_labels)
        words, vec = grown(first, tr, truth_idx[tr])[0].scores([texts[i] for i in te],
                                                                  None if emb is None else emb[te])
        return te, words, vec

    progress(f"learning from {len(pool):,} unlabelled tickets ({len(split)} folds)")
    started = time.perf_counter()
    oof_words = np.full((len(texts), n_labels), -1e3)
    oof_vec = np.full((len(texts), n_labels), -1e3) if emb is not None and pool_emb is not None else None
    with ThreadPoolExecutor(WORKERS) as workers:
        for te, words, vec in workers.map(lambda f: fold(*f), split):
            oof_words[te] = words
            if oof_vec is not None and vec is not None:
                oof_vec[te] = vec
    fusion = 0.0 if oof_vec is None else max(
        FUSION_GRID, key=lambda a: _quality(oof_words + a * oof_vec, truth_idx))
    oof = oof_words if oof_vec is None else oof_words + fusion * oof_vec
    cv_seconds = time.perf_counter() - started
    top = oof.argmax(axis=1)
    score = Score(name + SELF_NAME, float((top == truth_idx).mean()),
                  float(f1_score(truth_idx, top, average="macro", zero_division=0)), cv_seconds)
    started = time.perf_counter()
    progress(f"fitting on the labelled tickets and {len(pool):,} unlabelled ones")
    final, added = grown(labelled_model, np.arange(len(texts)), truth_idx)
    final.fusion = fusion
    temperature = fit_temperature(oof, truth_idx)
    probs = _softmax(oof, temperature)
    curve = Curve.from_predictions(probs.max(axis=1), probs.argmax(axis=1) == truth_idx)
    return _SelfTrained(score, final, curve, temperature, added, time.perf_counter() - started, cv_seconds)
