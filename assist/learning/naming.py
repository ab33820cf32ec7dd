"""Bucket names from the workspace's fast model (masked, through the model gateway), when it has one: a
readable intent name per discovered bucket instead of its distinctive terms."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from assist.learning.discover import Bucket, slug, taxonomy_name

if TYPE_CHECKING:
    from assist.settings import ModelTier, Settings


async def model_names(buckets: Sequence[Bucket], tier: Any, api_key: str | None, *, redact: bool) -> list[Bucket]:
    """Ask the fast model (through the masked gateway) for a short intent name per bucket; a bucket whose
    answer is missing or not a usable name keeps its term name. Never raises: naming is a nicety."""
    from assist import llm
    from assist.errors import LLMError

    lines = [f"{n}. terms: {', '.join(b.terms[:6])}; examples: " + " | ".join(e[:160] for e in b.examples[:3])
             for n, b in enumerate(buckets, start=1)]
    prompt = ("These are buckets of a support team's tickets. Name each bucket's intent in 1-3 lowercase words "
              "joined by underscores (for example: late_delivery). Answer with one line per bucket: "
              "'<number>: <name>'.\n\n" + "\n".join(lines))
    try:
        answer = (await llm.complete([{"role": "user", "content": prompt}], tier, api_key, redact=redact,
                                     max_tokens=20 * len(buckets) + 20)).text
    except LLMError:
        return list(buckets)
    named: dict[int, str] = {}
    for line in answer.splitlines():
        m = re.match(r"\s*(\d+)\s*[:.)-]\s*([A-Za-z][\w -]{1,40})\s*$", line)
        if m:
            named[int(m.group(1))] = slug(m.group(2).split())
    out, taken = [], set()
    for n, b in enumerate(buckets, start=1):
        name = named.get(n, "")
        if not name or name in taken or not taxonomy_name(name):
            name = b.name
        taken.add(name)
        out.append(replace(b, name=name))
    return out


def bucket_namer(settings: Settings, model_key: Callable[[ModelTier], str | None]
                 ) -> Callable[[list[Bucket]], Awaitable[list[Bucket]]] | None:
    """Discovery's bucket names from the fast model, masked like every request; None without one."""
    fast = settings.models.fast
    if not fast.model or not settings.ai.enabled:
        return None

    async def name(buckets: list[Bucket]) -> list[Bucket]:
        return await model_names(buckets, fast, model_key(fast), redact=settings.ai.redact_pii)

    return name
