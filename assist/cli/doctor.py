"""``assist doctor``: what is installed, where things live and what is configured (exit 1 on config problems)."""

from __future__ import annotations

import argparse
import platform
import sqlite3
import sys
from importlib import metadata
from typing import TYPE_CHECKING, TextIO

from assist import __version__
from assist.paths import Paths

if TYPE_CHECKING:
    from assist.secrets import SecretStore


def arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments."""


def run(paths: Paths, args: argparse.Namespace) -> int:
    from assist.secrets import SecretStore

    return doctor(paths, SecretStore())


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _fts5() -> bool:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def doctor(paths: Paths, secrets: SecretStore, out: TextIO | None = None) -> int:
    """Print what is installed, where things live and what is configured. Exit 1 on config problems."""
    from assist import embeddings
    from assist.journal import Journal
    from assist.journal import health as journal_health
    from assist.settings import load_settings, url_warnings

    settings, problems = load_settings(paths.config_file)
    lines = [
        f"Assist {__version__}",
        f"Python {platform.python_version()} on {platform.platform()}",
        "Packages: " + ", ".join(
            f"{d} {_version(d)}"
            for d in ("PySide6-Essentials", "qasync", "httpx", "litellm", "keyring", "sqlite-utils", "nh3")
        ),
        f"SQLite {sqlite3.sqlite_version} (FTS5: {'yes' if _fts5() else 'NO'})",
        "",
        f"Config file: {paths.config_file} "
        + ("(not created yet: defaults in use)" if not paths.config_file.exists() else "(found)"),
    ]
    if problems:
        lines.append("Config problems (defaults used for these):")
        lines += [f"  - {p}" for p in problems]
    else:
        lines.append("Config: valid")
    lines += [f"Warning: {w}" for w in url_warnings(settings)]
    lines.append(f"Data dir: {paths.data_dir}")
    broken = journal_health(paths.journal_file)
    if broken:
        problems.append("journal damaged")
        lines.append(f"Journal: {paths.journal_file} is {broken}. Start Assist to recover it: the damaged file is "
                     "kept aside, a new one started and every readable record copied over.")
    else:
        try:
            journal = Journal(paths.journal_file, settings.workspace)
            lines.append(f"Journal: {paths.journal_file} (schema v{journal.schema_version()})")
            journal.close()
        except Exception as exc:  # doctor reports, it never crashes
            problems.append("journal unusable")
            lines.append(f"Journal: {paths.journal_file} cannot be opened: {exc}")
    lines.append(f"Log dir: {paths.log_dir}")
    status = secrets.status()
    lines.append(
        f"Keyring: {status.backend} ({'secure' if status.secure else 'NOT secure'})"
        + ("" if status.secure else f"\n  {status.message}")
    )
    lines += [
        "",
        f"Workspace: {settings.workspace} (of {', '.join(settings.workspaces) or 'demo'})",
        f"Helpdesk: {settings.current.helpdesk.kind}"
        + (" (embedded demo, no network)" if settings.current.helpdesk.kind == "demo"
           else f" at {settings.current.helpdesk.url or '(no URL set)'}"),
        f"CRM: {settings.current.crm.kind}"
        + (" (embedded, no network)" if settings.current.crm.kind == "demo" else ""),
        f"Sentence vectors: {embeddings.describe(settings.ai.embeddings, settings.models.embedding.model)}",
        "Models: " + (", ".join(f"{t} = {getattr(settings.models, t).model}" for t in ("fast", "frontier")
                                if getattr(settings.models, t).model) or "not configured (offline drafting only)"),
    ]
    from assist import model_keys

    names = list(dict.fromkeys(model_keys.key_name(t) for t in (settings.models.fast, settings.models.frontier,
                                                                settings.models.embedding) if t.model))
    if not names:
        lines.append("Model API keys: none needed (no model configured)")
    if settings.current.helpdesk.kind != "demo":
        names.append(f"{settings.workspace}:helpdesk-token")
    if settings.current.crm.kind in ("hubspot", "http_json"):
        names.append(f"{settings.workspace}:crm-token")
    for name in names:
        try:
            state = "set" if secrets.has(name) else "not set"
        except Exception as exc:
            state = f"unreadable ({exc})"
        lines.append(f"Secret {name}: {state}")
    print("\n".join(lines), file=out or sys.stdout)
    return 1 if problems else 0
