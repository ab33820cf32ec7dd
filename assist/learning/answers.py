"""The team's own answers as sources: once ``assist learn`` has imported history, the agents' first public
replies to solved tickets become passages of the workspace's knowledge base ("How we answered #4821"),
retrieved, fused and cited like its articles.

What another customer wrote never comes along: only the agent's reply is kept, and in it the other customer's
details are removed before it is stored, shown or sent to a model: the name they were greeted by, emails,
phones, cards, IBANs, national ids and street addresses (``assist.redact``), order and account numbers, and
the amounts and dates of that one case (a policy's "within 5-10 business days" stays). Replies too short to
answer anything ("Done!", "Thanks") are left out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from assist.domain import ANSWER_PREFIX
from assist.knowledge.chunking import ParsedDocument, Section
from assist.learning.history import HistoryTicket
from assist.redact import EMAIL  # the addresses the scrubber masks are the ones counted here

PREFIX = ANSWER_PREFIX  # document ids of past answers in the knowledge base
MIN_CHARS = 60  # shorter replies answer nothing another customer could use
MAX_ANSWERS = 5000  # the newest solved tickets' replies at most

_PLACEHOLDER = re.compile(r"\[([A-Z]+)_\d+\]")
_GREETING = re.compile(r"^(\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b)[ \t]+"
                       r"(?!there\b|team\b|all\b)[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)?", re.IGNORECASE | re.MULTILINE)
# ids with digits: "#48213", "AB-48290", "order 1234567", "X9-Q2" (a bare year or a count of days is no id)
_REFERENCE = re.compile(r"#\s?\d{3,}\b|\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]{2,}(?:-[A-Z0-9]+)+\b|"
                        r"\b(?:order|account|invoice|ticket|case|ref(?:erence)?)\s*(?:no\.?|number|#)?\s*:?\s*"
                        r"(\d{4,})\b", re.IGNORECASE)
_MONEY = re.compile(r"(?:[$€£]\s?\d[\d,]*(?:\.\d{1,2})?|\b\d[\d,]*(?:\.\d{1,2})?\s?(?:usd|eur|gbp|dollars?|euros?|"
                    r"pounds?)\b)", re.IGNORECASE)
_DATE = re.compile(r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|"
                   r"oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|\d{1,2}(?:st|nd|rd|th)?\s+"
                   r"(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*(?:\s+\d{4})?)\b",
                   re.IGNORECASE)


def scrub(text: str, keep: Iterable[str] = ()) -> str:
    """A past reply without the other customer's details (see the module's docstring); ``keep``: the team's
    own addresses (``team_addresses``), which stay."""
    from assist.redact import Redactor

    kept = {f"keptaddress{chr(97 + i)}": address for i, address in enumerate(sorted(set(keep))[:26])}
    for token, address in kept.items():
        text = re.sub(re.escape(address), token, text, flags=re.IGNORECASE)
    text = Redactor().mask(text)
    text = _PLACEHOLDER.sub(lambda m: f"[{m.group(1).lower()}]", text)
    text = _GREETING.sub(r"\1 there", text)
    text = _REFERENCE.sub("[number]", text)
    text = _MONEY.sub("[amount]", text)
    text = _DATE.sub("[date]", text).strip()
    for token, address in kept.items():
        text = text.replace(token, address)
    return text




def team_addresses(history: Iterable[HistoryTicket]) -> set[str]:
    """Email addresses the team gives to two or more different customers (replies greeting different names:
    "add billing@… to your contacts"): the team's own. A customer's address, even one who wrote several
    times, is only ever in replies to them."""
    seen: dict[str, set[str]] = {}
    for t in history:
        greeted = _GREETING.search(t.reply)
        if greeted is None:
            continue
        name = greeted.group(0)[len(greeted.group(1)):].strip().lower()
        for address in EMAIL.findall(t.reply):
            seen.setdefault(address.lower(), set()).add(name)
    return {a for a, names in seen.items() if len(names) >= 2}


def answer_documents(history: Iterable[HistoryTicket]) -> dict[str, tuple[ParsedDocument, str]]:
    """{document id: (the answer as a document, its content hash)} for every reply worth keeping."""
    history = list(history)
    keep = team_addresses(history)
    out: dict[str, tuple[ParsedDocument, str]] = {}
    for t in history:
        reply = t.reply.strip()
        if len(reply) < MIN_CHARS or len(out) >= MAX_ANSWERS:
            continue
        subject = scrub(t.subject.strip(), keep) or "(no subject)"
        text = scrub(reply, keep)
        doc = ParsedDocument(f"How we answered #{t.id}", (Section(subject, text),))
        out[f"{PREFIX}{t.id}"] = (doc, hashlib.sha1(f"{subject}\0{text}".encode()).hexdigest())
    return out
