"""Learning for one workspace, shared by ``assist learn`` and the Learn window: where its history, model
and taxonomy live, turning a labelled history into intents, training and saving the router."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from assist import embeddings
from assist import taxonomy as taxonomies
from assist.errors import AssistError
from assist.helpdesk.base import Helpdesk
from assist.knowledge.base import KnowledgeBase
from assist.learning import bucket_report, discover
from assist.learning.history import HISTORY_FILE, HistoryTicket, labelled
from assist.learning.model import META_FILE, MODEL_FILE, IntentRouter
from assist.learning.train import TrainResult, train
from assist.paths import Paths
from assist.taxonomy import Intent, Taxonomy

log = logging.getLogger(__name__)


def history_file(paths: Paths, name: str) -> Path:
    return paths.workspace_dir(name) / HISTORY_FILE


def label_names(history: Sequence[HistoryTicket]) -> tuple[list[HistoryTicket], dict[str, str]]:
    """Labels as intent names ("Billing::Refund" -> "billing_refund"), so any helpdesk's labels fit, and
    each name's label as the team wrote it. Two labels never share a name: when their names collide
    ("Refund!" and "refund?", or labels alike in their first 60 characters) the later gets "_2", "_3"."""
    names: dict[str, str] = {}  # team label -> intent name
    taken: dict[str, str] = {}  # intent name -> team label
    for t in history:
        raw = t.label.strip()
        if not raw or raw in names:
            continue
        base = discover.slug([raw], limit=60)
        name, n = base, 1
        while name in taken or name == "other":
            n += 1
            name = f"{base}_{n}"
        names[raw], taken[name] = name, raw
    return ([replace(t, label=names[t.label.strip()]) if t.label.strip() else t for t in history],
            taken)


def collisions(raw_labels: dict[str, str]) -> list[str]:
    """Intent names that had to be told apart from another label's ("refund_2" <- 'Refund?')."""
    return [f"{name} <- {raw!r}" for name, raw in raw_labels.items() if re.search(r"_\d+$", name)
            and discover.slug([raw], limit=60) != name]


def add_labelled_intents(base: Taxonomy, history: Sequence[HistoryTicket], raw_labels: dict[str, str]
                         ) -> Taxonomy:
    """Intents for the history's labels the taxonomy lacks (examples from the history), others kept."""
    intents = list(base.intents)
    have = {i.name for i in intents}
    by_label: dict[str, list[str]] = {}
    for t in history:
        if t.label:
            by_label.setdefault(t.label, []).append(t.text.replace("\n", " ").strip()[:300])
    for label, texts in sorted(by_label.items(), key=lambda kv: -len(kv[1])):
        if label not in have:
            raw = raw_labels.get(label, label)
            intents.append(Intent(name=label, title=raw if raw != label else label.replace("_", " ").capitalize(),
                                  team_label=raw, examples=tuple(dict.fromkeys(texts))[:8]))
    return base.with_intents(intents)


def train_and_save(paths: Paths, name: str, history: Sequence[HistoryTicket],
                   progress: Callable[[str], None] = lambda _m: None, precision: float = 0.95,
                   taxonomy: Taxonomy | None = None, embed: Callable[[Sequence[str]], Any] | None = None,
                   unlabelled: Sequence[str] | None = None) -> TrainResult:
    """Train on the labelled history (and the taxonomy's own examples of its intents) and keep the model
    where the workspace's router finds it. ``unlabelled``: the tickets nobody labelled (by default the
    history's without a label), which the model may label itself and learn from when labels are few."""
    examples = labelled(history)
    if taxonomy is not None:  # the taxonomy's own examples, less those copied from this history (no leak
        seen = {" ".join(t.split())[:300] for t, _ in examples}  # across folds, no double weight)
        examples += [(t, i) for t, i in taxonomy.examples()
                     if taxonomy.get(i) is not None and " ".join(t.split())[:300] not in seen]
    encoder = getattr(embed, "__self__", None)  # the model keeps which encoder its vectors came from
    if unlabelled is None:
        unlabelled = [t.text for t in history if not t.label]
    result = train(examples, progress=progress, precision=precision, embed=embed, unlabelled=unlabelled,
                   embedding=str(getattr(encoder, "id", embeddings.OFFLINE_ID)) if embed is not None else "")
    folder = paths.workspace_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    result.model.save(folder / MODEL_FILE)
    meta = {"kind": result.winner, "tickets": result.tickets, "precision_target": precision,
            "threshold": result.threshold, "coverage": result.coverage, "precision": result.precision,
            "scores": [{"model": s.name, "accuracy": s.accuracy, "macro_f1": s.macro_f1} for s in result.scores]}
    (folder / META_FILE).write_text(json.dumps(meta, indent=2), "utf-8")
    return result


