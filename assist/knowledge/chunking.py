"""Turn documents into titled sections: Markdown and HTML by heading, PDF and text by paragraphs.

Pure functions (PDF parsing aside, which reads bytes already in memory). Sections longer than
``MAX_CHARS`` are split at paragraph boundaries so one passage stays quotable.
"""

from __future__ import annotations

import io
import re

from msgspec import Struct

MAX_CHARS = 1200
_MD_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")


class Section(Struct, frozen=True):
    heading: str
    text: str


class ParsedDocument(Struct, frozen=True):
    title: str
    sections: tuple[Section, ...]


def _split_long(heading: str, text: str) -> list[Section]:
    text = text.strip()
    if not text:
        return []
    if len(text) <= MAX_CHARS:
        return [Section(heading, text)]
    parts, current = [], ""
    for para in re.split(r"\n\s*\n", text):
        if current and len(current) + len(para) > MAX_CHARS:
            parts.append(current)
            current = ""
        current = f"{current}\n\n{para}".strip()
        while len(current) > MAX_CHARS:  # one enormous paragraph: cut at a sentence end
            cut = current.rfind(". ", 0, MAX_CHARS) + 1 or MAX_CHARS
            parts.append(current[:cut].strip())
            current = current[cut:].strip()
    if current:
        parts.append(current)
    return [Section(heading, p) for p in parts]


def markdown_document(text: str, fallback_title: str) -> ParsedDocument:
    title = ""
    heading = ""
    buf: list[str] = []
    sections: list[Section] = []
    in_code = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
        m = None if in_code else _MD_HEADING.match(line)
        if m:
            sections += _split_long(heading or title or fallback_title, "\n".join(buf))
            buf = []
            if len(m.group(1)) == 1 and not title:
                title = m.group(2)
                heading = ""
            else:
                heading = m.group(2)
            continue
        buf.append(line)
    title = title or fallback_title
    sections += _split_long(heading or title, "\n".join(buf))
    return ParsedDocument(title, tuple(sections))


def html_document(html: str, fallback_title: str) -> ParsedDocument:
    """The main text of an HTML page, sectioned by h1-h3; navigation and scripts are dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form",
                     "iframe", "svg", "template"]):
        tag.decompose()
    title_tag = soup.find("title")
    root = soup.find("main") or soup.find("article") or soup.body or soup
    h1 = root.find("h1")
    title = (h1.get_text(" ", strip=True) if h1 else "") or (
        title_tag.get_text(" ", strip=True) if title_tag else ""
    ) or fallback_title
    sections: list[Section] = []
    heading = ""
    buf: list[str] = []
    for el in root.find_all(["h1", "h2", "h3", "p", "li", "pre", "td", "blockquote", "dd", "dt"]):
        if el.name in ("h1", "h2", "h3"):
            sections += _split_long(heading or title, "\n\n".join(buf))
            buf = []
            heading = "" if el.name == "h1" else el.get_text(" ", strip=True)
            continue
        if el.find_parent(["li", "td", "blockquote", "dd"]) is not None and el.name == "p":
            continue  # counted with its container
        text = el.get_text(" ", strip=True)
        if text:
            buf.append(("- " if el.name == "li" else "") + text)
    sections += _split_long(heading or title, "\n\n".join(buf))
    return ParsedDocument(title, tuple(sections))


def text_document(text: str, title: str) -> ParsedDocument:
    return ParsedDocument(title, tuple(_split_long(title, text)))


def pdf_document(data: bytes, fallback_title: str) -> ParsedDocument:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    meta_title = ""
    try:
        meta_title = (reader.metadata.title or "") if reader.metadata else ""
    except Exception:  # broken metadata is common and harmless
        meta_title = ""
    title = meta_title.strip() or fallback_title
    sections: list[Section] = []
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        sections += _split_long(f"Page {number}", text)
    return ParsedDocument(title, tuple(sections))
