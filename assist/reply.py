"""The text a customer receives: what the core send path posts, whatever the editor holds.

The draft editor shows ``[n]`` citation markers for the agent; the customer never sees them. They are
removed, or rendered as numbered footnotes with the article's public link where the knowledge base
has one (workspace setting). Markers that point at the customer's own CRM record or an internal
passage (no public URL) are dropped, never turned into links. Whitespace left behind is tidied.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assist.domain import Citation

_MARKER = re.compile(r"[ \t]?\[(\d{1,3})\]")
_SPACES = re.compile(r"[ \t]+([.,;:!?])")


def customer_reply(text: str, citations: Sequence[Citation] = (), *, footnotes: bool = False) -> str:
    """The draft as the customer should read it.

    Args:
        text: what the editor holds (may contain ``[n]`` markers).
        citations: the draft's numbered sources (to find public URLs for footnotes).
        footnotes: render markers of public articles as ``[1]`` footnotes listed at the end.
    """
    public = {c.number: c.source for c in citations if c.source.url.startswith(("https://", "http://"))}
    order: dict[int, int] = {}

    def sub(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if not footnotes or n not in public:
            return ""
        order.setdefault(n, len(order) + 1)
        return f" [{order[n]}]"

    body = _SPACES.sub(r"\1", _MARKER.sub(sub, text))
    body = "\n".join(line.rstrip() for line in body.splitlines()).strip()
    if order:
        notes = "\n".join(f"[{k}] {public[n].title}: {public[n].url}" for n, k in order.items())
        body = f"{body}\n\n{notes}"
    return body
