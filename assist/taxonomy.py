"""A workspace's taxonomy: its intents, its own hard triggers and frustration markers, as data.

Each workspace keeps ``taxonomy.toml`` in its config folder (beside ``actions.toml``); the demo's ships in
``resources/demo``. Nothing in ``assist/`` names an intent: routing, drafting, proposals and feedback
read what an intent means from here. ``OTHER`` is the one built-in label: "none of the team's intents"
(the router abstains). A file that cannot be read is an ``AssistError`` naming the line or the entry.

    [[intents]]
    name = "delivery_status"          # identifier, stable: the journal and the model use it
    title = "Delivery status"
    description = "Delivery status, late or lost parcels"
    base_risk = "low"                 # low | medium | high
    tier = "fast"                     # optional default tier after the routing rules
    retrieval = "shipping delivery tracking"   # words added to knowledge-base searches
    facts = ["order"]                 # CRM facts a draft may cite: order, plan
    actions = ["lookup_order"]        # actions it may propose (besides a catalog's propose_for)
    escalation_reason = ""            # reason pre-filled when such a ticket is escalated
    high_risk_over = 100              # an amount above this in the ticket makes it high risk
    examples = ["where is my parcel?"]
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assist.errors import SettingsError

OTHER = "other"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,62}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Intent(_Model):
    name: str
    title: str = ""
    description: str = ""
    base_risk: Literal["low", "medium", "high"] = "low"
    tier: Literal["", "human", "offline", "fast", "frontier"] = ""
    retrieval: str = ""
    facts: tuple[Literal["order", "plan"], ...] = ()
    actions: tuple[str, ...] = ()
    escalation_reason: str = ""
    high_risk_over: float | None = Field(None, ge=0)
    examples: tuple[str, ...] = ()

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        if not _NAME.match(v) or v == OTHER:
            raise ValueError(f"{v!r} is not an intent name (lowercase letters, digits and _; not {OTHER!r})")
        return v

    @property
    def label(self) -> str:
        return self.title or self.name.replace("_", " ").capitalize()


def _compiles(cls: type, v: tuple[str, ...]) -> tuple[str, ...]:
    for p in v:
        try:
            re.compile(expand(p))
        except re.error as exc:
            raise ValueError(f"pattern {p!r} is not a regular expression ({exc})") from None
    return v


class TriggerSpec(_Model):
    kind: str
    reason: str
    patterns: tuple[str, ...]
    escalation_reason: str = "other"

    _check = field_validator("patterns")(_compiles)


class SentimentSpec(_Model):
    frustration: tuple[str, ...] = ()
    neutral: tuple[str, ...] = ()  # words the general lexicon scores that say nothing of mood here

    _check = field_validator("frustration")(_compiles)


class Taxonomy(_Model):
    intents: tuple[Intent, ...] = ()
    triggers: tuple[TriggerSpec, ...] = ()
    sentiment: SentimentSpec = Field(default_factory=SentimentSpec)

    @field_validator("intents")
    @classmethod
    def _unique(cls, v: tuple[Intent, ...]) -> tuple[Intent, ...]:
        seen: set[str] = set()
        for i in v:
            if i.name in seen:
                raise ValueError(f"intent {i.name!r} is listed twice")
            seen.add(i.name)
        return v

    @cached_property
    def by_name(self) -> dict[str, Intent]:
        return {i.name: i for i in self.intents}

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.intents]

    def get(self, name: str) -> Intent | None:
        return self.by_name.get(name)

    def title(self, name: str) -> str:
        intent = self.by_name.get(name)
        return intent.label if intent else "Other"

    def facts_for(self, name: str) -> tuple[str, ...]:
        """CRM facts a draft for this intent may cite; "other" may cite the order the ticket concerns."""
        intent = self.by_name.get(name)
        return intent.facts if intent else ("order",)

    def examples(self) -> list[tuple[str, str]]:
        return [(text, i.name) for i in self.intents for text in i.examples]

    def check_names(self, names: Iterable[str], where: str) -> None:
        """An intent named in routing rules or a catalog that this taxonomy lacks is an error naming it."""
        unknown = sorted({n for n in names if n != OTHER and n not in self.by_name})
        if unknown:
            known = ", ".join(self.names) or "none yet"
            raise SettingsError(where, [f"unknown intent {u!r} (the workspace's intents: {known})"
                                        for u in unknown])

    @cached_property
    def compiled_triggers(self) -> tuple[tuple[str, str, tuple[re.Pattern[str], ...]], ...]:
        """Built-in triggers first, then the workspace's own."""
        specs = (*builtin_rules().triggers, *self.triggers) if self is not _BUILTIN else self.triggers
        return tuple((t.kind, t.reason, tuple(re.compile(expand(p), re.IGNORECASE) for p in t.patterns))
                     for t in specs)

    def trigger(self, kind: str) -> TriggerSpec | None:
        own = self.triggers if self is _BUILTIN else (*builtin_rules().triggers, *self.triggers)
        return next((t for t in own if t.kind == kind), None)

    @cached_property
    def frustration(self) -> re.Pattern[str]:
        """Built-in frustration markers plus the workspace's own, as one pattern."""
        markers = (*builtin_rules().sentiment.frustration, *self.sentiment.frustration) \
            if self is not _BUILTIN else self.sentiment.frustration
        return re.compile(r"\b(?:" + "|".join(f"(?:{expand(m)})" for m in markers) + r")\b", re.IGNORECASE)

    @cached_property
    def vader(self) -> Any:
        """VADER with this workspace's (and the built-in) neutral words taken out of its lexicon."""
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        analyzer = SentimentIntensityAnalyzer()
        neutral = (*builtin_rules().sentiment.neutral, *self.sentiment.neutral) \
            if self is not _BUILTIN else self.sentiment.neutral
        for word in neutral:
            analyzer.lexicon.pop(word.lower(), None)
        return analyzer

    def with_intents(self, intents: Iterable[Intent]) -> Taxonomy:
        return Taxonomy(intents=tuple(intents), triggers=self.triggers, sentiment=self.sentiment)


