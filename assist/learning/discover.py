"""Discovery, step 1 of the playbook: the team's history in intent buckets, each scored on volume,
impact and emotion; a bucket high on two of the three is an automation candidate.

Unlabelled tickets are clustered (TF-IDF over words, LSA, k-means; scikit-learn) into candidate buckets
named by their distinctive terms; labelled tickets are bucketed by their label. The lead renames, merges,
splits and drops buckets (the Learn window, or ``assist learn`` for the ranked list and its report), then
accepts them: ``to_taxonomy`` turns them into the workspace's intents.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from statistics import mean
from typing import Any

from assist.learning.history import HistoryTicket
from assist.routing import sentiment
from assist.taxonomy import Intent, Taxonomy

NEGATIVE = -0.3  # a ticket below this sentiment counts as frustrated
# Greetings, sign-offs and filler every ticket has: clustered on, they make buckets of politeness
# ("sir_madam", "thanks_advance") instead of topics.
CHATTER = ("hi", "hello", "hey", "hiya", "dear", "sir", "madam", "morning", "afternoon", "evening", "thanks",
           "thank", "thx", "cheers", "regards", "kind", "best", "advance", "please", "pls", "plz", "asap",
           "help", "question", "query", "urgent", "wondering", "just", "basically", "quick", "sure",
           "ask", "asking", "called", "already", "said", "tell", "know", "get", "got", "back", "someone",
           "im", "ive", "dont", "cant", "didnt", "doesnt", "isnt", "wont", "ok", "okay",
           # function verbs and fillers that say how a customer asks, not what about ("how long does")
           "does", "did", "doing", "done", "happen", "happened", "happening", "supposed", "long", "shows",
           "showing", "left", "start", "started", "want", "need", "needed", "like", "make", "sure", "way")


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    terms: tuple[str, ...]  # what sets it apart, most distinctive first
    members: tuple[int, ...]  # indexes into the history
    volume: int
    share: float
    impact: float  # mean handle minutes (or replies per ticket when the history has no handle time)
    reopened: float  # share reopened
    emotion: float  # share of frustrated tickets
    examples: tuple[str, ...] = ()
    high: tuple[str, ...] = ()  # which of volume / impact / emotion are high (top third of buckets)

    @property
    def candidate(self) -> bool:
        return len(self.high) >= 2


def slug(words: Sequence[str], limit: int = 40) -> str:
    name = "_".join(re.sub(r"[^a-z0-9]+", "_", w.lower()).strip("_") for w in words if w)[:limit].strip("_")
    return name if name and name[0].isalnum() else f"bucket_{name}".strip("_")


def _measure(history: Sequence[HistoryTicket], name: str, terms: tuple[str, ...], members: Sequence[int],
             moods: Sequence[float]) -> Bucket:
    tickets = [history[i] for i in members]
    handle = [t.handle_minutes for t in tickets if t.handle_minutes is not None]
    impact = mean(handle) if handle else (mean(t.replies for t in tickets) if tickets else 0.0)
    examples = tuple(dict.fromkeys(t.body.strip()[:240] for t in tickets if t.body.strip()))[:5]
    return Bucket(name, terms, tuple(members), len(members), len(members) / max(1, len(history)),
                  round(impact, 1), round(mean(t.reopened for t in tickets), 3) if tickets else 0.0,
                  round(mean(moods[i] < NEGATIVE for i in members), 3) if members else 0.0, examples)


NO_IMPACT = "no handle-time data"


def impact_unit(history: Sequence[HistoryTicket]) -> str:
    """What a bucket's impact counts: handle minutes, else agent replies, else "" (the history has neither)."""
    if any(t.handle_minutes is not None for t in history):
        return "min"
    return "replies" if any(t.replies for t in history) else ""


def impact_text(bucket: Bucket, unit: str) -> str:
    return f"{bucket.impact:.1f} {unit}" if unit else NO_IMPACT


