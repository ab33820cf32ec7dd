"""What every command module shares, below all of them: one-line user errors, writing an output file, asking
a terminal for a missing secret. Every module of ``assist.cli`` may import it; it imports none of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assist.errors import AssistError

if TYPE_CHECKING:
    from assist.secrets import SecretStore


class UserError(Exception):
    """A mistake in how a command was called: one line on stderr, exit 2, never a traceback."""


def check_folder(out: str) -> None:
    from pathlib import Path

    folder = Path(out).expanduser().resolve().parent
    if not folder.is_dir():
        raise UserError(f"can't write {out}: the folder {folder} doesn't exist. Create it first.")


def write_out(out: str, data: bytes) -> None:
    from pathlib import Path

    check_folder(out)
    try:
        Path(out).expanduser().write_bytes(data)
    except OSError as exc:
        raise UserError(f"can't write {out}: {exc.strerror or exc}.") from exc


def ask_for_missing(secrets: SecretStore, wanted: list[tuple[str, str, str]]) -> None:
    """For a command run at a terminal, each (secret, environment variable, label) that neither the keyring nor
    the environment holds is asked for once, not echoed, and kept in memory for this command only (headless
    Linux has no keyring; a lead's report used to fail unless PGPASSWORD happened to be set)."""
    import getpass
    import os
    import sys

    for name, env, label in wanted:
        if os.environ.get(env):
            secrets.remember(name, os.environ[env])
            continue
        try:
            if secrets.has(name):
                continue
        except AssistError:
            pass
        if not sys.stdin.isatty():
            continue  # scripted: the command says what to set
        value = getpass.getpass(f"{label} (not stored; or set {env}): ")
        if value:
            secrets.remember(name, value)
