"""The fitting pieces the router's training is made of (``assist.learning.train``, ``self_training``): text
features into a matrix, the linear learners, the softmax regression for sentence vectors with its own L-BFGS,
scores to calibrated probabilities, and a fitted words model with its sentence-vector model (``Pair``).

scikit-learn and scipy are imported inside the functions: never at start-up, never for routing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from assist.learning.features import vectorizers

LR_BUDGET = 60_000  # tickets x intents above which lbfgs logistic regression is too slow to cross-validate
SVM_C = 0.5
LR_C = 10.0
WORKERS = 2  # liblinear, lbfgs and BLAS release the GIL: two fits at a time use both cores


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    accuracy: float
    macro_f1: float
    seconds: float  # cross-validation wall time


def text_matrix(word: Any, char: Any, texts: Sequence[str], fit: bool = False) -> Any:
    import numpy as np
    import scipy.sparse as sp

    if fit:
        return sp.hstack([word.fit_transform(texts), char.fit_transform(texts)], format="csr", dtype=np.float32)
    return sp.hstack([word.transform(texts), char.transform(texts)], format="csr", dtype=np.float32)


EMB_C = 100.0  # sentence vectors are dense and few: weak regularisation (measured, BANKING77 at 10/intent)


def svm(c: float = SVM_C) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=c, dual=True, max_iter=2000)


def lr(c: float = LR_C) -> Any:
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


def emb_lr() -> Any:
    return SoftmaxRegression(EMB_C)


def class_scores(clf: Any, x: Any) -> Any:
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


def softmax(scores: Any, t: float) -> Any:
    import numpy as np

    z = scores * t
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


FUSION_GRID = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)


def quality(pred: Any, truth_idx: Any) -> float:
    return float((pred.argmax(axis=1) == truth_idx).mean())


def full_coefficients(clf: Any, n_labels: int) -> tuple[Any, Any]:
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


@dataclass(slots=True)
class Pair:
    """A fitted words model and, optionally, a sentence-vector model whose scores join at ``fusion``."""

    word: Any
    char: Any
    clf: Any
    vectors: Any | None
    fusion: float
    n_labels: int

    @classmethod
    def fit(cls, make: Callable[[], Any], texts: Sequence[str], y: Any, emb: Any | None, fusion: float,
            n_labels: int, *, parallel: bool = False) -> Pair:
        word, char = vectorizers()
        if parallel and emb is not None:  # liblinear, lbfgs and BLAS release the GIL: both cores work
            with ThreadPoolExecutor(WORKERS) as pool:
                vec = pool.submit(emb_lr().fit, emb, y)
                clf = make().fit(text_matrix(word, char, texts, fit=True), y)
                return cls(word, char, clf, vec.result(), fusion, n_labels)
        clf = make().fit(text_matrix(word, char, texts, fit=True), y)
        return cls(word, char, clf, None if emb is None else emb_lr().fit(emb, y), fusion, n_labels)

    def scores(self, texts: Sequence[str], emb: Any | None) -> tuple[Any, Any | None]:
        """(words' scores, vectors' scores or None), one column per label (-1e3 for a label never seen)."""
        import numpy as np

        def wide(clf: Any, x: Any) -> Any:
            out = np.full((x.shape[0], self.n_labels), -1e3)
            out[:, clf.classes_] = class_scores(clf, x)
            return out

        words = wide(self.clf, text_matrix(self.word, self.char, texts))
        return words, (None if self.vectors is None or emb is None else wide(self.vectors, emb))

    def fused(self, texts: Sequence[str], emb: Any | None) -> Any:
        words, vec = self.scores(texts, emb)
        return words if vec is None else words + self.fusion * vec

    def coefficients(self) -> tuple[Any, Any]:
        import numpy as np

        coef, intercept = full_coefficients(self.clf, self.n_labels)
        if self.vectors is not None:
            ecoef, eintercept = full_coefficients(self.vectors, self.n_labels)
            coef, intercept = np.hstack([coef, self.fusion * ecoef]), intercept + self.fusion * eintercept
        return coef, intercept
