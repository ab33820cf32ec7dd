"""A team's ticket history: from its helpdesk (solved and closed tickets, paged, resumable) or a file.

The history is cached in the workspace's data folder as ``history.jsonl``, one ticket per line, written
as each ticket arrives: an import cut off by a crash, a timeout or Ctrl+C resumes where it stopped.
A file import reads JSONL or CSV with ``subject``, ``body``, and optionally ``label``, ``reply`` (the
agent's answer), ``handle_minutes``, ``replies``, ``reopened`` and ``id``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from assist.domain import AuthorRole, BodyFormat, QueueFilter, Ticket, TicketStatus
from assist.errors import AssistError, ConnectorAuthError, ConnectorError
from assist.helpdesk.base import Helpdesk
from assist.text import message_text

log = logging.getLogger(__name__)

HISTORY_FILE = "history.jsonl"
DEFAULT_LAST, MAX_LAST = 1000, 10_000
MAX_BODY = 8000


@dataclass(frozen=True, slots=True)
class HistoryTicket:
    id: str
    subject: str
    body: str  # what the customer wrote, plain text
    label: str = ""
    reply: str = ""  # the agent's first public answer
    handle_minutes: float | None = None
    replies: int = 0
    reopened: bool = False

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.body}"


def labelled(history: Iterable[HistoryTicket]) -> list[tuple[str, str]]:
    return [(t.text, t.label) for t in history if t.label]


# -- files --------------------------------------------------------------------------------------

_FIELDS = {f.name for f in fields(HistoryTicket)}


# Column names a team's export may use for each field, matched case-insensitively (Zendesk and Freshdesk
# exports as their UIs write them: Subject, Description, Tags, Type; the project's own names first).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "ticket id", "ticket_id", "ticket #", "number"),
    "subject": ("subject", "title", "summary"),
    "body": ("body", "text", "description", "message", "content", "question", "customer message", "comment",
             "first message"),
    "label": ("label", "intent", "category", "type", "ticket type", "tags", "tag"),
    "reply": ("reply", "answer", "agent reply", "response"),
    "handle_minutes": ("handle_minutes", "handle_time", "handle time", "handle time (min)", "time spent"),
    "replies": ("replies", "agent replies", "replies count"),
    "reopened": ("reopened", "reopens"),
}


def columns(keys: Iterable[str], label: str = "") -> dict[str, str]:
    """Which of a file's columns (or JSON keys) holds each field: {field: column as the file spells it}.
    ``label``: the column the team names for the label (``--label-field``), instead of the first usual one."""
    by_lower = {k.strip().lower(): k for k in keys if isinstance(k, str)}
    out: dict[str, str] = {}
    for field, names in COLUMNS.items():
        names = (label.strip().lower(),) if field == "label" and label else names
        hit = next((by_lower[n] for n in names if n in by_lower), None)
        if hit is not None:
            out[field] = hit
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # Zendesk tags: the first one names the ticket's kind
        return str(value[0]) if value else ""
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def _row(raw: dict[str, Any], source: str, cols: dict[str, str] | None = None) -> HistoryTicket:
    if not isinstance(raw, dict):
        raise AssistError(f"{source}: expected an object with subject and body.")
    cols = cols if cols is not None else columns(raw)

    def get(field: str) -> Any:
        return raw.get(cols[field]) if field in cols else None

    subject, body = _text(get("subject")), _text(get("body"))
    if not (subject.strip() or body.strip()):
        raise AssistError(f"{source}: no subject and no body.")

    def num(field: str) -> float | None:
        value = get(field)
        if value in (None, ""):
            return None
        try:
            return float(str(value).replace(",", "."))
        except (TypeError, ValueError):
            raise AssistError(f"{source}: {cols[field]} {value!r} is not a number.") from None

    replies = num("replies")
    label = _text(get("label")).strip()
    if label and cols.get("label", "").strip().lower() in ("tags", "tag"):
        label = re.split(r"[,\s]+", label)[0]  # a CSV's tags, comma- or space-separated: the first
    return HistoryTicket(
        _text(get("id")) or source.rpartition(" ")[2], subject[:500], body[:MAX_BODY], label,
        _text(get("reply"))[:MAX_BODY], num("handle_minutes"), int(replies or 0),
        str(get("reopened") or "").strip().lower() in ("1", "true", "yes"),
    )


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AssistError(f"{path} does not exist.") from None
    except OSError as exc:
        raise AssistError(f"{path} cannot be read ({exc.strerror}).") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")  # Excel's CSV on Windows
        except UnicodeDecodeError:
            raise AssistError(f"{path} is not text in UTF-8, UTF-16 or Windows-1252.") from None


def _json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AssistError(f"{source}: not JSON ({exc.msg}).") from None
    except RecursionError:
        raise AssistError(f"{source}: nested too deeply to read.") from None


def read_file(path: Path) -> list[HistoryTicket]:
    """Tickets from a JSONL, JSON (an array, or an object with a ``tickets`` array) or CSV file (comma,
    semicolon or tab; quoted fields may span lines), as a helpdesk's export writes it; a bad record is an
    error naming its line."""
    tickets, _ = read_file_columns(path)
    return tickets


def read_file_columns(path: Path, label: str = "") -> tuple[list[HistoryTicket], dict[str, str]]:
    """``read_file`` and the columns it used ({field: column}); ``label`` names the label's column."""
    text = _decode(path)
    head = text.lstrip()[:1]
    out: list[HistoryTicket] = []
    used: dict[str, str] = {}
    if head == "[" or (head == "{" and path.suffix.lower() == ".json"):
        data = _json(text, str(path))
        items = data.get("tickets", data.get("results")) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise AssistError(f"{path}: expected an array of tickets (or an object with a 'tickets' array).")
        for n, raw in enumerate(items, start=1):
            cols = columns(raw, label) if isinstance(raw, dict) else {}
            used = used or cols
            out.append(_row(raw, f"{path}, ticket {n}", cols))
    elif head == "{":
        for n, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 may sit in a string
            if not line.strip():
                continue
            raw = _json(line, f"{path}, line {n}")
            cols = columns(raw, label) if isinstance(raw, dict) else {}
            used = used or cols
            out.append(_row(raw, f"{path}, line {n}", cols))
    else:
        csv.field_size_limit(16 * 1024 * 1024)
        sample = text[:20_000]
        first = sample.split("\n", 1)[0]
        delimiter = max((",", ";", "\t"), key=first.count)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(reader, [])
            used = columns(header, label)
            if label and "label" not in used:
                raise AssistError(f"{path}: no column named {label!r} (columns: {', '.join(header[:12])}).")
            if not ({"subject", "body"} & set(used)):
                raise AssistError(f"{path}: the CSV needs a header row with a subject or body column "
                                  f"(Subject, Description, Body, Text...); it has {', '.join(header[:8]) or 'none'}.")
            for raw in reader:
                if not any(cell.strip() for cell in raw):
                    continue
                out.append(_row(dict(zip(header, raw, strict=False)), f"{path}, line {reader.line_num}", used))
        except csv.Error as exc:
            raise AssistError(f"{path}, line {reader.line_num}: not CSV ({exc}).") from None
    if not out:
        raise AssistError(f"{path} has no tickets.")
    return out, used


