"""Small text utilities shared by retrieval and routing: stopwords, content words, a light stemmer."""

from __future__ import annotations

import re
from datetime import datetime

STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be been before being below between both
    but by can cant could did didnt do does doesnt doing dont down during each few for from further had
    has have havent having he her here hers him his how i id im ive if in into is isnt it its itself just
    lol me more most my myself no nor not now of off on once only or other our ours out over own please
    same she should so some still such than thanks thank that thats the their them then there these they
    this those thx through to too under until up us very was wasnt we were what when where which while
    who whom why will with would wont you your yours hi hello hey dear regards best tho also u ur im
    can't i'm it's don't get got""".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def query_terms(text: str, limit: int = 48) -> list[str]:
    """Content words of free text, in order, deduplicated."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(text.lower()):
        w = w.replace("'", "")
        if len(w) > 1 and w not in STOPWORDS and not w.isdigit():
            seen.setdefault(w, None)
        if len(seen) >= limit:
            break
    return list(seen)


def stem(word: str) -> str:
    """A light suffix stripper: enough to match "charged"/"charges"/"charging" offline."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> list[str]:
    """Distinct stemmed content words, in order of first appearance."""
    return list(dict.fromkeys(stem(w) for w in query_terms(text, limit=10_000)))


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "CA$", "NZD": "NZ$"}


def money(amount: object, currency: object = "") -> str:
    """'$12.00', '€7.50', '12.00 CHF': an amount as a customer reads it, never 'USD 12.0'."""
    try:
        value = float(str(amount))
    except ValueError:
        return str(amount)
    code = str(currency or "").upper()
    digits = 0 if code == "JPY" else 2
    text = f"{value:,.{digits}f}"
    if code in _SYMBOLS:
        return f"{_SYMBOLS[code]}{text}"
    return f"{text} {code}".strip()


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 reply', '3 replies'."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


_TAGS = re.compile(r"<[^>]{0,2000}>")
# What a script or style says is not the message: removed with its element, bounded (no runaway backtracking).
SCRIPTS = re.compile(r"<(script|style)\b[^>]{0,2000}>.{0,100000}?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BLANKS = re.compile(r"[ \t\r\f\v]+")
MAX_MESSAGE_TEXT = 20_000


def valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (from a bad JSON escape or a broken export) as U+FFFD: they cannot be
    encoded, so a renderer, SQLite or a model request would fail on them. Surrogate pairs are joined."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def message_text(body: str, is_html: bool, limit: int = MAX_MESSAGE_TEXT) -> str:
    """A message as plain text for routing, retrieval and models: tags stripped (linear, whatever the
    nesting), entities decoded, at most ``limit`` characters. Rendering for the agent is render.py's job."""
    import html

    body = valid_unicode(body)
    if is_html:
        body = SCRIPTS.sub(" ", body[: limit * 4])  # what a script or style says is not the customer's text
        body = html.unescape(_TAGS.sub(" ", body))
        body = _BLANKS.sub(" ", body)
    return body[:limit]


_SYNONYMS: dict[str, tuple[str, ...]] | None = None


def synonyms() -> dict[str, tuple[str, ...]]:
    """resources/synonyms.toml: how customers and help articles name the same thing, read once."""
    global _SYNONYMS
    if _SYNONYMS is None:
        import tomllib

        from assist.paths import resources_dir

        raw = tomllib.loads((resources_dir() / "synonyms.toml").read_text("utf-8"))["synonyms"]
        _SYNONYMS = {k: tuple(v) for k, v in raw.items()}
    return _SYNONYMS


def expansions(text: str) -> list[str]:
    """Words an article may use for what this text says (``synonyms()``)."""
    low = " ".join(text.lower().split())
    out: list[str] = []
    for phrase, alts in synonyms().items():
        if re.search(rf"\b{re.escape(phrase)}\b", low):
            out += alts
    return out


def iso_week(timestamp: str | datetime) -> str:
    """'2026-11-18T10:00:00+00:00' -> '2026-W47' (ISO 8601 week, as team leads count them)."""
    dt = datetime.fromisoformat(timestamp) if isinstance(timestamp, str) else timestamp
    year, week, _ = dt.isocalendar()
    return f"{year}-W{week:02d}"
