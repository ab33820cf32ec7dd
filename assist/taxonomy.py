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
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from assist.errors import SettingsError
from assist.patterns import Pattern, compile_pattern
from assist.settings import checked

OTHER = "other"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,62}$")


class _Model(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Checked when read (``msgspec.convert``) and when built in code (``__post_init__``)."""


class Intent(_Model, frozen=True):
    name: str
    title: str = ""
    description: str = ""
    base_risk: Literal["low", "medium", "high"] = "low"
    tier: Literal["", "human", "offline", "fast", "frontier"] = ""
    retrieval: str = ""
    facts: tuple[Literal["order", "plan"], ...] = ()
    actions: tuple[str, ...] = ()
    escalation_reason: str = ""
    high_risk_over: Annotated[float, Meta(ge=0)] | None = None
    examples: tuple[str, ...] = ()
    team_label: str = ""  # the label as the team's helpdesk spells it ("Billing::Refund"), when learned from one

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or self.name == OTHER:
            raise ValueError(f"{self.name!r} is not an intent name (lowercase letters, digits and _; not {OTHER!r})")

    @property
    def label(self) -> str:
        return self.title or self.name.replace("_", " ").capitalize()

    @property
    def parent(self) -> str:
        """The parent of a hierarchical team label ("Billing" of "Billing::Refund", "billing/refund" or
        "Billing > Refund"); "" for a flat one."""
        parts = re.split(r"\s*(?:::|/|>)\s*", self.team_label.strip())
        return parts[0] if len(parts) > 1 and all(parts) else ""


def _compiles(patterns: tuple[str, ...]) -> None:
    for p in patterns:
        try:
            compile_pattern(expand(p))
        except ValueError as exc:
            raise ValueError(f"pattern {p!r}: {exc}") from None


class TriggerSpec(_Model, frozen=True):
    kind: str
    reason: str
    patterns: tuple[str, ...]
    escalation_reason: str = "other"

    def __post_init__(self) -> None:
        _compiles(self.patterns)


class SentimentSpec(_Model, frozen=True):
    frustration: tuple[str, ...] = ()
    neutral: tuple[str, ...] = ()  # words the general lexicon scores that say nothing of mood here

    def __post_init__(self) -> None:
        _compiles(self.frustration)


class HumanRequestSpec(_Model, frozen=True):
    """The workspace's own examples for the asking-for-a-human detector (besides the shipped phrase set)."""

    asks: tuple[str, ...] = ()  # customers asking for a person, in this team's customers' words
    ordinary: tuple[str, ...] = ()  # messages it must not take for such a request


class Taxonomy(_Model, frozen=True, dict=True):  # dict: room for the cached properties below
    intents: tuple[Intent, ...] = ()
    triggers: tuple[TriggerSpec, ...] = ()
    sentiment: SentimentSpec = msgspec.field(default_factory=SentimentSpec)
    human_request: HumanRequestSpec = msgspec.field(default_factory=HumanRequestSpec)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for i in self.intents:
            if i.name in seen:
                raise ValueError(f"intent {i.name!r} is listed twice")
            seen.add(i.name)

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
    def compiled_triggers(self) -> tuple[tuple[str, str, tuple[Pattern, ...]], ...]:
        """Built-in triggers first, then the workspace's own."""
        specs = (*builtin_rules().triggers, *self.triggers) if self is not _BUILTIN else self.triggers
        # one alternation per trigger (one pass over the text instead of one per pattern; patterns are
        # checked one by one when the taxonomy is read, so a bad one is still named)
        return tuple((t.kind, t.reason, (compile_pattern("|".join(f"(?:{expand(p)})" for p in t.patterns)),))
                     for t in specs)

    @cached_property
    def human_detector(self) -> Any:
        """The learned asking-for-a-human detector (``assist.learning.handoff.Detector``): the shipped one,
        or one trained with this workspace's examples too; None when its model cannot be read."""
        from assist.learning import handoff
        from assist.paths import resources_dir

        spec = self.human_request
        try:
            return handoff.for_workspace(resources_dir(), spec.asks, spec.ordinary, None)
        except (OSError, ValueError, KeyError) as exc:
            import logging

            logging.getLogger(__name__).warning("Human-request detector unavailable (%s): patterns only", exc)
            return None

    def trigger(self, kind: str) -> TriggerSpec | None:
        own = self.triggers if self is _BUILTIN else (*builtin_rules().triggers, *self.triggers)
        return next((t for t in own if t.kind == kind), None)

    @cached_property
    def frustration(self) -> Pattern:
        """Built-in frustration markers plus the workspace's own, as one pattern."""
        markers = (*builtin_rules().sentiment.frustration, *self.sentiment.frustration) \
            if self is not _BUILTIN else self.sentiment.frustration
        return compile_pattern(r"\b(?:" + "|".join(f"(?:{expand(m)})" for m in markers) + r")\b")

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
        return Taxonomy(intents=tuple(intents), triggers=self.triggers, sentiment=self.sentiment,
                        human_request=self.human_request)


def expand(pattern: str) -> str:
    """Placeholders trigger files may use: {N} a count, {MONTH} a month name."""
    return (pattern.replace("{N}", r"(?:\d+|two|three|four|five|six|several|all)")
            .replace("{MONTH}", r"(?:january|february|march|april|may|june|july|august|september|october|"
                                r"november|december)"))


def _named(problems: list[str], data: dict[str, Any]) -> list[str]:
    """ "intents[3].tier: ..." as "intent 'refunds' (tier): ...": the name the team wrote."""
    intents = data.get("intents") if isinstance(data, dict) else None

    def name(match: re.Match[str]) -> str:
        i, key = int(match[1]), match[2]
        entry = intents[i] if isinstance(intents, list) and i < len(intents) else None
        label = entry.get("name", i) if isinstance(entry, dict) else i
        return f"intent {label!r}" + (f" ({key})" if key else "") + ":"

    return [re.sub(r"^intents\[(\d+)\](?:\.(\S+?))?:", name, p) for p in problems]


def edited(intent: Intent, changes: dict[str, Any]) -> Intent:
    """``intent`` with an editor's changes, checked, or a ``SettingsError`` naming each wrong field."""
    return checked(Intent, {**msgspec.structs.asdict(intent), **changes}, f"intent {intent.name!r}")


def parse(text: str, source: str = "taxonomy.toml") -> Taxonomy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(source, [f"not valid TOML: {exc}"]) from None
    except RecursionError:
        raise SettingsError(source, ["it nests too deeply to read"]) from None
    try:  # a valid file (every start) is one C call; a broken one is walked to name every problem
        return msgspec.convert(data, Taxonomy)
    except msgspec.ValidationError:
        pass
    try:
        return checked(Taxonomy, data, source)
    except SettingsError as exc:
        raise SettingsError(source, _named(exc.problems, data)) from None


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

    data: dict[str, Any] = msgspec.to_builtins(taxonomy)  # defaults left out (omit_defaults)
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