def expand(pattern: str) -> str:
    """Placeholders trigger files may use: {N} a count, {MONTH} a month name."""
    return (pattern.replace("{N}", r"(?:\d+|two|three|four|five|six|several|all)")
            .replace("{MONTH}", r"(?:january|february|march|april|may|june|july|august|september|october|"
                                r"november|december)"))


def _describe(exc: ValidationError, data: dict[str, Any]) -> list[str]:
    out = []
    for e in exc.errors()[:5]:
        loc = list(e["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "intents" and isinstance(loc[1], int):
            try:
                where = f"intent {data['intents'][loc[1]].get('name', loc[1])!r}" + (
                    f" ({'.'.join(str(p) for p in loc[2:])})" if loc[2:] else "")
            except (KeyError, IndexError, AttributeError, TypeError):
                pass
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"].removeprefix("Value error, ")
        out.append(f"{where}: {msg}")
    return out


def parse(text: str, source: str = "taxonomy.toml") -> Taxonomy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(source, [f"not valid TOML: {exc}"]) from None
    except RecursionError:
        raise SettingsError(source, ["it nests too deeply to read"]) from None
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(source, _describe(exc, data)) from None


def load(path: Path) -> Taxonomy:
    """The taxonomy in ``path``; a missing file is an empty taxonomy (every ticket is "other")."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Taxonomy()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(str(path), [f"it cannot be read ({exc})"]) from None
    return parse(text, str(path))


def dumps(taxonomy: Taxonomy) -> str:
    import tomli_w

    data = taxonomy.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("intents", [])
    for raw, intent in zip(data["intents"], taxonomy.intents, strict=True):
        raw["name"] = intent.name  # always written, first
    return "# Intents of this workspace (see assist/taxonomy.py for every key).\n" + tomli_w.dumps(data)


def save(taxonomy: Taxonomy, path: Path) -> None:
    """Write atomically: a crash mid-write never leaves half a taxonomy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".taxonomy-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(dumps(taxonomy))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_BUILTIN: Taxonomy | None = None


def builtin_rules() -> Taxonomy:
    """The hard triggers and frustration markers every workspace has (resources/triggers.toml)."""
    global _BUILTIN
    if _BUILTIN is None:
        from assist.paths import resources_dir

        _BUILTIN = load(resources_dir() / "triggers.toml")
    return _BUILTIN
