"""Ingest: files, folders, help-center exports (Zendesk Guide, Freshdesk solutions) into the index.

File parsing and indexing are synchronous and run on the knowledge base's worker thread; the web
crawler lives in ``assist.knowledge.crawl``. Unchanged documents (same content hash) are skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msgspec import Struct

from assist.knowledge.chunking import (
    ParsedDocument,
    html_document,
    markdown_document,
    pdf_document,
    text_document,
)
from assist.knowledge.index import KnowledgeIndex

SUPPORTED = {".md", ".markdown", ".html", ".htm", ".pdf", ".txt", ".json"}


class IngestProgress(Struct, frozen=True):
    done: int
    total: int
    current: str


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def merge(self, other: IngestReport) -> None:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.skipped += other.skipped

    def summary(self) -> str:
        text = f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"
        if self.skipped:
            text += f", {len(self.skipped)} skipped"
        if self.failed:
            text += f", {len(self.failed)} failed"
        return text


Progress = Callable[[IngestProgress], None]


class RawDocument(Struct, frozen=True):
    doc_id: str
    kind: str
    url: str
    parsed: ParsedDocument
    content_hash: str


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _articles(data: Any) -> Iterator[tuple[str, str, str, str, str]]:
    """(prefix, id, title, html, url) for Zendesk Guide and Freshdesk solution exports."""
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        items, prefix = data["articles"], "zendesk"
    elif isinstance(data, dict) and isinstance(data.get("article"), dict):
        items, prefix = [data["article"]], "zendesk"
    elif isinstance(data, list):
        items, prefix = data, "freshdesk"
    else:
        raise ValueError("not a Zendesk Guide or Freshdesk solutions export")
    for item in items:
        if not isinstance(item, dict) or "title" not in item:
            raise ValueError("an article has no title")
        if prefix == "zendesk" or "body" in item:
            if item.get("draft"):
                continue
            yield "zendesk", str(item["id"]), item["title"], item.get("body") or "", item.get("html_url") or ""
        else:
            html = item.get("description") or ""
            if not html and item.get("description_text"):
                html = "<p>" + item["description_text"] + "</p>"
            if item.get("status", 2) == 1:  # Freshdesk: 1 = draft, 2 = published
                continue
            yield "freshdesk", str(item["id"]), item["title"], html, item.get("url") or ""


def parse(name: str, data: bytes, content_type: str = "", url: str = "", doc_id: str = "") -> list[RawDocument]:
    """Parse one file or HTTP body; a help-center export yields one document per article."""
    suffix = Path(name).suffix.lower()
    doc_id = doc_id or name
    stem = Path(name).stem.replace("-", " ").replace("_", " ").strip() or name
    if suffix == ".json" or "json" in content_type:
        docs = []
        for prefix, art_id, title, html, art_url in _articles(json.loads(data.decode("utf-8"))):
            body = f"<h1>{title}</h1>{html}".encode()
            parsed = html_document(body.decode(), title)
            docs.append(RawDocument(f"{prefix}:{art_id}", prefix, art_url, parsed, _hash(body)))
        return docs
    if suffix == ".pdf" or "pdf" in content_type:
        parsed = pdf_document(data, stem)
        kind = "pdf"
    elif suffix in (".html", ".htm") or "html" in content_type:
        parsed = html_document(data.decode("utf-8", errors="replace"), stem)
        kind = "html"
    elif suffix in (".md", ".markdown") or "markdown" in content_type:
        parsed = markdown_document(data.decode("utf-8", errors="replace"), stem)
        kind = "markdown"
    else:
        parsed = text_document(data.decode("utf-8", errors="replace"), stem)
        kind = "text"
    return [RawDocument(doc_id, kind, url, parsed, _hash(data))]


def collect_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED and not p.name.startswith(".")
    )


def store(index: KnowledgeIndex, docs: list[RawDocument], report: IngestReport) -> None:
    for d in docs:
        if not d.parsed.sections:
            report.skipped.append((d.doc_id, "no text found"))
            continue
        report.count(index.upsert(d.doc_id, d.parsed, url=d.url, kind=d.kind, content_hash=d.content_hash))
    index.flush()


def ingest_files(
    index: KnowledgeIndex,
    files: list[Path],
    *,
    id_prefix: str = "file:",
    root: Path | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    report = IngestReport()
    for n, f in enumerate(files, start=1):
        if progress:
            progress(IngestProgress(n - 1, len(files), f.name))
        key = f.relative_to(root).as_posix() if root else f.resolve().as_posix()
        try:
            data = f.read_bytes()
            if data.strip() == b"":
                report.skipped.append((str(f), "empty file"))
                continue
            store(index, parse(f.name, data, doc_id=id_prefix + key), report)
        except Exception as exc:  # one bad file never stops a folder: report it and go on
            report.failed.append((str(f), f"{type(exc).__name__}: {exc}"))
    index.flush()
    if progress:
        progress(IngestProgress(len(files), len(files), "done"))
    return report
