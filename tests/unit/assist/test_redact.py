"""Redaction worth trusting (issue 12): recall >= 95% on a hand-written corpus of international PII,
false positives <= 5% on order numbers, SKUs, ISBNs, tracking numbers, dates and prices, and
obfuscation (zero-width, full-width digits) undone first."""

from __future__ import annotations

import re

from assist.redact import Redactor, normalise
from tests.pii_corpus import NEGATIVES, positives

_TOKEN = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|ID|ADDRESS|POSTCODE)_\d+\]")


def _leaks(masked: str, value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 6 and digits in re.sub(r"\D", "", _TOKEN.sub("", masked)):
        return True
    return normalise(value).lower() in masked.lower()


def score() -> tuple[float, float, list[str], list[str]]:
    items = positives()
    found, total, missed = 0, 0, []
    for text, values in items:
        masked = Redactor().mask(text)
        for value in values:
            total += 1
            if _leaks(masked, value):
                missed.append(f"{value!r} in {masked!r}")
            else:
                found += 1
    false = [f"{t!r} -> {m!r}" for t in NEGATIVES if (m := Redactor().mask(t)) != t]
    return found / total, len(false) / len(NEGATIVES), missed, false


def test_corpus_is_big_enough() -> None:
    assert len(positives()) + len(NEGATIVES) >= 150


def test_recall_and_false_positives() -> None:
    recall, fp_rate, missed, false = score()
    assert recall >= 0.95, "missed:\n" + "\n".join(missed)
    assert fp_rate <= 0.05, "masked by mistake:\n" + "\n".join(false)


def test_restore_gives_the_values_back() -> None:
    r = Redactor()
    masked = r.mask("Mail jo.smith+orders@gmail.com, call +44 20 7946 0958, IBAN GB29NWBK60161331926819")
    assert "[EMAIL_1]" in masked and "[PHONE_1]" in masked and "[IBAN_1]" in masked
    assert r.restore("Sent to [EMAIL_1]; we'll ring [PHONE_1].") == (
        "Sent to jo.smith+orders@gmail.com; we'll ring +44 20 7946 0958.")


def test_only_a_parsed_loopback_address_counts_as_local() -> None:
    """Issue 25: a prefix check took '127.attacker.example' for this machine, so PII went unmasked to it."""
    from assist.llm import is_cloud
    from assist.settings import ModelTier

    for base in ("http://localhost:11434", "http://127.0.0.1:8000/v1", "http://127.9.9.9/v1", "http://[::1]:8000"):
        assert not is_cloud(ModelTier(model="openai/x", api_base=base)), base
    for base in ("http://127.attacker.example/v1", "https://localhost.evil.example", "http://10.0.0.5:8000",
                 "https://api.openai.com/v1"):
        assert is_cloud(ModelTier(model="openai/x", api_base=base)), base
