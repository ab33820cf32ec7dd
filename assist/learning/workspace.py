"""Learning for one workspace, shared by ``assist learn`` and the Learn window: where its history, model
and taxonomy live, turning a labelled history into intents, training and saving the router."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from assist import taxonomy as taxonomies
from assist.learning import discover
from assist.learning.history import HISTORY_FILE, HistoryTicket, labelled
from assist.learning.model import META_FILE, MODEL_FILE
from assist.learning.train import TrainResult, train
from assist.paths import Paths
from assist.taxonomy import Intent, Taxonomy


def history_file(paths: Paths, name: str) -> Path:
    return paths.workspace_dir(name) / HISTORY_FILE


def label_names(history: Sequence[HistoryTicket]) -> list[HistoryTicket]:
    """Labels as intent names ("Billing / Refund" -> "billing_refund"), so any helpdesk's labels fit."""
    return [replace(t, label=discover._slug([t.label])) if t.label else t for t in history]


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
                                  examples=tuple(dict.fromkeys(texts))[:8]))
    return base.with_intents(intents)


def train_and_save(paths: Paths, name: str, history: Sequence[HistoryTicket],
                   progress: Callable[[str], None] = lambda _m: None) -> TrainResult:
    """Train on the labelled history and keep the winner where the workspace's router finds it."""
    result = train(labelled(history), progress=progress)
    folder = paths.workspace_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    model_file = folder / MODEL_FILE
    if result.model is not None:
        result.model.save(model_file)
    else:
        model_file.unlink(missing_ok=True)  # naive Bayes won: the router trains it from the history itself
    meta = {"kind": result.winner, "tickets": result.tickets, "threshold": result.threshold,
            "coverage": result.coverage, "precision": result.precision,
            "scores": [{"model": s.name, "accuracy": s.accuracy, "macro_f1": s.macro_f1} for s in result.scores]}
    (folder / META_FILE).write_text(json.dumps(meta, indent=2), "utf-8")
    return result


def save_taxonomy(paths: Paths, name: str, taxonomy: Taxonomy) -> Path:
    from assist.workspace import taxonomy_path

    path = taxonomy_path(paths, name)
    taxonomies.save(taxonomy, path)
    return path
