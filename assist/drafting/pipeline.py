"""The drafting pipeline: from a routed ticket to a verified Draft in the journal, in one place.

Human-only routes get no draft; otherwise the knowledge base is searched (BM25, fused with the nearest
passages by sentence vector when the knowledge base has them; the best article's sections about what was
asked beside it), and with no grounded passage, or on the offline tier, the offline draft is
built from the sources off the event loop. Else the tier's model streams through the model gateway
(``assist.llm``: masked, its errors translated); a model that fails before writing anything gives the offline
draft with the reason, and a provider's bill for a call that gave nothing is journaled. Every draft run is
recorded in the journal unless the caller (the regression suite) says not to.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from assist import llm
from assist.domain import Delta, Draft, Route, Source, TicketContext, Tier
from assist.drafting.model import build_messages, finish_model_draft, human_only_draft
from assist.drafting.offline import grounding, heading_words, offline_draft, own_words
from assist.drafting.sources import crm_sources, number_sources, retrieval_query
from assist.errors import LLMError
from assist.routing import customer_text

if TYPE_CHECKING:
    from assist.embeddings import CachedEncoder
    from assist.journal import Journal
    from assist.knowledge.base import KnowledgeBase
    from assist.settings import ModelTier, Settings
    from assist.taxonomy import Taxonomy

log = logging.getLogger(__name__)

SIBLING_WEIGHT = 0.8  # an article's other sections, beside the one that ranked first: just below it


class Drafter:
    """Drafts for one workspace: its settings, knowledge base, journal and taxonomy (read when drafting, so a
    relearned taxonomy applies to the next draft)."""

    def __init__(self, settings: Settings, kb: KnowledgeBase, journal: Journal, taxonomy: Callable[[], Taxonomy],
                 model_key: Callable[[ModelTier], str | None], knowledge_ready: Callable[[], Awaitable[None]],
                 encoder: CachedEncoder | None = None) -> None:
        self.settings, self.kb, self.journal, self.encoder = settings, kb, journal, encoder
        self._taxonomy, self._model_key, self._knowledge_ready = taxonomy, model_key, knowledge_ready

    async def search(self, text: str, k: int = 8) -> list[Source]:
        """The knowledge base searched for ``text`` as drafting searches it (words and, once passages have
        vectors, sentence vectors fused): what the Knowledge window and ``assist kb search`` show."""
        return await self.kb.search(text, k, vector=await self._vector(text), encoder=self._encoder_id)

    @property
    def _encoder_id(self) -> str:
        return self.encoder.id if self.encoder is not None else ""

    async def _vector(self, text: str) -> Any:
        """``text``'s sentence vector when the knowledge base has passage vectors from the same encoder (on a
        worker thread; a text routing encoded is read from the cache), else None: words only."""
        encoder = self.encoder
        if encoder is None or not await self.kb.has_vectors(encoder.id):
            return None
        try:
            return (await asyncio.to_thread(encoder.encode, [text]))[0]
        except Exception as exc:  # noqa: BLE001 - vectors are a plus: without them, BM25 alone
            log.warning("Sentence encoder failed (%s): knowledge search on words only", type(exc).__name__)
            return None

    def _crm_facts(self, ctx: TicketContext, r: Route) -> list[Source]:
        return crm_sources(ctx.ticket, ctx.customer, self._taxonomy().facts_for(r.intent))

    def _about_an_order(self, r: Route) -> bool:
        """Does this intent concern an order (its taxonomy entry cites the order)? Then a clarifying question
        may ask for the order number."""
        info = self._taxonomy().get(r.intent)
        return bool(info and "order" in info.facts)

    async def sources(self, ctx: TicketContext, r: Route) -> list[Source]:
        await self._knowledge_ready()
        info = self._taxonomy().get(r.intent)
        vector = await self._vector(f"{ctx.ticket.subject}\n{customer_text(ctx.ticket)}"[:2000])  # as routing
        found = await self.kb.search(retrieval_query(ctx.ticket, info.retrieval if info else ""),
                                     k=self.settings.ai.top_k, vector=vector, encoder=self._encoder_id)
        if not found:
            return found
        # The best article's other sections are candidates too: its "Replacement or refund" section may be the
        # answer while its "Report within 7 days" section shared more words with the customer. They rank just
        # below the section that found the article. The found section's other parts (a long one is indexed in
        # parts) come too.
        top = found[0]
        have = {s.id for s in found}
        asked = own_words(ctx.ticket)  # a sibling joins only when its heading is about what was asked
        siblings = [replace(s, score=top.score * SIBLING_WEIGHT) for s in await self.kb.sections(top.doc_id)
                    if s.id not in have and (heading_words(s.heading) & asked or s.heading == top.heading)]
        return [*found, *siblings]

    async def draft(self, ctx: TicketContext, r: Route, agent: str, *, record: bool = True, fallback: bool = True
                    ) -> AsyncIterator[Delta | Draft]:
        """Yield streamed text, then the final verified Draft (also written to the journal).

        ``agent``: the name replies are signed with. ``fallback``: a model that can't be reached gives the
        offline draft (for agents); the regression suite turns it off, so an unreachable model shows as
        failing, not as a passing offline tier.
        """
        started = time.perf_counter()
        ai, me = self.settings.ai, self.settings.agent.name
        if r.human_only:
            yield human_only_draft(r)
            return
        kb = await self.sources(ctx, r)
        asked = own_words(ctx.ticket)
        grounded = grounding(kb, asked, ai)
        if r.tier is Tier.OFFLINE or not grounded:
            # No grounding means no model call: a clarifying question, never a guess.
            # CPU work over the thread's text: off the event loop (the UI thread)
            result = await asyncio.to_thread(partial(offline_draft, about_an_order=self._about_an_order(r)),
                                             ctx.ticket, ctx.customer, r, kb, ai, agent, self._crm_facts(ctx, r))
            if r.tier is not Tier.OFFLINE:
                result = replace(result, tier=r.tier, model=r.model)
        else:
            tier_cfg = getattr(self.settings.models, r.tier.value)
            citations = number_sources(self._crm_facts(ctx, r) + grounded)
            messages = build_messages(ctx.ticket, ctx.customer, citations, r, ai, agent,
                                      self._taxonomy().title(r.intent))
            usage: dict[str, float] = {}
            text, error = "", ""
            try:
                async for delta in llm.stream(
                    messages, tier_cfg, self._model_key(tier_cfg), redact=ai.redact_pii, usage=usage
                ):
                    text += delta.text
                    yield delta
            except LLMError as exc:
                text, error = exc.partial or text, str(exc)
            if fallback and error and not text.strip():
                # The model couldn't be reached (or refused the key) before writing anything: the agent
                # gets the offline draft now, and is told why, instead of an empty editor.
                log.warning("%s tier failed, offline draft instead: %s", r.tier.value, error)
                offline = offline_draft(ctx.ticket, ctx.customer, r, kb, ai, agent, self._crm_facts(ctx, r),
                                        about_an_order=self._about_an_order(r))
                why = f"The {r.tier.value} model ({r.model}) was not used: {error} This is the offline draft."
                result = replace(offline, note=f"{why} {offline.note}".strip(), fallback=why)
                if record and usage.get("cost_usd"):  # the provider billed a call that gave nothing: counted
                    await self.journal.record_draft_run(ctx.ticket.id, r, finish_model_draft(
                        "", r, citations, ai, usage["cost_usd"], started, error), me)
            else:
                result = finish_model_draft(
                    text, r, citations, ai, usage.get("cost_usd", 0.0), started, error
                )
        if record:  # the regression suite drafts without writing to the journal
            await self.journal.record_draft_run(ctx.ticket.id, r, result, me)
        yield result
