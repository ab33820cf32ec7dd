"""Routing: classify a ticket (intent, complexity, risk, sentiment, duplicates) and pick a tier.

Pure functions over domain objects and the workspace's taxonomy (``assist.taxonomy``): no intent is
named here. Hard triggers (resources/triggers.toml: legal, refund exception, accessibility, abuse,
self-harm, manager, asks for a human, account takeover, chargeback; plus the workspace's own) route to
``human`` before any model sees the ticket; otherwise the first matching rule of the declarative routing
table picks the tier, then the intent's own tier, then the default; a tier with no model configured
falls back to the offline tier, saying so.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from assist.domain import AuthorRole, BodyFormat, Customer, Route, Ticket, TicketId, TicketStatus, Tier, Trigger
from assist.settings import RoutingRule, Settings
from assist.taxonomy import OTHER, Taxonomy, builtin_rules
from assist.text import content_stems, message_text

# -- intents ------------------------------------------------------------------------------------


class Classifier(Protocol):
    def predict(self, text: str) -> list[tuple[str, float]]:
        """Intents with probabilities, most likely first."""
        ...


def _features(text: str) -> list[str]:
    # Presence of stemmed content words: measured best on held-out demo tickets (leave-one-out
    # 0.84 against 0.75 for word counts with bigrams).
    return content_stems(text)


class IntentClassifier:
    """Multinomial naive Bayes over stemmed words, trained from labelled example tickets.

    Trains in milliseconds with no dependency, so a taxonomy's few examples route at once; a workspace
    that learned from its history uses the linear model ``assist learn`` keeps (``assist.learning``).
    """

    def __init__(self, priors: dict[str, float], likelihood: dict[str, dict[str, float]],
                 unseen: dict[str, float]) -> None:
        self._priors = priors
        self._likelihood = likelihood
        self._unseen = unseen

    @classmethod
    def train(cls, examples: Iterable[tuple[str, str]]) -> IntentClassifier:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        docs: Counter[str] = Counter()
        for text, intent in examples:
            counts[intent].update(_features(text))
            docs[intent] += 1
        vocab = set().union(*counts.values()) if counts else set()
        total_docs = sum(docs.values())
        priors = {i: math.log(n / total_docs) for i, n in docs.items()}
        likelihood, unseen = {}, {}
        for intent, c in counts.items():
            denom = sum(c.values()) + len(vocab)
            likelihood[intent] = {w: math.log((n + 1) / denom) for w, n in c.items()}
            unseen[intent] = math.log(1 / denom)
        return cls(priors, likelihood, unseen)

    def predict(self, text: str) -> list[tuple[str, float]]:
        """Intents with probabilities, most likely first."""
        feats = _features(text)
        if not feats or not self._priors:
            return [(OTHER, 1.0)]
        scores = {
            intent: prior + sum(self._likelihood[intent].get(f, self._unseen[intent]) for f in feats)
            for intent, prior in self._priors.items()
        }
        top = max(scores.values())
        exp = {i: math.exp(s - top) for i, s in scores.items()}
        total = sum(exp.values())
        return sorted(((i, e / total) for i, e in exp.items()), key=lambda p: -p[1])


# -- hard triggers ------------------------------------------------------------------------------

HUMAN = "human"  # the built-in trigger kind the learned detector adds to
SCAN_CHARS = 64_000  # of what the customer wrote, read by the trigger patterns (RE2: linear, but not free)


def hard_triggers(text: str, taxonomy: Taxonomy | None = None,
                  embed: Callable[[Sequence[str]], Any] | None = None) -> list[Trigger]:
    """Built-in triggers (resources/triggers.toml) and the workspace's own, each at most once; asking for a
    human also when the learned detector reads it in a sentence the patterns miss (with sentence vectors
    when ``embed``, the workspace's encoder, is given)."""
    rules = taxonomy or builtin_rules()
    if len(text) > SCAN_CHARS:  # the opening and the latest messages: a 200 KB paste costs what 64 KB does
        text = text[:SCAN_CHARS // 2] + "\n" + text[-SCAN_CHARS // 2:]
    fired = []
    for kind, reason, patterns in rules.compiled_triggers:
        for pattern in patterns:
            m = pattern.search(text)
            if m:
                fired.append(Trigger(kind, reason, m.group(0)))
                break
    if not any(t.kind == HUMAN for t in fired):
        detector = rules.human_detector
        sentence = detector.fired(text, embed) if detector is not None else None
        if sentence:
            spec = rules.trigger(HUMAN)
            fired.append(Trigger(HUMAN, spec.reason if spec else "asks for a human", sentence[:120]))
    return fired


# -- signals ------------------------------------------------------------------------------------

_SECURITY = re.compile(r"\b(?:hacked|didn'?t do this|don'?t recogni[sz]e|unauthori[sz]ed|fraud|stolen)\b",
                       re.IGNORECASE)
_AMOUNT = re.compile(r"[$€£]\s?(\d+(?:[.,]\d{2})?)")


def sentiment(text: str, taxonomy: Taxonomy | None = None) -> float:
    """-1 (furious) .. 1 (delighted): VADER's compound score (a maintained general lexicon that reads
    negation, "so"/"very", caps and "!!"), lowered by each support frustration marker it cannot know
    ("third time", "still waiting"; built in and the workspace's own)."""
    rules = taxonomy or builtin_rules()
    text = text[:5000]
    score = float(rules.vader.polarity_scores(text)["compound"])
    markers = len(rules.frustration.findall(text))
    return round(max(-1.0, min(1.0, score - 0.3 * markers)), 2)


CUSTOMER_TEXT_BUDGET = 20_000  # characters: a 10k-message thread is read as its opening and its newest words


def customer_messages(ticket: Ticket, budget: int = CUSTOMER_TEXT_BUDGET) -> list[str]:
    """What the customer wrote, message by message as plain text (HTML stripped, each capped), in order: the
    opening message and then the newest ones that fit in ``budget`` characters (a thread of thousands of
    messages costs routing, drafting and the escalation hint no more than a long one)."""
    mine = [m for m in ticket.messages if m.role is AuthorRole.CUSTOMER]
    if not mine:
        return []
    first = message_text(mine[0].body, mine[0].body_format is not BodyFormat.TEXT)
    left, newest = budget - len(first), []
    for m in reversed(mine[1:]):
        if left <= 0:
            break
        text = message_text(m.body, m.body_format is not BodyFormat.TEXT)[:left]
        newest.append(text)
        left -= len(text) + 1
    return [first, *newest[::-1]]


def customer_text(ticket: Ticket) -> str:
    """What the customer wrote, as plain text (see ``customer_messages``)."""
    return "\n".join(customer_messages(ticket))


def complexity(ticket: Ticket, intents: list[tuple[str, float]]) -> str:
    customer_msgs = sum(m.role is AuthorRole.CUSTOMER for m in ticket.messages)
    length = len(customer_text(ticket))  # bounded: a huge thread is "high" by its message count anyway
    mixed = len(intents) > 1 and intents[1][1] > 0.25
    if customer_msgs > 4 or length > 2000 or (mixed and customer_msgs > 2):
        return "high"
    if customer_msgs > 1 or length > 600 or mixed:
        return "medium"
    return "low"


def risk(intent: str, text: str, taxonomy: Taxonomy) -> str:
    """High on security words or an amount above the intent's ``high_risk_over``; else its base risk."""
    info = taxonomy.get(intent)
    if _SECURITY.search(text):
        return "high"
    if info is None:
        return "low"
    if info.high_risk_over is not None:
        amounts = [float(a.replace(",", ".")) for a in _AMOUNT.findall(text)]
        if any(a > info.high_risk_over for a in amounts):
            return "high"
    return info.base_risk


def likely_duplicates(
    ticket: Ticket, customer: Customer | None, intent: str, classifier: Classifier
) -> tuple[TicketId, ...]:
    """Other open tickets from the same requester that look like the same intent."""
    if customer is None or intent == OTHER:
        return ()
    open_statuses = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
    return tuple(
        t.id for t in customer.past_tickets
        if t.id != ticket.id and t.status in open_statuses
        and classifier.predict(t.subject)[0][0] == intent
    )


# -- the route ----------------------------------------------------------------------------------


def check_rules(settings: Settings, taxonomy: Taxonomy) -> None:
    """Routing rules naming an intent the workspace does not have are an error naming it."""
    for n, rule in enumerate(settings.routing.rules, start=1):
        taxonomy.check_names(rule.intent, f"routing rule {n} ({rule.why or rule.tier})")


def _rule_matches(rule: RoutingRule, intent: str, risk_: str, complexity_: str, mood: float) -> bool:
    return (
        (not rule.intent or intent in rule.intent)
        and (not rule.risk or risk_ in rule.risk)
        and (not rule.complexity or complexity_ in rule.complexity)
        and (rule.sentiment_below is None or mood < rule.sentiment_below)
    )


def route(
    ticket: Ticket,
    customer: Customer | None,
    settings: Settings,
    classifier: Classifier,
    taxonomy: Taxonomy,
    intent_override: str | None = None,
    threshold: float | None = None,
) -> Route:
    """Triggers first (human), then the first matching routing rule, then the intent's own tier, then
    the default. ``threshold`` is the classifier's calibrated abstain cut-off (settings' when None)."""
    text = customer_text(ticket)
    intents = classifier.predict(f"{ticket.subject}\n{text}")
    intent, confidence = intents[0]
    cutoff = settings.routing.min_intent_confidence if threshold is None else threshold
    candidates = tuple((i, round(p, 3)) for i, p in intents[:3] if taxonomy.get(i) is not None and p >= 0.05)
    review = False
    if intent_override and taxonomy.get(intent_override):
        intent, confidence = intent_override, 1.0
    elif taxonomy.get(intent) is None:
        intent = OTHER
    elif confidence < cutoff:
        intent, review = OTHER, bool(candidates)
    mood = sentiment(text, taxonomy)
    cx = complexity(ticket, intents)
    rk = risk(intent, text, taxonomy)
    dups = likely_duplicates(ticket, customer, intent, classifier)
    triggers = tuple(hard_triggers(f"{ticket.subject}\n{text}", taxonomy, getattr(classifier, "embed", None)))
    base = {"intent": intent, "intent_confidence": round(confidence, 2), "complexity": cx,
            "risk": rk, "sentiment": mood, "duplicates": dups, "intent_title": taxonomy.title(intent),
            "review": review, "candidates": candidates if review else ()}
    if triggers:
        human = tuple(f"human only: {t.reason}" for t in triggers)
        return Route(tier=Tier.HUMAN, reasons=human, triggers=triggers, **base)  # type: ignore[arg-type]

    reasons: list[str] = []
    if review:
        reasons.append("intent to review: " + ", ".join(f"{taxonomy.title(i)} {p:.0%}" for i, p in candidates))
    tier = Tier(settings.routing.default_tier)
    for n, rule in enumerate(settings.routing.rules, start=1):
        if _rule_matches(rule, intent, rk, cx, mood):
            tier = Tier(rule.tier)
            reasons.append(rule.why or f"routing rule {n}")
            break
    else:
        info = taxonomy.get(intent)
        if info is not None and info.tier:
            tier = Tier(info.tier)
            reasons.append(f"{info.label}: {info.tier} tier (taxonomy)")
        else:
            reasons.append("default route")
    model = ""
    if tier in (Tier.FAST, Tier.FRONTIER):
        model = getattr(settings.models, tier.value).model
        if not model:
            reasons.append(f"no {tier.value} model configured: offline draft")
            tier = Tier.OFFLINE
    if dups:
        reasons.append("possible duplicate of " + ", ".join(f"#{d}" for d in dups))
    return Route(tier=tier, reasons=tuple(reasons), model=model, **base)  # type: ignore[arg-type]
