"""Patterns that cannot hurt: every regular expression a workspace or the product supplies (hard triggers,
frustration markers) runs on RE2, whose matching time is linear in the text, whatever the pattern.

Python's ``re`` backtracks: ``(\\w+\\s?)*$`` on a 60-character ticket runs for minutes while holding the GIL, so
even routing on a worker froze the window. RE2 (google-re2, the maintained bindings) refuses what it cannot
run in linear time (backreferences, lookaround) when the taxonomy is read, naming the pattern.
"""

from __future__ import annotations

from typing import Any, Protocol

MAX_PATTERN = 2000  # characters: a pattern is a phrase, not a program


class Pattern(Protocol):
    def search(self, text: str) -> Any: ...

    def findall(self, text: str) -> list[Any]: ...


def compile_pattern(pattern: str, ignore_case: bool = True) -> Pattern:
    """The pattern on RE2; ``ValueError`` saying why when RE2 cannot run it."""
    import re2

    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"longer than {MAX_PATTERN} characters")
    try:
        compiled: Pattern = re2.compile(("(?i)" if ignore_case else "") + pattern)
    except re2.error as exc:
        raise ValueError(f"not a pattern Assist can run in linear time (RE2: {exc}; backreferences and "
                         "lookaround are not supported)") from None
    return compiled
