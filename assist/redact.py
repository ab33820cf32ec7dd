"""Mask PII (emails, phone numbers, card numbers, street addresses, postcodes) before text leaves for a
cloud model, and restore it in what the agent sees.

One ``Redactor`` per model call: the same value always gets the same placeholder, so the model can
still refer to "[EMAIL_1]" consistently and the agent gets the real value back.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PHONE = re.compile(r"(?<![\w-])\+?\(?\d[\d\s().-]{6,}\d\b")
_STREET = re.compile(
    r"\b(?:(?:flat|apt|apartment|unit|suite)\s*\w+,?\s+)?\d{1,5}[a-z]?\s+(?:[A-Z][\w'-]*\s+){1,4}"
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Ct|Court|Way|Pl|Place|Sq|Square|"
    r"Grove|Hill|Terrace|Close|Crescent|Park|Row|Str|Strasse|Straße)\b\.?"
    r"(?:,?\s*(?:apt|apartment|unit|suite|flat)\.?\s*[\w-]+)?",
    re.IGNORECASE,
)
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|ADDRESS|POSTCODE)_\d+\]")


def luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class Redactor:
    def __init__(self) -> None:
        self._by_value: dict[str, str] = {}
        self._by_token: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def _token(self, kind: str, value: str) -> str:
        if value not in self._by_value:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            token = f"[{kind}_{self._counts[kind]}]"
            self._by_value[value] = token
            self._by_token[token] = value
        return self._by_value[value]

    def mask(self, text: str) -> str:
        text = _EMAIL.sub(lambda m: self._token("EMAIL", m.group(0)), text)

        def card(m: re.Match[str]) -> str:
            digits = re.sub(r"\D", "", m.group(0))
            return self._token("CARD", m.group(0)) if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group(0)

        text = _CARD.sub(card, text)
        text = _STREET.sub(lambda m: self._token("ADDRESS", m.group(0)), text)
        text = _UK_POSTCODE.sub(lambda m: self._token("POSTCODE", m.group(0)), text)

        def phone(m: re.Match[str]) -> str:
            digits = re.sub(r"\D", "", m.group(0))
            return self._token("PHONE", m.group(0)) if 8 <= len(digits) <= 15 else m.group(0)

        return _PHONE.sub(phone, text)

    def restore(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self._by_token.get(m.group(0), m.group(0)), text)

    @property
    def masked(self) -> dict[str, str]:
        return dict(self._by_token)


def safe_prefix(text: str) -> int:
    """Length of ``text`` that cannot end inside a placeholder still being streamed."""
    cut = text.rfind("[")
    if cut != -1 and "]" not in text[cut:] and len(text) - cut <= 14:
        return cut
    return len(text)
