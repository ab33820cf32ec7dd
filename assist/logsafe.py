"""Logs with no secrets: one filter on every handler scrubs what a log line must never hold.

Users attach assist.log to bug reports. Whatever a library or our code logs (httpx's request lines, an
exception's repr with a URL in it), the line is written only after tokens, passwords, query strings,
Authorization headers, email addresses (plain or URL-encoded) and card-like numbers are replaced. httpx and
httpcore log at WARNING: their INFO lines are request URLs.
"""

from __future__ import annotations

import logging
import re

# Secrets in any text (also the diagnostics' config copy): key = "..." lines, secret query parameters,
# user:password@ in URLs, Authorization/Cookie headers, token-shaped strings.
_SECRET_LINE = re.compile(r"^(\s*[\w.-]*(?:token|key|secret|password|passwd|auth)[\w.-]*\s*=\s*).+$",
                          re.IGNORECASE | re.MULTILINE)
_SECRET_QUERY = re.compile(
    r"([?&;](?:[\w.-]*(?:token|key|secret|password|passwd|auth|sig|signature|code|session)[\w.-]*)=)[^&#\s\"']+",
    re.IGNORECASE)
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@\"']+(?::[^/\s@\"']*)?@", re.IGNORECASE)
_AUTH_HEADER = re.compile(r"((?:authorization|proxy-authorization|x-api-key|api-key|cookie|set-cookie)\s*[:=]\s*)"
                          r"(?:(bearer|basic|token)\s+)?[^\s\"',]+", re.IGNORECASE)
_BEARERISH = re.compile(r"\b(sk-[A-Za-z0-9_-]{8,}|xox[abp]-[A-Za-z0-9-]{8,}|gh[pousr]_[A-Za-z0-9]{20,}|"
                        r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,})")


def mask_secrets(text: str) -> str:
    """Secrets anywhere in text: key = "..." lines, ?api_key= in URLs, user:password@ in URLs,
    Authorization/Cookie headers, and token-shaped strings (sk-..., JWTs, GitHub/Slack tokens)."""
    text = _SECRET_LINE.sub(lambda m: m.group(1) + '"***"', text)
    text = _SECRET_QUERY.sub(lambda m: m.group(1) + "***", text)
    text = _USERINFO.sub(lambda m: m.group(1) + "***@", text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + (m.group(2) + " " if m.group(2) else "") + "***", text)
    return _BEARERISH.sub("***", text)


# What a log line must not hold besides secrets: whole query strings, customer addresses, card-like numbers.
_LOG_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 ***"),
    (re.compile(r"(?i)\b((?:access_|api_|auth_|refresh_|id_)?(?:token|key|secret|password|passwd|pwd|apikey|"
                r"signature|sig))(\s*[=:]\s*|=)[^\s&'\",;)]+"), r"\1\2***"),
    (re.compile(r"(https?://[^\s?#'\"]+)\?[^\s'\"#)]*"), r"\1?[redacted]"),
    (re.compile(r"(?i)[\w.+%-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[number]"),
)


def scrub(text: str) -> str:
    """A log line as it may be written: secrets masked (``mask_secrets``), then query strings, emails and
    card-like numbers."""
    text = mask_secrets(text)
    for pattern, repl in _LOG_RULES:
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
