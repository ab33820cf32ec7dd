"""Drafting: sources, prompt, the offline tier, streaming through litellm, citation verification.

Every fact in a draft cites a numbered source: CRM records (the customer's own orders and plan) and
knowledge-base passages. After drafting, every ``[n]`` is checked against the sources given and
sentences that state numbers, prices, dates or policy terms without a citation are reported. When
retrieval finds nothing good enough, no answer is invented: the draft asks a clarifying question.

- ``sources``: retrieval query, the customer's records as sources, numbering, the citation check;
- ``offline``: the offline tier and what it reads of the question (own words, time asked, already done);
- ``model``: the prompt and the verified draft of a model's text; the human-only "draft";
- ``pipeline``: ``Drafter``, from a routed ticket to a journaled Draft (what ``Session.draft`` calls).

litellm is imported lazily (it costs seconds and ~200 MB) and its exceptions never leave ``assist.llm``.
"""

from assist.drafting.model import build_messages, finish_model_draft, human_only_draft
from assist.drafting.offline import (
    agent_facing,
    already_done,
    heading_words,
    needs_from,
    offline_draft,
    own_words,
    pick_sentences,
    question_terms,
)
from assist.drafting.sources import check_citations, crm_sources, number_sources, retrieval_query, sentences

__all__ = ["agent_facing", "already_done", "build_messages", "check_citations", "crm_sources", "finish_model_draft",
           "heading_words", "human_only_draft", "needs_from", "number_sources", "offline_draft", "own_words",
           "pick_sentences", "question_terms", "retrieval_query", "sentences"]
