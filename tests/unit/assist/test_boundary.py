"""The core never loads Qt: `assist` must work headless and stay fast to import."""

import subprocess
import sys

from tests.helpers import modules_loaded_by


def test_import_assist_loads_no_qt() -> None:
    assert modules_loaded_by("assist, assist.cli, assist.session, assist.render, assist.settings, assist.journal, "
                             "assist.secrets", ("PySide6", "shiboken6", "qasync", "ui", "litellm")) == []


def test_cli_subcommand_does_not_load_qt(paths) -> None:
    code = (
        "import sys\nfrom ui.launcher import main\n"
        "rc = main(['doctor'])\n"
        "print('QT-LOADED' if any(m.startswith('PySide6') for m in sys.modules) else 'NO-QT', rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "NO-QT 0"


def test_the_window_starts_without_what_the_first_draft_does_not_need() -> None:
    """Start-up (issue 16): the demo's first ticket and draft need no HTTP client, no JSON Schema, no
    keyring probe, no numpy, no pydantic (settings are msgspec), no Markdown parser (until a Markdown
    body is shown) and no other workspace's connector; each would add tens of ms to every launch. They
    load when a workspace or a feature uses them (actions, a URL ingest, a real helpdesk)."""
    assert modules_loaded_by("ui.app, ui.main_window", (
        "httpx", "jsonschema", "keyring", "numpy", "litellm", "sklearn", "tenacity", "assist.helpdesk.zendesk",
        "assist.helpdesk.freshdesk", "assist.helpdesk.request_tracker", "assist.knowledge.crawl",
        "assist.actions.executor", "pydantic", "markdown")) == []
