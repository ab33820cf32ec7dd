"""Discovery, step 1 of the playbook: the team's history in intent buckets, each scored on volume,
impact and emotion; a bucket high on two of the three is an automation candidate.

Unlabelled tickets are clustered (TF-IDF over words, LSA, k-means; scikit-learn) into candidate buckets
named by their distinctive terms; labelled tickets are bucketed by their label. The lead renames, merges,
splits and drops buckets (the Learn window, or ``assist learn`` for the ranked list and its report), then
accepts them: ``to_taxonomy`` turns them into the workspace's intents.
"""

from __future__ import annotations

import csv
import html
import io
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
           "im", "ive", "dont", "cant", "didnt", "doesnt", "isnt", "wont", "ok", "okay")


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


def rank(buckets: Sequence[Bucket]) -> list[Bucket]:
    """Mark each dimension high for the top third of buckets, then candidates first, by volume."""
    if not buckets:
        return []
    cut = max(1, round(len(buckets) / 3))

    def top(key: Callable[[Bucket], float]) -> set[str]:
        return {b.name for b in sorted(buckets, key=key, reverse=True)[:cut] if key(b) > 0}

    highs = {"volume": top(lambda b: b.volume), "impact": top(lambda b: b.impact + 10 * b.reopened),
             "emotion": top(lambda b: b.emotion)}
    marked = [replace(b, high=tuple(k for k, names in highs.items() if b.name in names)) for b in buckets]
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


def cluster(history: Sequence[HistoryTicket], k: int | None = None, moods: Sequence[float] | None = None,
            seed: int = 0) -> list[Bucket]:
    """Candidate buckets for unlabelled tickets, named by their distinctive terms."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    moods = moods if moods is not None else moods_of(history)
    texts = [t.text for t in history]
    n = len(texts)
    if n < 4:
        return rank([_measure(history, "all_tickets", (), range(n), moods)]) if n else []
    k = max(2, min(k or round((n / 2) ** 0.5), 60, n // 2))
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    vec = TfidfVectorizer(stop_words=sorted(ENGLISH_STOP_WORDS | set(CHATTER)), min_df=2 if n >= 50 else 1,
                          max_df=0.5, sublinear_tf=True, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
    x = vec.fit_transform(texts)
    if x.shape[1] < 2:
        return rank([_measure(history, "all_tickets", (), range(n), moods)])
    dims = max(2, min(100, x.shape[1] - 1, n - 1))
    z = normalize(TruncatedSVD(dims, random_state=seed).fit_transform(x))
    labels = KMeans(k, n_init=4, random_state=seed).fit_predict(z)
    terms = np.array(vec.get_feature_names_out())
    overall = np.asarray(x.mean(axis=0)).ravel()
    buckets, used = [], Counter[str]()
    for c in range(k):
        idx = np.flatnonzero(labels == c)
        if not len(idx):
            continue
        centre = np.asarray(x[idx].mean(axis=0)).ravel()
        distinct = tuple(str(t) for t in terms[np.argsort(-(centre - overall))[:6]])
        name = slug(distinct[:2])
        used[name] += 1
        if used[name] > 1:
            name = f"{name}_{used[name]}"
        bucket = _measure(history, name, distinct, [int(i) for i in idx], moods)
        # examples: the members nearest the bucket's centre read as the bucket
        sims = z[idx] @ normalize(z[idx].mean(axis=0, keepdims=True)).ravel()
        near = [int(idx[j]) for j in np.argsort(-sims)[:5]]
        buckets.append(replace(bucket, examples=tuple(history[i].body.strip()[:240] for i in near)))
    return rank(buckets)


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

COLUMNS = ("bucket", "tickets", "share", "impact", "reopened", "frustrated", "high on", "candidate",
           "distinctive terms", "example")


def to_csv(buckets: Sequence[Bucket], impact_unit: str = "min") -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([c if c != "impact" else f"impact ({impact_unit})" for c in COLUMNS])
    for b in buckets:
        w.writerow([b.name, b.volume, f"{b.share:.3f}", b.impact, f"{b.reopened:.3f}", f"{b.emotion:.3f}",
                    " ".join(b.high), "yes" if b.candidate else "", " ".join(b.terms),
                    b.examples[0] if b.examples else ""])
    return out.getvalue()


def _bars(buckets: Sequence[Bucket], value: Callable[[Bucket], float], title: str, fmt: str) -> str:
    width, row, label_w = 640, 18, 190
    top = max((value(b) for b in buckets), default=0) or 1
    h = row * len(buckets) + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" role="img" '
             f'aria-label="{html.escape(title)}"><text x="0" y="12" font-size="12" font-weight="bold">'
             f'{html.escape(title)}</text>']
    for n, b in enumerate(buckets):
        y = 20 + n * row
        w = (width - label_w - 60) * value(b) / top
        colour = "#2b7a4b" if b.candidate else "#8a94a6"
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" font-size="11" text-anchor="end">'
                     f'{html.escape(b.name[:30])}</text><rect x="{label_w}" y="{y + 2}" width="{w:.1f}" '
                     f'height="{row - 5}" fill="{colour}"/><text x="{label_w + w + 4:.1f}" y="{y + 12}" '
                     f'font-size="11">{fmt.format(value(b))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(buckets: Sequence[Bucket], title: str, impact_unit: str = "min") -> str:
    """A self-contained page (inline SVG, no script, nothing remote) a lead can forward."""
    cands = [b for b in buckets if b.candidate]
    rows = "".join(
        "<tr{}><td>{}</td><td>{}</td><td>{:.0%}</td><td>{}</td><td>{:.0%}</td><td>{:.0%}</td><td>{}</td>"
        "<td>{}</td><td>{}</td></tr>".format(
            ' class="cand"' if b.candidate else "", html.escape(b.name), b.volume, b.share, b.impact,
            b.reopened, b.emotion, html.escape(", ".join(b.high)), html.escape(", ".join(b.terms)),
            html.escape(b.examples[0][:160] if b.examples else ""))
        for b in buckets)
    charts = "".join(f"<figure>{_bars(buckets, f, t, fmt)}</figure>" for f, t, fmt in (
        (lambda b: b.volume, "Volume (tickets)", "{:.0f}"),
        (lambda b: b.impact, f"Impact (mean handle, {impact_unit})", "{:.1f}"),
        (lambda b: b.emotion * 100, "Emotion (% frustrated)", "{:.0f}%")))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{{font:14px system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}}
tr.cand td:first-child{{font-weight:bold;color:#2b7a4b}}figure{{margin:1em 0}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{len(buckets)} buckets from {sum(b.volume for b in buckets):,} tickets. Each is scored on volume, impact and
emotion; a bucket in the top third on two of the three is an <b>automation candidate</b>
({len(cands)}: {html.escape(", ".join(b.name for b in cands) or "none")}).</p>
{charts}
<table><tr><th>Bucket</th><th>Tickets</th><th>Share</th><th>Impact ({impact_unit})</th><th>Reopened</th>
<th>Frustrated</th><th>High on</th><th>Distinctive terms</th><th>Example</th></tr>{rows}</table>
</body></html>"""


