"""Logs with no secrets: one filter on every handler scrubs what a log line must never hold.

Users attach assist.log to bug reports. Whatever a library or our code logs (httpx's request lines, an
exception's repr with a URL in it), the line is written only after tokens, passwords, query strings,
Authorization headers, email addresses (plain or URL-encoded) and card-like numbers are replaced. httpx and
httpcore log at WARNING: their INFO lines are request URLs.
"""

from __future__ import annotations

import logging
import re

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization / cookie / api-key headers and their values
    (re.compile(r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key)\b(['\"]?\s*[:=]\s*)"
                r"(?:bearer\s+|basic\s+|token\s+)?[^\s'\",;]+"), r"\1\2[redacted]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [redacted]"),
    # key=value secrets anywhere (query strings, form bodies, reprs)
    (re.compile(r"(?i)\b((?:access_|api_|auth_|refresh_|id_)?(?:token|key|secret|password|passwd|pwd|apikey|"
                r"signature|sig))(\s*[=:]\s*|=)[^\s&'\",;)]+"), r"\1\2[redacted]"),
    # whatever follows '?' in a URL
    (re.compile(r"(https?://[^\s?#'\"]+)\?[^\s'\"#)]*"), r"\1?[redacted]"),
    # user:password@ in URLs
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1[redacted]@"),
    # email addresses, also URL-encoded (%40) and with + encoded (%2B)
    (re.compile(r"(?i)[\w.+%-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # card-like numbers (13-19 digits, spaces or dashes allowed)
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[number]"),
    # long opaque tokens (sk-..., ghp_..., JWT-like)
    (re.compile(r"\b(?:sk|pk|rk|ghp|gho|xox[abp]|glpat)[-_][A-Za-z0-9_-]{10,}"), "[redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,}"), "[redacted]"),
)


def scrub(text: str) -> str:
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and its traceback) scrubbed, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = str(record.msg)
        record.msg, record.args = scrub(message), ()
        if record.exc_info:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def install(handler: logging.Handler) -> logging.Handler:
    """Put the filter on ``handler`` and quiet the HTTP libraries' request lines."""
    handler.addFilter(RedactingFilter())
    for name in ("httpx", "httpcore", "urllib3", "LiteLLM", "litellm"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
