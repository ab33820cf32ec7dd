"""Every headless command, declared once: its name, its one-line help and the module of this package that
adds its arguments (``arguments(parser)``) and runs it (``run(paths, args) -> int``).

Importing this costs nothing: ``ui.launcher`` reads the names to decide window or command before anything heavy
(Qt, the session, litellm) is imported, and a command's module is imported only when the command line is parsed.
"""

from __future__ import annotations

import difflib
from typing import NamedTuple


class Command(NamedTuple):
    name: str
    help: str
    module: str  # assist.cli.<module>


COMMANDS = (
    Command("doctor", "report versions, paths, keyring and what is configured", "doctor"),
    Command("kb", "the knowledge base", "kb"),
    Command("actions", "the AI Actions catalog", "actions"),
    Command("report", "weekly team report from one or more journals", "report"),
    Command("journal", "the local journal", "journal"),
    Command("eval", "run a regression suite against the current roster and routing", "evaluate"),
    Command("learn", "learn the team's intents and router from its ticket history", "learn"),
    Command("route", "route tickets read as JSON lines on stdin (one JSON line out each)", "route"),
    Command("team", "the team store on PostgreSQL (set up, add users, sync)", "team"),
)
NAMES = tuple(c.name for c in COMMANDS)


def suggest(word: str) -> str:
    """'assist doctr' -> " (did you mean 'doctor'?)"."""
    close = difflib.get_close_matches(word, NAMES, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