def rank(buckets: Sequence[Bucket]) -> list[Bucket]:
    """Mark each dimension high for the top third of buckets, then candidates first, by volume."""
    if not buckets:
        return []
    cut = max(1, round(len(buckets) / 3))

    def top(key: Callable[[Bucket], float]) -> set[str]:
        return {b.name for b in sorted(buckets, key=key, reverse=True)[:cut] if key(b) > 0}

    highs = {"volume": top(lambda b: b.volume), "impact": top(lambda b: b.impact + 10 * b.reopened),
             "emotion": top(lambda b: b.emotion)}
    marked = [replace(b, high=() if b.name.startswith("miscellaneous") else
                      tuple(k for k, names in highs.items() if b.name in names)) for b in buckets]
    return sorted(marked, key=lambda b: (-len(b.high), -b.volume, b.name))


def moods_of(history: Sequence[HistoryTicket], taxonomy: Taxonomy | None = None) -> list[float]:
    return [sentiment(t.body, taxonomy) for t in history]


def by_label(history: Sequence[HistoryTicket], moods: Sequence[float] | None = None) -> list[Bucket]:
    """Buckets of a labelled history: one per label."""
    moods = moods if moods is not None else moods_of(history)
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(history):
        if t.label:
            groups.setdefault(t.label, []).append(i)
    return rank([_measure(history, label, (), idx, moods) for label, idx in groups.items()])


_WORD = re.compile(r"[a-z]+(?:['’][a-z]+)?")
MAX_SHARE = 0.10  # a bucket above this share of tickets is split, or called miscellaneous


def _words(text: str) -> list[str]:
    """Whole words for names ("didn't" stays one word and, like every contraction, is not a name)."""
    return [w for w in _WORD.findall(text.lower()) if "'" not in w and "’" not in w]


def _phrase_vectorizer(n: int) -> Any:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    stop = ENGLISH_STOP_WORDS | set(CHATTER)
    return TfidfVectorizer(analyzer=lambda t: _phrases(t, stop), min_df=2 if n >= 50 else 1, max_df=0.5,
                           sublinear_tf=True)


def _phrases(text: str, stop: frozenset[str] | set[str]) -> list[str]:
    words = [w for w in _words(text) if len(w) > 1]
    keep = [w for w in words if w not in stop and not w.isdigit()]
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if a not in stop and b not in stop]
    return keep + pairs