def save(history: Iterable[HistoryTicket], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for t in history:
            fh.write(json.dumps(asdict(t)) + "\n")
    tmp.replace(path)


def load_cache(path: Path) -> list[HistoryTicket]:
    """The cached history; a torn last line (a crash mid-write) is skipped, not fatal."""
    out: list[HistoryTicket] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError):
        return out
    except OSError as exc:  # an unusable data folder: routing works without the history, the folder's
        log.warning("Couldn't read %s: %s", path, exc)  # own error reaches the agent where it is used
        return out
    for line in lines:
        try:
            raw = json.loads(line)
            out.append(HistoryTicket(**{k: v for k, v in raw.items() if k in _FIELDS}))
        except (json.JSONDecodeError, TypeError):
            log.warning("Skipping an unreadable line in %s", path)
    return out


# -- helpdesk -----------------------------------------------------------------------------------


def label_of(ticket: Ticket, label_field: str) -> str:
    """The label a lead chose: ``tags`` (the first tag), ``tags:PREFIX`` (the first tag with that prefix,
    prefix dropped), or a helpdesk field (``queue``, ``type``, ``group``, ``cf.NAME``, ``field.ID``)."""
    if not label_field:
        return ""
    if label_field == "tags" or label_field.startswith("tags:"):
        prefix = label_field.partition(":")[2]
        return next((t[len(prefix):] for t in ticket.tags if t.startswith(prefix) and t != prefix), "")
    return ticket.field(label_field)


