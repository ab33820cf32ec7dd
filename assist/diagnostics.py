""""Copy diagnostics": what a support ticket about Assist itself needs — versions, paths, the config
with anything secret-looking masked, the keyring backend, and the most recent warnings and errors."""

from __future__ import annotations

import platform
from collections import deque
from importlib import metadata
from pathlib import Path

from assist import __version__
from assist.logsafe import mask_secrets
from assist.paths import Paths
from assist.secrets import SecretStore

PACKAGES = ("PySide6-Essentials", "qasync", "httpx", "litellm", "keyring", "sqlite-utils", "nh3", "msgspec")
def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def mask_config(text: str) -> str:
    return mask_secrets(text)


def recent_problems(log_file: Path, limit: int = 40) -> list[str]:
    if not log_file.exists():
        return []
    lines: deque[str] = deque(maxlen=limit)
    with log_file.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if " WARNING " in line or " ERROR " in line or " CRITICAL " in line:
                lines.append(line.rstrip())
    return list(lines)


def diagnostics(paths: Paths, secrets: SecretStore) -> str:
    status = secrets.status()
    config = paths.config_file.read_text("utf-8", errors="replace") if paths.config_file.exists() else "(none)"
    out = [
        f"Assist {__version__}",
        f"Python {platform.python_version()} on {platform.platform()}",
        "Packages: " + ", ".join(f"{p} {_version(p)}" for p in PACKAGES),
        f"Config: {paths.config_file}",
        f"Data: {paths.data_dir}",
        f"Logs: {paths.log_dir}",
        f"Keyring: {status.backend} ({'secure' if status.secure else 'not secure'})",
        "",
        "--- config.toml (secrets masked) ---",
        mask_config(config).strip(),
        "",
        "--- recent warnings and errors ---",
        *(recent_problems(paths.log_dir / "assist.log") or ["(none)"]),
    ]
    return mask_secrets("\n".join(out))  # log lines can quote URLs and headers too
