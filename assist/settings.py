"""Settings: one TOML file in the platform config dir, declared once here and validated on load.

A bad key or value never stops the app: ``load_settings`` names every problem (with a "did you mean"
for misspelt keys) and falls back to the default for just those entries. Secrets never live here; they
go through ``assist.secrets`` (the OS keyring).
"""

from __future__ import annotations

import difflib
import getpass
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError


def _default_agent() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): not worth failing over
        return "agent"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class AgentSettings(_Section):
    name: str = Field(default_factory=_default_agent, min_length=1, description="Shown in the journal.")


class HelpdeskSettings(_Section):
    kind: Literal["demo"] = Field("demo", description="Which helpdesk this workspace talks to.")
    url: str = Field("", description="Base URL of the helpdesk (not used by the demo).")


class UiSettings(_Section):
    autosave_ms: int = Field(600, ge=100, le=10_000, description="Draft autosave delay.")
    queue_limit: int = Field(500, ge=10, le=10_000, description="Most tickets listed in the queue.")


class Settings(_Section):
    agent: AgentSettings = Field(default_factory=AgentSettings)
    helpdesk: HelpdeskSettings = Field(default_factory=HelpdeskSettings)
    ui: UiSettings = Field(default_factory=UiSettings)

    @property
    def workspace(self) -> str:
        return self.helpdesk.kind


def _known_keys(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        ann = field.annotation if field else None
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    return list(model.model_fields)


def _describe(error: Any) -> str:
    loc = tuple(error["loc"])
    dotted = ".".join(str(p) for p in loc)
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _known_keys(Settings, loc), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{dotted}: unknown setting{hint}"
    return f"{dotted}: {error['msg']} (got {error['input']!r})"


def _drop(data: dict[str, Any], loc: tuple[str | int, ...]) -> bool:
    node: Any = data
    for part in loc[:-1]:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    if isinstance(node, dict) and loc and loc[-1] in node:
        del node[loc[-1]]
        return True
    return False


def validate(data: dict[str, Any]) -> tuple[Settings, list[str]]:
    """Validate raw config data; invalid entries are reported and replaced by defaults."""
    problems: list[str] = []
    for _ in range(50):
        try:
            return Settings.model_validate(data), problems
        except ValidationError as exc:
            dropped = False
            for error in exc.errors():
                problems.append(_describe(error))
                loc = tuple(error["loc"])
                dropped |= _drop(data, loc) or (len(loc) > 1 and _drop(data, loc[:1]))
            if not dropped:
                break
    return Settings(), problems


def load_settings(path: Path) -> tuple[Settings, list[str]]:
    """Read ``path``; a missing file is the defaults, a broken one is the defaults plus problems."""
    if not path.exists():
        return Settings(), []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return Settings(), [f"the file is not valid TOML ({exc}); every setting is at its default"]
    except OSError as exc:
        return Settings(), [f"the file cannot be read ({exc.strerror}); using defaults"]
    return validate(data)


def save_settings(settings: Settings, path: Path) -> None:
    """Write atomically, so a crash mid-write never leaves a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = tomli_w.dumps(settings.model_dump(mode="json"))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
