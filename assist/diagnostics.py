""""Copy diagnostics": what a support ticket about Assist itself needs — versions, paths, the config
with anything secret-looking masked, the keyring backend, and the most recent warnings and errors."""

from __future__ import annotations

import platform
import re
from collections import deque
from importlib import metadata
from pathlib import Path

from assist import __version__
from assist.paths import Paths
from assist.secrets import SecretStore

PACKAGES = ("PySide6-Essentials", "qasync", "httpx", "litellm", "keyring", "sqlite-utils", "nh3", "msgspec")
_SECRET_LINE = re.compile(r"^(\s*[\w.-]*(?:token|key|secret|password|passwd|auth)[\w.-]*\s*=\s*).+$",
                          re.IGNORECASE | re.MULTILINE)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


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
