"""Where Assist keeps things: platform config/data/log dirs, overridable for tests and portable use.

``ASSIST_CONFIG_DIR`` and ``ASSIST_DATA_DIR`` override the platform directories; ``ASSIST_RESOURCES``
overrides the bundled ``resources/`` folder (PyInstaller sets it to the unpacked bundle).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs
from msgspec import Struct

APP_NAME = "assist"


def resources_dir() -> Path:
    env = os.environ.get("ASSIST_RESOURCES")
    if env:
        return Path(env)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


class Paths(Struct, frozen=True):
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def journal_file(self) -> Path:
        return self.data_dir / "journal.db"

    def workspace_dir(self, name: str) -> Path:
        return self.data_dir / "workspaces" / name

    @classmethod
    def default(cls) -> Paths:
        config = os.environ.get("ASSIST_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME)
        data = os.environ.get("ASSIST_DATA_DIR") or platformdirs.user_data_dir(APP_NAME)
        log = os.environ.get("ASSIST_LOG_DIR") or platformdirs.user_log_dir(APP_NAME)
        return cls(Path(config), Path(data), Path(log))

    @classmethod
    def under(cls, root: Path) -> Paths:
        """All three dirs under one folder (tests, portable installs)."""
        return cls(root / "config", root / "data", root / "logs")