def save_taxonomy(paths: Paths, name: str, taxonomy: Taxonomy) -> Path:
    from assist.workspace import taxonomy_path

    path = taxonomy_path(paths, name)
    taxonomies.save(taxonomy, path)
    return path


class Learning:
    """One lead's learning session for a workspace (the Learn window): the history, its buckets and the
    edits made to them, then accepting them as the taxonomy and training the router the session uses.
    Slow steps run in a thread; nothing here touches Qt."""

    def __init__(self, paths: Paths, name: str, router: IntentRouter,
                 namer: Callable[[list[discover.Bucket]], Awaitable[list[discover.Bucket]]] | None = None,
                 kb: KnowledgeBase | None = None) -> None:
        """``namer``: names buckets with the fast model (masked), when the workspace has one; ``kb``: the
        workspace's knowledge base, where the team's past answers become sources on accepting."""
        self.paths, self.name, self.router, self.namer, self.kb = paths, name, router, namer, kb
        self.history: list[HistoryTicket] = []
        self.raw_labels: dict[str, str] = {}
        self.buckets: list[discover.Bucket] = []
        self.moods: list[float] = []
        self.labelled = False

    @property
    def impact_unit(self) -> str:
        return discover.impact_unit(self.history)

    def _set_history(self, raw: Sequence[HistoryTicket]) -> None:
        self.history, self.raw_labels = label_names(raw)
        self.moods = discover.moods_of(self.history, self.router.taxonomy)
        self.labelled = sum(bool(t.label) for t in self.history) >= max(10, len(self.history) // 2)

    async def load_file(self, path: Path) -> int:
        from assist.learning import history as hist

        raw = await asyncio.to_thread(hist.read_file, path)
        await asyncio.to_thread(self._set_history, raw)
        await asyncio.to_thread(hist.save, raw, history_file(self.paths, self.name))
        return len(self.history)

    async def pull(self, helpdesk: Helpdesk, last: int, label_field: str,
                   progress: Callable[[int, int], None] = lambda _d, _t: None) -> int:
        from assist.learning import history as hist

        self.pull_notes: list[str] = []  # why fewer than ``last`` came back, for the window to say
        raw = await hist.pull(helpdesk, history_file(self.paths, self.name), last=last, label_field=label_field,
                              progress=progress, notes=self.pull_notes)
        await asyncio.to_thread(self._set_history, raw)
        return len(self.history)

    async def discover(self, k: int | None = None,
                       progress: Callable[[int, int], None] = lambda _d, _t: None) -> list[discover.Bucket]:
        """Buckets of the history. ``progress(done, total)``: its sentence vectors, computed once on a worker
        (and kept in the workspace), reported on the caller's event loop."""
        if not self.history:
            raise AssistError("Import tickets first (a file or the helpdesk's solved tickets).")
        embed = self.router.embed
        encoder = getattr(embed, "__self__", None)
        if isinstance(encoder, embeddings.CachedEncoder):
            loop = asyncio.get_running_loop()

            def report(done: int, total: int) -> None:
                loop.call_soon_threadsafe(progress, done, total)

            try:
                await asyncio.to_thread(encoder.encode, [t.text for t in self.history], report)
            except Exception as exc:  # noqa: BLE001 - vectors are a plus: without them, discover on words
                log.warning("Sentence vectors unavailable (%s): discovering on word statistics", exc)
                embed = None
        if self.labelled:
            self.buckets = await asyncio.to_thread(discover.by_label, self.history, self.moods)
        else:
            self.buckets = await asyncio.to_thread(discover.cluster, self.history, k, self.moods, 0, embed)
            if self.namer is not None:
                self.buckets = await self.namer(self.buckets)
        return self.buckets

    def merge(self, names: Sequence[str], into: str) -> None:
        if len(names) < 2:
            raise AssistError("Select two or more buckets to merge.")
        self.buckets = discover.merge(self.history, self.buckets, names, discover.slug([into]), self.moods)

    async def split(self, name: str) -> None:
        bucket = next((b for b in self.buckets if b.name == name), None)
        if bucket is None or bucket.volume < 4:
            raise AssistError("A bucket needs at least 4 tickets to split.")
        self.buckets = await asyncio.to_thread(discover.split, self.history, self.buckets, name, self.moods)

    def drop(self, names: Sequence[str]) -> None:
        self.buckets = discover.drop(self.buckets, names)

    def rename(self, old: str, new: str) -> None:
        try:
            self.buckets = discover.rename(self.buckets, old, new)
        except ValueError as exc:
            raise AssistError(f"Can't rename {old!r}: {exc}.") from None

    def report(self, path: Path) -> None:
        text = bucket_report.to_csv(self.buckets, self.impact_unit) if path.suffix.lower() == ".csv" else \
            bucket_report.to_html(self.buckets, f"{self.name}: intent buckets", self.impact_unit)
        try:
            path.write_text(text, "utf-8")
        except OSError as exc:
            raise AssistError(f"Couldn't write {path}: {exc.strerror}.") from None

    async def accept(self, progress: Callable[[str], None] = lambda _m: None) -> TrainResult:
        """The buckets become the workspace's intents; the router trains on them and is used at once."""
        from assist.learning import history as hist

        if not self.buckets:
            raise AssistError("Nothing to accept: discover buckets first.")
        base = self.router.taxonomy
        unlabelled: list[str] = []
        if self.labelled:
            keep = {b.name for b in self.buckets}
            history = [t if t.label in keep else replace(t, label="") for t in self.history]
            taxonomy = add_labelled_intents(base, history, self.raw_labels)
            unlabelled = [t.text for t in self.history if not t.label]  # not those of intents left out
        else:
            history = discover.labelled_by(self.history, self.buckets)
            taxonomy = discover.to_taxonomy(self.buckets, base, self.history)
        # train first: a run that fails leaves the workspace's taxonomy, history and model as they were
        result = await asyncio.to_thread(train_and_save, self.paths, self.name, history, progress,
                                         self.router.precision, taxonomy, self.router.embed, unlabelled)
        save_taxonomy(self.paths, self.name, taxonomy)
        await asyncio.to_thread(hist.save, history, history_file(self.paths, self.name))
        self.router.reload(taxonomy)  # routes with the new intents and their model at once
        if self.kb is not None:
            from assist.learning.answers import PREFIX, answer_documents

            await self.kb.replace_answers(await asyncio.to_thread(answer_documents, self.history), PREFIX)
        return result

    def set_precision(self, precision: float) -> None:
        """How often an automatically named intent must be right: routing uses it at once (no retraining:
        the model keeps its out-of-fold curve) and the workspace's config keeps it."""
        from assist.settings import WorkspaceRouting, checked, load_settings, save_settings

        value = checked(WorkspaceRouting, {"precision": round(precision, 4)}, "routing").precision
        settings, _ = load_settings(self.paths.config_file)
        ws = settings.workspaces.get(self.name)
        if ws is not None:
            ws.routing = WorkspaceRouting(precision=value)
            save_settings(settings, self.paths.config_file)
        self.router.precision = value

    def coverage(self) -> tuple[float, float] | None:
        """(share routed automatically, precision out of fold) at the router's precision; None before a
        model is learned."""
        curve = self.router.loaded.curve
        return None if curve is None else curve.at(curve.threshold(self.router.precision))

    def save_intents(self, taxonomy: Taxonomy) -> Path:
        """The Intents tab's edits: written, and routing uses them from the next ticket."""
        path = save_taxonomy(self.paths, self.name, taxonomy)
        self.router.reload(taxonomy)
        return path
