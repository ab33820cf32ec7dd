"""Discovery (issue 23, playbook step 1) beside TF-IDF + LSA + KMeans at the same number of buckets, same run.

For each corpus the labels are hidden, Assist's discovery (``assist.learning.discover.cluster``, k chosen by
silhouette) runs, and the textbook baseline (word TF-IDF, English stop words, LSA 100, KMeans) runs at the
k Assist ended with. Scored against the hidden labels: NMI, ARI, and the biggest bucket's share. Also with
sentence vectors when the offline encoder is installed, and the time to discover 3,000 tickets.
Corpora: BANKING77's 3,080 test messages and CLINC150's 4,500 (public; fetched snapshots, never committed),
and the generated provider history.

    python benchmarks/discovery.py
"""

from __future__ import annotations

import sys
import time

from _common import private_dirs
from public_sets import available, encoder

from assist.learning import discover
from assist.learning.history import HistoryTicket


def baseline(texts: list[str], k: int) -> list[int]:
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    x = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2).fit_transform(texts)
    z = normalize(TruncatedSVD(100, random_state=0).fit_transform(x))
    return [int(c) for c in KMeans(k, n_init=4, random_state=0).fit_predict(z)]


def labels_of(buckets: list[discover.Bucket], n: int) -> list[int]:
    out = [-1] * n
    for c, b in enumerate(buckets):
        for m in b.members:
            out[m] = c
    return out


def main() -> int:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    private_dirs()
    corpora = [(name, split[1]) for name, split in available()]
    from tests.support_corpus import generate

    corpora.append(("provider history (generated)", [(f"{r.subject}\n{r.body}", r.label)
                                                     for r in generate(3000, seed=5)]))
    embed = encoder()
    print(f"{'corpus':<30} {'method':<34} {'k':>4} {'NMI':>6} {'ARI':>6} {'biggest':>8} {'time':>6}")
    ok = True
    for name, data in corpora:
        texts, truth = [t for t, _ in data], [y for _, y in data]
        history = [HistoryTicket(str(i), "", t) for i, t in enumerate(texts)]
        moods = [0.0] * len(history)
        runs = [("Assist (words)", None)] + ([("Assist + sentence vectors", embed)] if embed else [])
        for label, emb in runs:
            started = time.perf_counter()
            buckets = discover.cluster(history, moods=moods, embed=emb)
            took = time.perf_counter() - started
            ours = labels_of(buckets, len(texts))
            k = len(buckets)
            started = time.perf_counter()
            base = baseline(texts, k)
            base_took = time.perf_counter() - started
            nmi_b, ari_b = normalized_mutual_info_score(truth, base), adjusted_rand_score(truth, base)
            nmi, ari = normalized_mutual_info_score(truth, ours), adjusted_rand_score(truth, ours)
            big_b = max(base.count(c) for c in set(base)) / len(base)
            big = max(b.share for b in buckets if not b.name.startswith("miscellaneous"))
            misc = sum(b.share for b in buckets if b.name.startswith("miscellaneous"))
            good = nmi >= nmi_b and ari >= ari_b and big <= 0.10
            ok &= good
            print(f"{name:<30} {'TF-IDF+LSA+KMeans (baseline)':<34} {k:>4} {nmi_b:>6.3f} {ari_b:>6.3f} "
                  f"{big_b:>8.1%} {base_took:>5.1f}s")
            print(f"{'':<30} {label:<34} {k:>4} {nmi:>6.3f} {ari:>6.3f} {big:>8.1%} {took:>5.1f}s  "
                  f"NMI {nmi - nmi_b:+.3f} -> {'met' if good else 'NOT met'}"
                  + (f" (miscellaneous {misc:.0%})" if misc else ""))
            print(f"{'':<30} names: {', '.join(b.name for b in buckets[:8])}")
    sample = [HistoryTicket(str(i), "", t) for i, (t, _) in enumerate(corpora[-1][1][:3000])]
    started = time.perf_counter()
    discover.cluster(sample, moods=[0.0] * len(sample))
    took = time.perf_counter() - started
    print(f"\ndiscover 3,000 tickets (words): {took:.1f} s -> {'met' if took <= 3 else 'NOT met'} (<= 3 s)")
    print(f"all discovery targets: {'met' if ok and took <= 3 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