def from_ticket(ticket: Ticket, label_field: str) -> HistoryTicket:
    customer, reply = [], ""
    first = last = None
    agents = 0
    for m in ticket.messages:
        text = message_text(m.body, m.body_format is not BodyFormat.TEXT)
        if m.role is AuthorRole.CUSTOMER:
            if not agents:
                customer.append(text)
            first = first or m.created_at
        elif m.public:
            agents += 1
            reply = reply or text
            last = m.created_at
    minutes = round((last - first).total_seconds() / 60, 1) if first and last and last >= first else None
    return HistoryTicket(str(ticket.id), ticket.subject[:500], "\n".join(customer)[:MAX_BODY],
                         label_of(ticket, label_field), reply[:MAX_BODY], minutes, agents,
                         "reopened" in ticket.tags)


async def pull(
    helpdesk: Helpdesk, cache: Path, *, last: int = DEFAULT_LAST, label_field: str = "",
    progress: Callable[[int, int], None] = lambda _done, _total: None, concurrency: int = 4,
    notes: list[str] | None = None,
) -> list[HistoryTicket]:
    """The last ``last`` solved/closed tickets, each fetched once: those already in ``cache`` are kept, so
    an interrupted import resumes. A ticket the helpdesk cannot return is skipped and logged. ``notes``
    receives why fewer than ``last`` came back (the helpdesk has fewer; a vendor's paging limit)."""
    notes = notes if notes is not None else []
    if not 1 <= last <= MAX_LAST:
        raise AssistError(f"--last must be between 1 and {MAX_LAST:,} (got {last:,}).")
    lister = getattr(helpdesk, "history_ids", None)
    if lister is not None:  # the vendor's own way to read history (export, paging), not the agent's queue
        wanted_ids, note = await lister(last)
    else:
        summaries = await helpdesk.list_queue(QueueFilter(statuses=(TicketStatus.SOLVED, TicketStatus.CLOSED)),
                                              limit=last)
        wanted_ids = [str(s.id) for s in summaries[:last]]
        note = "" if len(wanted_ids) >= last else f"the helpdesk has {len(wanted_ids):,} solved or closed tickets"
    if note:
        log.warning("History import: asked for %d tickets; %s", last, note)
        notes.append(f"asked for {last:,} tickets; {note}")
    meta = cache.with_suffix(".meta.json")
    try:
        same_labels = json.loads(meta.read_text("utf-8")).get("label_field") == label_field
    except (OSError, ValueError, AttributeError):
        same_labels = False
    if not same_labels:  # labels come from another field now: fetch again rather than mix them
        cache.unlink(missing_ok=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"label_field": label_field}), "utf-8")
    have = {t.id: t for t in load_cache(cache)}
    wanted = wanted_ids
    todo = [tid for tid in wanted if tid not in have]
    done = len(wanted) - len(todo)
    progress(done, len(wanted))
    cache.parent.mkdir(parents=True, exist_ok=True)
    sem = asyncio.Semaphore(concurrency)
    skipped = 0

    async def one(tid: str) -> HistoryTicket | None:
        nonlocal skipped
        async with sem:
            try:
                return from_ticket(await helpdesk.get_ticket(tid), label_field)  # type: ignore[arg-type]
            except ConnectorAuthError:
                raise  # a revoked token fails every ticket: say so once
            except ConnectorError as exc:
                skipped += 1
                log.warning("History import skipped #%s: %s", tid, exc)
                return None

    with cache.open("a", encoding="utf-8") as fh:
        for batch in _chunks(todo, 50):
            for t in await asyncio.gather(*(one(tid) for tid in batch)):
                if t is not None:
                    fh.write(json.dumps(asdict(t)) + "\n")
                    have[t.id] = t
                done += 1
            fh.flush()
            progress(done, len(wanted))
    if skipped:
        log.warning("History import skipped %d tickets the helpdesk could not return", skipped)
    return [have[tid] for tid in wanted if tid in have]


class Eta:
    """How long the rest of an import should take, from the rate measured on this run (what was cached
    already is not part of the rate): ", about 4 min left", or "" until it is known."""

    def __init__(self) -> None:
        self.started: tuple[float, int] | None = None

    def __call__(self, done: int, total: int) -> str:
        import time

        now = time.monotonic()
        if self.started is None:
            self.started = (now, done)
            return ""
        at, first = self.started
        rate = (done - first) / max(now - at, 1e-6)
        if done >= total or rate <= 0 or done - first < 10:
            return ""
        left = (total - done) / rate
        return f", about {left / 60:.0f} min left" if left >= 90 else f", about {left:.0f} s left"


def _chunks(items: list[str], n: int) -> Iterator[list[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]