async def model_names(buckets: Sequence[Bucket], tier: Any, api_key: str | None, *, redact: bool) -> list[Bucket]:
    """Ask the fast model (through the masked gateway) for a short intent name per bucket; a bucket whose
    answer is missing or not a usable name keeps its term name. Never raises: naming is a nicety."""
    from assist import llm
    from assist.errors import LLMError

    lines = [f"{n}. terms: {', '.join(b.terms[:6])}; examples: " + " | ".join(e[:160] for e in b.examples[:3])
             for n, b in enumerate(buckets, start=1)]
    prompt = ("These are buckets of a support team's tickets. Name each bucket's intent in 1-3 lowercase words "
              "joined by underscores (for example: late_delivery). Answer with one line per bucket: "
              "'<number>: <name>'.\n\n" + "\n".join(lines))
    try:
        answer = (await llm.complete([{"role": "user", "content": prompt}], tier, api_key, redact=redact,
                                     max_tokens=20 * len(buckets) + 20)).text
    except LLMError:
        return list(buckets)
    named: dict[int, str] = {}
    for line in answer.splitlines():
        m = re.match(r"\s*(\d+)\s*[:.)-]\s*([A-Za-z][\w -]{1,40})\s*$", line)
        if m:
            named[int(m.group(1))] = slug(m.group(2).split())
    out, taken = [], set()
    for n, b in enumerate(buckets, start=1):
        name = named.get(n, "")
        if not name or name in taken or not taxonomy_name(name):
            name = b.name
        taken.add(name)
        out.append(replace(b, name=name))
    return out


def taxonomy_name(name: str) -> bool:
    return bool(re.match(r"^[a-z0-9][a-z0-9_]{0,62}$", name)) and name != "other"
