"""Shared fixtures: offscreen Qt, no network, an in-memory keyring, a fresh demo workspace per test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

from pathlib import Path  # noqa: E402

import keyring.backend  # noqa: E402
import pytest  # noqa: E402

from assist.paths import Paths  # noqa: E402
from assist.secrets import SecretStore  # noqa: E402
from assist.session import Session
from assist.settings import Settings  # noqa: E402
from assist.workspace import build_session  # noqa: E402

# Qt fixtures (a shared qasync loop, run_until, open_window) for the UI and the integration tests.
pytest_plugins = ["tests.qt_fixtures"]


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A secure-looking keyring that lives in memory (tests never touch the real one)."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    p = Paths.under(tmp_path)
    monkeypatch.setenv("ASSIST_CONFIG_DIR", str(p.config_dir))
    monkeypatch.setenv("ASSIST_DATA_DIR", str(p.data_dir))
    monkeypatch.setenv("ASSIST_LOG_DIR", str(p.log_dir))
    return p


@pytest.fixture
def secrets() -> SecretStore:
    return SecretStore(MemoryKeyring())


@pytest.fixture
def make_session(paths: Paths, secrets: SecretStore):
    """Builds sessions on the same workspace (to test what survives a restart); closes them all."""
    made: list[Session] = []

    def _make(settings: Settings | None = None, *, signed: bool = True) -> Session:
        settings = settings or Settings()
        if signed and not settings.agent.display_name:
            settings.agent.display_name = "Sam Ortiz"  # the window asks once otherwise (tested on its own)
        s = build_session(paths, settings, secrets)
        made.append(s)
        return s

    yield _make
    for s in made:
        s.close()