def vectors(texts: Sequence[str], embed: Callable[[Sequence[str]], Any] | None = None, seed: int = 0) -> Any:
    """One row per ticket for clustering: its sentence vector when an encoder is on, else word 1-2 + char
    2-5 TF-IDF reduced by LSA (measured on BANKING77's 3,080 test messages at k=77: NMI 0.66 against 0.63
    for words-only LSA; sentence vectors 0.73)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    if embed is not None:
        import numpy as np

        return normalize(np.asarray(embed(list(texts)), dtype=np.float32))
    import scipy.sparse as sp

    from assist.learning.features import vectorizers

    word, char = vectorizers()
    if len(texts) >= 50:  # grams seen once say nothing of a group, and cost time
        word.set_params(min_df=2)
        char.set_params(min_df=2, max_features=40_000)
    x = sp.hstack([word.fit_transform(texts), char.fit_transform(texts)], format="csr")
    dims = max(2, min(150, x.shape[1] - 1, len(texts) - 1))  # 150 beat 100 on all three benchmark corpora
    return normalize(TruncatedSVD(dims, n_iter=3, random_state=seed).fit_transform(x))


def choose_k(z: Any, seed: int = 0) -> int:
    """The number of buckets with the best silhouette (cosine, on up to 2,000 tickets) over a grid between
    a handful and ~n/15 (up to 1,500 tickets sampled): stable from run to run, never one bucket per ticket."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(z)
    lo, hi = max(2, min(8, n // 10)), max(3, min(120, n // 15))
    if hi <= lo:
        return lo
    grid = sorted({int(round(k)) for k in np.geomspace(lo, hi, 7)})
    rng = np.random.default_rng(seed)
    sample = rng.choice(n, size=min(n, 1500), replace=False)
    best, best_k = -1.0, grid[0]
    for k in grid:
        labels = KMeans(k, n_init=1, random_state=seed).fit_predict(z[sample])
        score = float(silhouette_score(z[sample], labels, metric="cosine"))
        if score > best:
            best, best_k = score, k
    return best_k


def _assign(z: Any, k: int, seed: int, sentence_vectors: bool) -> Any:
    from sklearn.cluster import AgglomerativeClustering, KMeans

    if sentence_vectors and len(z) <= 20_000:  # Ward on sentence vectors: NMI 0.73 vs k-means 0.71 (BANKING77)
        return AgglomerativeClustering(k, linkage="ward").fit_predict(z)
    return KMeans(k, n_init=4, random_state=seed).fit_predict(z)


def cluster(history: Sequence[HistoryTicket], k: int | None = None, moods: Sequence[float] | None = None,
            seed: int = 0, embed: Callable[[Sequence[str]], Any] | None = None) -> list[Bucket]:
    """Candidate buckets for unlabelled tickets, named by whole-word phrases that set them apart.

    ``k`` None: chosen by silhouette. A bucket over ``MAX_SHARE`` of the tickets is split while that makes
    smaller buckets; what still is over it is called miscellaneous and never an automation candidate. Buckets
    whose names say the same words ("rate_exchange", "rates_exchange") are merged."""
    import numpy as np

    moods = moods if moods is not None else moods_of(history)
    texts = [" ".join(t.text.split()) for t in history]  # the same tickets read from JSONL or CSV: same text
    n = len(texts)
    if n < 4:
        return rank([_measure(history, "all_tickets", (), range(n), moods)]) if n else []
    z = vectors(texts, embed, seed)
    cap = k is None  # a number of buckets asked for (a split, a lead's choice) is kept as asked
    k = max(2, min(k or choose_k(z, seed), n // 2))
    labels = _assign(z, k, seed, embed is not None)
    # split catch-all buckets (two pieces at a time) while they are over the share
    for _ in range(k if cap else 0):
        sizes = np.bincount(labels)
        big = int(sizes.argmax())
        if sizes[big] <= max(MAX_SHARE * n, 4):
            break
        idx = np.flatnonzero(labels == big)
        from sklearn.cluster import KMeans

        sub = KMeans(2, n_init=4, random_state=seed).fit_predict(z[idx])
        if min(np.bincount(sub, minlength=2)) < 2:
            break
        labels[idx[sub == 1]] = labels.max() + 1
    phrases = _phrase_vectorizer(n)
    try:
        x = phrases.fit_transform(texts)
        terms = np.array(phrases.get_feature_names_out())
    except ValueError:  # no word occurs twice
        x, terms = None, np.array([])
    overall = np.asarray(x.mean(axis=0)).ravel() if x is not None else None
    groups: dict[str, list[int]] = {}
    named: dict[str, tuple[str, ...]] = {}
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        distinct: tuple[str, ...] = ()
        if x is not None and overall is not None:
            centre = np.asarray(x[idx].mean(axis=0)).ravel()
            lift = centre - overall
            distinct = tuple(str(terms[j]) for j in np.argsort(-lift)[:8] if lift[j] > 0)
        name = _name(distinct)
        key = _stem_key(name)
        merged_into = next((g for g in groups if _stem_key(g) == key), None)
        if merged_into is not None:  # near-duplicate names: one bucket
            groups[merged_into] += [int(i) for i in idx]
            continue
        groups[name] = [int(i) for i in idx]
        named[name] = distinct[:6]
    buckets = []
    used = Counter[str]()
    for name, members in groups.items():
        used[name] += 1
        final = name if used[name] == 1 else f"{name}_{used[name]}"
        if cap and len(members) > MAX_SHARE * n and n >= 40:
            final = "miscellaneous" if "miscellaneous" not in used else f"miscellaneous_{len(used)}"
            used[final] += 1
        bucket = _measure(history, final, named[name], members, moods)
        idx = np.array(members)
        centre = z[idx].mean(axis=0)
        sims = z[idx] @ (centre / (np.linalg.norm(centre) or 1.0))
        near = [int(idx[j]) for j in np.argsort(-sims)[:5]]
        buckets.append(replace(bucket, examples=tuple(history[i].body.strip()[:240] for i in near)))
    return rank(buckets)


def _name(distinct: Sequence[str]) -> str:
    """A readable phrase: the most distinctive two-word phrase when it leads, else the two leading words."""
    if not distinct:
        return "bucket"
    stem = _snowball
    first = distinct[0]
    if " " in first:
        return slug(first.split())
    pair = next((d for d in distinct[:5] if " " in d and first in d.split()
                 and len({stem(w) for w in d.split()}) == 2), None)  # "exchange rate", not "charge charged"
    if pair:
        return slug(pair.split())
    second = next((d for d in distinct[1:] if " " not in d and stem(d) != stem(first)), "")
    return slug([first, second] if second else [first])


def _snowball(word: str) -> str:
    import Stemmer

    return str(Stemmer.Stemmer("english").stemWord(word))


def _stem_key(name: str) -> frozenset[str]:
    """What a name says, whatever the word forms ("activating_sim" and "activate_sim" say the same)."""
    return frozenset(_snowball(w) for w in name.split("_") if w and not w.isdigit())


def merge(history: Sequence[HistoryTicket], buckets: Sequence[Bucket], names: Sequence[str], into: str,
          moods: Sequence[float]) -> list[Bucket]:
    """One bucket named ``into`` from the buckets ``names``; the others unchanged."""
    picked = [b for b in buckets if b.name in names]
    members = sorted({m for b in picked for m in b.members})
    terms = tuple(dict.fromkeys(t for b in picked for t in b.terms))[:6]
    merged = _measure(history, into, terms, members, moods)
    return rank([b for b in buckets if b.name not in names] + [merged])


def split(history: Sequence[HistoryTicket], buckets: Sequence[Bucket], name: str, moods: Sequence[float],
          parts: int = 2) -> list[Bucket]:
    """Re-cluster one bucket into ``parts``."""
    target = next(b for b in buckets if b.name == name)
    sub = [history[i] for i in target.members]
    pieces = cluster(sub, parts, [moods[i] for i in target.members])
    out = [b for b in buckets if b.name != name]
    taken = {b.name for b in out}
    for p in pieces:
        members = [target.members[i] for i in p.members]
        new = f"{name}_{p.name}" if p.name in taken else p.name
        out.append(replace(_measure(history, new, p.terms, members, moods), examples=p.examples))
    return rank(out)


def drop(buckets: Sequence[Bucket], names: Sequence[str]) -> list[Bucket]:
    return rank([b for b in buckets if b.name not in names])


def rename(buckets: Sequence[Bucket], old: str, new: str) -> list[Bucket]:
    new = slug([new])
    if any(b.name == new for b in buckets if b.name != old):
        raise ValueError(f"a bucket is already called {new!r}")
    return [replace(b, name=new) if b.name == old else b for b in buckets]


def to_taxonomy(buckets: Sequence[Bucket], base: Taxonomy, history: Sequence[HistoryTicket]) -> Taxonomy:
    """The accepted buckets as intents (existing intents of the same name keep their settings)."""
    intents = list(base.intents)
    have = {i.name for i in intents}
    for b in buckets:
        if b.name in have:
            continue
        examples = tuple(dict.fromkeys(history[i].text.replace("\n", " ").strip()[:300]
                                       for i in b.members))[:12]
        intents.append(Intent(name=b.name, title=b.name.replace("_", " ").capitalize(),
                              description=("Distinctive words: " + ", ".join(b.terms)) if b.terms else "",
                              retrieval=" ".join(b.terms[:4]), examples=examples))
    return base.with_intents(intents)


def labelled_by(history: Sequence[HistoryTicket], buckets: Sequence[Bucket]) -> list[HistoryTicket]:
    """The history with each ticket labelled by its accepted bucket (dropped buckets' tickets unlabelled)."""
    label = {m: b.name for b in buckets for m in b.members}
    return [replace(t, label=label.get(i, t.label)) for i, t in enumerate(history)]


# -- report -------------------------------------------------------------------------------------

def taxonomy_name(name: str) -> bool:
    return bool(re.match(r"^[a-z0-9][a-z0-9_]{0,62}$", name)) and name != "other"
