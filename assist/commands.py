"""The headless command names, importable for free: ``ui.launcher`` decides window or command with
these before anything heavy (Qt, the session, litellm) is imported."""

from __future__ import annotations

import difflib

SUBCOMMANDS = ("doctor", "kb", "actions", "report", "journal", "eval", "learn", "route", "team")


def suggest(word: str) -> str:
    """'assist doctr' -> " (did you mean 'doctor'?)"."""
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
