"""Facts a reply states that a later draft must not contradict: amounts, dates, ids and policy terms.

``extract`` reads them from an agent's actual reply (``assist eval import``); ``contradictions`` names
each fact of a kind the reference states that the draft states differently ("£12" where the agent
wrote "£35.50", "3-5 days" where the policy says "5-10 business days"). Generic patterns only; a
workspace's own id formats come from its actions catalog (``Catalog.patterns``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

KINDS = ("amount", "date", "id", "term")

_AMOUNT = re.compile(r"(?:[$€£]\s?\d[\d,]*(?:\.\d{1,2})?"
                     r"|\b\d[\d,]*(?:\.\d{1,2})?\s?(?:usd|eur|gbp|dollars|euros|pounds)\b)", re.IGNORECASE)
_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{1,2}(?:st|nd|rd|th)?"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day|the\s+\d{1,2}(?:st|nd|rd|th))\b", re.IGNORECASE)
_ID = re.compile(r"(?<![\w-])(?:[A-Z]{1,5}-\d{3,}|#\d{3,})(?![\w-])")
_TERM = re.compile(r"\b\d+(?:\s?(?:-|to)\s?\d+)?\s+(?:business |working |calendar )?"
                   r"(?:minutes|hours|days|weeks|months)\b", re.IGNORECASE)


def _norm(kind: str, value: str) -> str:
    v = " ".join(value.lower().split())
    if kind == "amount":
        return re.sub(r"[^\d.]", "", v).rstrip("0").rstrip(".") if "." in v else re.sub(r"[^\d]", "", v)
    if kind == "term":
        return v.replace(" to ", "-").replace(" - ", "-").replace("working", "business")
    return v


def extract(text: str, id_patterns: Iterable[re.Pattern[str]] = ()) -> dict[str, list[str]]:
    """Facts by kind, as written, each once."""
    found: dict[str, list[str]] = {}
    for kind, pattern in (("amount", _AMOUNT), ("date", _DATE), ("id", _ID), ("term", _TERM)):
        values = [m.group(0).strip() for m in pattern.finditer(text)]
        if kind == "id":
            for p in id_patterns:
                values += [m.group(0) for m in p.finditer(text)]
        if values:
            found[kind] = list(dict.fromkeys(values))
    return found


def contradictions(draft: str, reference: dict[str, list[str]], id_patterns: Iterable[re.Pattern[str]] = ()
                   ) -> list[str]:
    """Facts in the draft of a kind the reference states, with a value the reference does not have."""
    stated = extract(draft, id_patterns)
    out = []
    for kind, values in stated.items():
        known = {_norm(kind, v) for v in reference.get(kind, [])}
        if not known:
            continue  # the agent said nothing of this kind: nothing to contradict
        out += [f"{kind} {v!r} (the agent's reply: {', '.join(reference[kind])})" for v in values
                if _norm(kind, v) not in known]
    return out
