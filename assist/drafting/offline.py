"""The offline tier: a draft built from the sources' own sentences, picked for what the customer asked (their
own words, what they already did, a question about time), with internal guidance turned into "how to handle
this" for the agent and never copied to the customer. No grounding means a clarifying question, not a guess."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from typing import NamedTuple

from assist.domain import (
    ANSWER_PREFIX,
    Customer,
    Draft,
    Route,
    Source,
    Ticket,
    Tier,
)
from assist.drafting.sources import (
    check_citations,
    cite,
    first_name,
    number_sources,
    phrase_text,
    reflow,
    relevant_order,
    sentences,
)
from assist.routing import customer_messages
from assist.settings import AISettings
from assist.text import content_stems, expansions

# Sentences written for agents, not customers: never copied into a reply.
_AGENT_FACING = re.compile(
    r"\b(?:team leads?|agents?|escalat\w*|internal(?:ly)?|policy exceptions?|approv(?:al|e|ed)|"
    r"(?:tell|ask|remind) the customer|customers?|requesters?|support (?:confirms|verifies|checks)|"
    r"macro|ticket)\b", re.IGNORECASE)


# Internal guidance written for the agent, not the customer: the agent tool's buttons in brackets
# ("[Pull up Account]"; a citation "[2]" is not one), the customer in the third person, the tool's workflow
# ("subflow", "in the next step", "enter ... into", "valid options"). Such a sentence is shown to the agent
# as how to handle the ticket, never quoted to the customer.
_UI_LABEL = re.compile(r"\[(?!\d+\])[A-Z][^\[\]\n]{1,40}\]")
_ABOUT_THE_CUSTOMER = re.compile(
    r"\b(?:the (?:customer|user|member|caller|shopper|client|requester)s?'?s?|their (?:account|order|name|email|"
    r"address|username|membership|subscription|card|purchase|item|issue|problem|reason)|(?:tell|ask|let|remind|"
    r"help|give|send|assure|inform|thank) them|(?:with|to|for) them|he or she|his or her)\b", re.IGNORECASE)
_AGENT_TOOL = re.compile(
    r"\b(?:sub)?flows?\b|\bin the (?:next|previous) step\b|\bas (?:your|the) action\b|\bthis (?:article|guide|"
    r"case|flow) (?:is|applies)\b|\benter\b[^.]{0,60}\binto\b|\bclick on\b|\bvalid options\b|\boptions:|"
    r"\bpull up\b|\bdisposition\b|'[^'\n]{2,30}'\s*(?:,|or)\s*'", re.IGNORECASE)


def agent_facing(sentence: str) -> bool:
    """Is this knowledge-base sentence guidance for the agent (see above) rather than text for the customer?"""
    return bool(_AGENT_FACING.search(sentence) or _UI_LABEL.search(sentence) or _AGENT_TOOL.search(sentence)
                or _ABOUT_THE_CUSTOMER.search(sentence))


# What a customer can be asked for, as internal guidance names it ("Get Full Name or Account ID", "Username,
# Email Address, Order ID"): the clarifying question asks for what the guidance needs, not always an order number.
_NEEDS = (("full name", r"full name|customer(?:'s)? name"), ("account ID", r"account id"),
          ("account email address", r"account e-?mail(?: address)?|e-?mail(?: address)? (?:on|of) (?:the|their|your) "
                                    r"account"),
          ("the last 4 digits of the card on file", r"last (?:4|four) digits(?: of (?:the|their|your) card"
                                                    r"(?: on file)?)?"),
          ("username", r"user ?name"), ("email address", r"e-?mail(?: address)?"),
          ("order ID", r"order (?:id|number)"), ("zip code", r"zip(?: code)?|post(?:al)? ?code"),
          ("phone number", r"phone(?: number)?"), ("shipping address", r"(?:shipping|mailing|street) address"),
          ("promo code", r"promo(?:tion)? code|coupon code"), ("membership level", r"member(?:ship)? level"))


def needs_from(guidance: str) -> list[str]:
    """The details internal guidance says to collect from the customer, in the order it names them; two it
    offers as alternatives ("Full Name or Account ID") are asked for as one."""
    matches: list[tuple[int, int, str]] = []
    for label, pattern in _NEEDS:
        m = re.search(rf"\b(?:{pattern})\b", guidance, re.IGNORECASE)
        if m is not None:
            matches.append((m.start(), m.end(), label))
    found: list[tuple[int, int, str]] = []
    for start, end, label in sorted(matches, key=lambda f: (f[0], -f[1])):
        if not found or start >= found[-1][1]:  # "account email" is not also "email address"
            found.append((start, end, label))
    out: list[str] = []
    for i, (start, _end, label) in enumerate(found):
        if i and re.fullmatch(r"\s*or\s*", guidance[found[i - 1][1]:start]):
            out[-1] = f"{out[-1]} or {label}"
        else:
            out.append(label)
    return out


# A step internal guidance has the agent give the customer ("Instruct the customer to log out of their account
# and log back in"): asked of the customer in the second person, never quoted as written.
_STEP_FOR_THEM = re.compile(r"\b(?:instruct|tell|ask|have|get|advise) the (?:customer|user|member|caller|shopper|"
                            r"client)s? to ([^.;!?\n]{4,160})[.;!?]?", re.IGNORECASE)
_THIRD_PERSON = ((r"\btheir\b", "your"), (r"\bthemselves\b", "yourself"), (r"\bthem\b", "you"),
                 (r"\bthey\b", "you"), (r"\bhis or her\b", "your"), (r"\bhim or her\b", "you"))


def customer_steps(guidance: Sequence[str]) -> list[str]:
    """What the guidance has the agent ask the customer to do, in the customer's second person ("log out of
    your account and log back in"); in a run of lines, only those before the first thing the agent does in
    their tool (a step after "Open [Admin > Users] and choose [Reset 2FA]." depends on it), each bullet read on
    its own (a list's items are alternatives). A step that still reads as written for the agent is left out."""
    out: list[str] = []
    for group in _groups(guidance):
        for line in sentences(group):
            if _UI_LABEL.search(line) and not needs_from(line) and not _STEP_FOR_THEM.search(line):
                break  # the agent does something in their tool first ("choose [Reset 2FA]"): the rest waits for it
            for m in _STEP_FOR_THEM.finditer(line):
                step = m.group(1).strip()
                for pattern, repl in _THIRD_PERSON:
                    step = re.sub(pattern, repl, step, flags=re.IGNORECASE)
                if not agent_facing(step) and step not in out:
                    out.append(step)
    return out


_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def _groups(lines: Sequence[str]) -> list[str]:
    """Consecutive plain lines as one group (a procedure's steps in order), each bullet a group of its own."""
    out: list[str] = []
    run: list[str] = []
    for line in lines:
        if _BULLET.match(line) or not line.strip():
            out.append(" ".join(run))
            run = []
            if line.strip():
                out.append(_BULLET.sub("", line))
        else:
            run.append(line.strip())
    out.append(" ".join(run))
    return [g for g in out if g]


def _try_steps(steps: list[str]) -> list[str]:
    """"Could you log out and back in?", then "If that doesn't help, could you clear your cookies?"."""
    return [f"Could you {steps[0]}?"] + [f"If that doesn't help, could you {step}?" for step in steps[1:2]]


def _ask_for(needs: list[str]) -> str:
    items = needs[:5]
    listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return f"So I can look into this, could you send me your {listed}?"


# What the customer says they already did ("checked spam", "I've cleared the cache", "i attached a photo"): a
# knowledge-base sentence telling them to do it again is left out. Verb families, past tense as written -> the
# instruction's verbs.
_DONE_VERBS = {
    "check": ("checked", "check"), "try": ("tried", "try"), "clear": ("cleared", "clear"),
    "restart": ("restarted", "rebooted", "restart", "reboot", "turn"), "reset": ("reset", "reset"),
    "reinstall": ("reinstalled", "reinstall"), "update": ("updated", "update"), "log": ("logged", "log"),
    "look": ("looked", "look", "check"), "search": ("searched", "search"),
}
_DONE = re.compile(r"(?:^|[.!?;,]\s*|\b(?:i|we)\s+(?:have\s+|'ve\s+)?(?:already\s+)?|\balready\s+)"
                   r"(checked|tried|cleared|restarted|rebooted|reset|reinstalled|updated|logged|looked|searched)"
                   r"\b([^.!?\n]{0,50})", re.IGNORECASE)
_SENT_PROOF = re.compile(r"\b(?:i|we)\s+(?:have\s+|'ve\s+)?(?:attached|included|uploaded|sent|added)\s+"
                         r"(?:a |the |some |two |\d+ )?(photos?|pictures?|screenshots?|images?|receipts?)",
                         re.IGNORECASE)


def already_done(customer_text: str) -> list[tuple[tuple[str, ...], set[str]]]:
    """(instruction verbs, object words) for each thing the customer says they did already."""
    out: list[tuple[tuple[str, ...], set[str]]] = []
    for m in _DONE.finditer(customer_text):
        past = m.group(1).lower()
        verbs = next((v for v in _DONE_VERBS.values() if past in v), (past,))
        out.append((verbs, {_key(w) for w in content_stems(m.group(2))}))
    for m in _SENT_PROOF.finditer(customer_text):
        out.append((("send", "attach", "include", "upload", "with"), {_key(m.group(1).rstrip("s"))}))
    return out


def _repeats(sentence: str, done: list[tuple[tuple[str, ...], set[str]]]) -> bool:
    """Does this sentence ask the customer to do again something they say they did?"""
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", sentence)}
    keys = {_key(w) for w in content_stems(sentence)}
    return any(words & set(verbs) and objects & keys for verbs, objects in done if objects)


# Conversational words that carry no question ("any update?", "quick one", "please fix asap").
_FILLER = frozenset("update updates news asap quick fix help question thing things anyone someone sorry "
                    "again know let tell wondering wonder need needs needed want wants wanted like would could "
                    "please".split())


def _key(word: str) -> str:
    return word[:5]  # "charged"/"charges"/"charging" meet at "charg"


_FILLER_KEYS = frozenset(_key(w) for w in _FILLER)


def question_terms(ticket: Ticket) -> dict[str, float]:
    """What the customer asked, as weighted word keys: the latest message counts most, then the
    subject, then earlier messages. Only the customer's own words: no intent keywords are added."""
    customer = customer_messages(ticket)
    weights: dict[str, float] = {}
    parts = [(ticket.subject, 1.5), *((text, 1.0) for text in customer[:-1]), *((text, 2.0) for text in customer[-1:])]
    for text, weight in parts:
        for stem_ in content_stems(text):
            if _key(stem_) in _FILLER_KEYS:
                continue
            k = _key(stem_)
            weights[k] = max(weights.get(k, 0.0), weight)
        for stem_ in content_stems(" ".join(expansions(text))):  # "twice" also finds "duplicate"
            k = _key(stem_)
            weights[k] = max(weights.get(k, 0.0), weight * 0.8)
        if TIME_ASKED.search(text):  # they asked when: a sentence that gives a time answers it
            weights[_TIME] = max(weights.get(_TIME, 0.0), weight)
    return weights


def heading_words(heading: str) -> frozenset[str]:
    """A section heading's word keys, comparable with ``own_words``."""
    return frozenset(_key(w) for w in content_stems(heading) if _key(w) not in _FILLER_KEYS)


def own_words(ticket: Ticket) -> frozenset[str]:
    """The word keys that stand for what the customer asked: their own words, and one-word synonyms of their
    phrases ("money back" -> one synonym word), but not the pieces of a phrase a word expands to (a word whose
    synonym is "money back" does not make "back" something they asked about)."""
    texts = [ticket.subject, *customer_messages(ticket)]
    words = [w for text in texts for w in content_stems(text)]
    words += [w for text in texts for phrase in expansions(text) if " " not in phrase.strip()
              for w in content_stems(phrase)]
    asked = {_TIME} if any(TIME_ASKED.search(t) for t in texts) else set()
    return frozenset(_key(w) for w in words if _key(w) not in _FILLER_KEYS) | asked


# A question about time ("when do I get ...", "how long ...") is answered by a sentence that gives one: such
# sentences share a marker term with the question, so "Refunds take 5-10 business days" is picked for it.
TIME_ASKED = re.compile(r"\b(?:when (?:do|will|can|does|is|are|would|should)|how (?:long|soon|many days)|by when|"
                        r"what time|eta)\b", re.IGNORECASE)
TIME_GIVEN = re.compile(r"\b\d+(?:\s*(?:-|to|–)\s*\d+)?\s*(?:business\s+|working\s+)?(?:days?|weeks?|hours?|"
                        r"minutes?)\b|\bwithin (?:a|one|two|three) (?:day|week|hour)s?\b", re.IGNORECASE)
_TIME = "#time"


_CONDITION = re.compile(r"^(?:if|when|while|once|unless|for)\b([^,;:]+)", re.IGNORECASE)
_LEANS_BACK = re.compile(r"^(?:otherwise|in that case|in this case|if so|if not|then|this|that|these|those|"
                         r"it|they|he|she)\b|\b(?:until|by|before|after|from) then\b|\bat that (?:point|time)\b|"
                         r"\b(?:are|is|get|gets|be) (?:\w+ed|sent|paid) again\b",
                         re.IGNORECASE)  # "...; you keep Studio features until then": when is in the one before


def _leans_back(sentence: str) -> bool:
    """Does the sentence lean on the one before it: a link word ("Otherwise", "until then"), or so short that its
    pronoun can only mean something said before ("New invoices will show it.")?"""
    return bool(_LEANS_BACK.search(sentence)) or (
        len(sentence.split()) <= 6 and re.search(r"\b(?:it|this|that|them|these|those)\b", sentence, re.I) is not None)


# A past answer's sentences about what was done in that one case ("I have reset two-factor authentication on
# your account", "The invoice was sent on our side"): true of another customer's ticket, never of this one.
_DONE_FOR_THEM = re.compile(
    r"\b(?:i|we)\s+(?:have\s+|'ve\s+|had\s+|just\s+|already\s+)*(?:\w+ed|sent|reset|made|done|given|set|put|"
    r"taken|paid|issued)\b|\b(?:was|were|has been|have been|is now|are now)\s+(?:\w+\s+)?(?:\w+ed|sent|reset|"
    r"made|done|given|paid)\b(?![^.]*\b(?:if|when|once|after)\b)|\bon our (?:side|end)\b", re.IGNORECASE)


_SCRUBBED = re.compile(r"\[(?:email|phone|name|card|iban|address|number|amount|date|id|person)\w*\]", re.I)


def past_answer(source: Source) -> bool:
    return source.doc_id.startswith(ANSWER_PREFIX)


def _condition_holds(sentence: str, known: set[str]) -> bool:
    """A conditional sentence ("If tracking says delivered but you have nothing, ...") fits only when
    most of its condition is something the customer said or their records show."""
    m = _CONDITION.match(sentence)
    if m is None:
        return True
    words = {_key(w) for w in content_stems(m.group(1))}
    shared = len(words & known)
    return not words or shared / len(words) > 0.5 or shared >= 3


def pick_sentences(sources: list[Source], terms: dict[str, float], *, context: frozenset[str] = frozenset(),
                   said: frozenset[str] = frozenset(), max_total: int = 3, per_source: int = 2,
                   done: list[tuple[tuple[str, ...], set[str]]] | None = None,
                   own: frozenset[str] | None = None) -> list[tuple[Source, list[str]]]:
    """The knowledge-base sentences that answer what was asked: scored by the customer's words they
    share (rare words weigh more than words every passage uses), agent-facing and repeated sentences
    dropped, weak matches (under half the best) left out. Sentences keep their order per source."""
    pool: list[tuple[float, int, int, str]] = []
    seen: set[str] = set()
    per_sentence: list[tuple[int, int, str, set[str]]] = []
    for si, source in enumerate(sources):
        lines = sentences(reflow(source.text))
        for i, s in enumerate(lines):
            s = s.lstrip("-* ")
            norm = " ".join(s.lower().split())
            if len(s) <= 20 or norm in seen or s.endswith("?") or _repeats(s, done or []):
                continue
            # a past answer was written to a customer: its "your customer" is theirs, not an agent's note; but
            # what was done in that case is not true of this one, nor is the sentence that follows it ("Please
            # sign in and set it up again"), nor one with another customer's detail taken out ("[email]")
            if past_answer(source):
                if _DONE_FOR_THEM.search(s) or (i > 0 and _DONE_FOR_THEM.search(lines[i - 1])) or \
                        _SCRUBBED.search(s):
                    continue
            elif agent_facing(s):
                continue
            seen.add(norm)
            per_sentence.append((si, i, s, {_key(w) for w in content_stems(s)} | ({_TIME} if TIME_GIVEN.search(s)
                                                                                   else set())))
    if not per_sentence:
        return []
    df: dict[str, int] = {}
    for *_, keys in per_sentence:
        for k in keys:
            df[k] = df.get(k, 0) + 1
    n = len(per_sentence)
    known = set(terms) | set(context)
    for si, i, s, keys in per_sentence:
        if not _condition_holds(s, known):
            continue
        shared = keys & terms.keys()
        idf = {k: 1.0 + math.log(n / df[k]) for k in keys}
        # TF-IDF cosine: a sentence about something else (many rare words the customer never used)
        # scores lower than one that is mostly about what was asked
        score = sum(terms[k] * idf[k] for k in shared) / math.sqrt(sum(v * v for v in idf.values()) or 1.0)
        # one rare shared word is enough only when the customer wrote it ("back" from a synonym phrase
        # "money back" is not a question about sending something back)
        rare = [k for k in shared if df[k] <= max(2, n // 10) and (own is None or k in own)]
        if len(shared) >= 2 or rare:
            pool.append((score, si, i, s))
    if not pool:
        return []
    best = max(p[0] for p in pool)
    chosen: dict[int, list[tuple[int, str]]] = {}
    covered: set[str] = set(context) | set(said)
    keys_of = {(si, i): keys for si, i, _s, keys in per_sentence}
    text_of = {(si, i): s for si, i, s, _keys in per_sentence}
    for score, si, i, s in sorted(pool, key=lambda p: (-p[0], p[1], p[2])):
        if score < best * 0.6 or sum(len(v) for v in chosen.values()) >= max_total:
            break
        if len(chosen.get(si, [])) >= per_source:
            continue
        new = (keys_of[(si, i)] & terms.keys()) - covered
        if chosen and not new:
            continue  # says nothing about the question that the chosen sentences don't already
        # A sentence that leans on the one before it ("Otherwise ...", "In that case ...", "This takes ...")
        # comes with it, or not at all: a consequence is never stated without its condition.
        leans = _leans_back(s)
        before = text_of.get((si, i - 1)) if leans else None
        if leans and (before is None or not _condition_holds(before, known)):
            continue
        covered |= new
        picked = chosen.setdefault(si, [])
        if before is not None and (i - 1, before) not in picked:
            picked.append((i - 1, before))
        picked.append((i, s))
    return [(sources[si], [s for _, s in sorted(picked)]) for si, picked in sorted(chosen.items())]


def offline_draft(
    ticket: Ticket,
    customer: Customer | None,
    route: Route,
    kb: list[Source],
    settings: AISettings,
    agent: str,
    crm: Sequence[Source] = (),
    *,
    about_an_order: bool = True,
) -> Draft:
    """A deterministic draft: the customer's own CRM facts (``crm_sources``) and the best KB sentences,
    each cited. ``about_an_order``: the intent concerns an order, so a clarifying question may ask for its
    number; otherwise it asks what happened (a login problem is not asked for an order number)."""
    started = time.perf_counter()
    first = first_name(ticket.requester_name or (customer.name if customer else ""))
    greeting = phrase_text(settings, "greeting", first_name=first)
    closing = phrase_text(settings, "closing", agent=agent, first_name=first).strip()
    asked = own_words(ticket)
    grounded_kb = grounding(kb, asked, settings)
    candidates = [*crm, *grounded_kb]
    apology = phrase_text(settings, "apology") if route.sentiment < 0 else ""
    body: list[str] = []
    used: list[Source] = []  # numbered in order of first use, so markers read [1], [2], [3]
    for source in candidates:
        if source.doc_id == "crm":
            used.append(source)
            body.append(cite(source.text, len(used)))
    # every retrieved section is a candidate (an article's "Refund after a return" section may be the
    # answer while another of its sections ranked higher); the sentences that answer what was asked are picked
    passages = [s for s in grounded_kb if s.doc_id != "crm"]
    # a passage written for the agent (internal guidance) is never quoted to the customer, whatever it shares;
    # nor is a label (an article's one-line description: "website slow, search not working, cart")
    passages = [s for s in passages if guidance_steps(s) is None and not label_only(s)]
    best = max((s.score for s in passages), default=0.0)
    if best < 1.5 * settings.min_source_score and not any(_heading_about(s.heading, asked) for s in passages):
        passages = []  # retrieval only brushed the question: better to ask than to quote a near miss
    # what the customer's records already say (the order's status, the CRM sentences above) counts as
    # covered: a KB sentence must add something about the question
    order = relevant_order(ticket, customer)
    status = f"{order.status.replace('_', ' ')} {order.carrier}" if order else ""
    terms = question_terms(ticket)
    picked = pick_sentences(passages, terms,
                            context=frozenset(_key(w) for w in content_stems(status)),
                            said=frozenset(_key(w) for w in content_stems(" ".join(s.text for s in used))),
                            done=already_done("\n".join(customer_messages(ticket, 8000))), own=asked)
    for source, lines in picked:
        used.append(source)
        body.append(" ".join(cite(line, len(used)) for line in lines))
    citations = number_sources(used)
    note = ""
    grounded = bool(picked)
    guide = guidance_passage(kb, _question_words(ticket)) if not grounded else None
    if guide is not None:
        # The best passage is guidance for the agent: it goes to the agent as how to handle the ticket, and
        # the customer is asked for the details it says are needed (never quoted to the customer).
        source, steps, needs, theirs = guide
        note = (f"How to handle this (“{source.label}”): " + " ".join(steps[:4])
                + ("" if needs or theirs else " The draft asks the customer to say more; nothing was quoted to them."))
        asks = _try_steps(theirs) if theirs else []
        if needs:
            asks.append(_ask_for(needs))
        body.append(" ".join(asks) if asks else phrase_text(settings, "clarify_general"))
    elif not grounded:
        note = ("Nothing in the knowledge base answers what the customer asked, so the draft states only "
                "what the customer's records say and asks a clarifying question. Add the answer yourself, "
                "or add an article to the knowledge base.") if grounded_kb else (
                "No knowledge-base article is about this question: the draft asks a clarifying question "
                "instead of guessing.")
        body.append(phrase_text(settings, "clarify" if about_an_order else "clarify_general"))
    if apology:
        body[0] = f"{apology} {body[0]}"
    text = "\n\n".join([greeting, *body, closing]).strip()
    fixed = (greeting, closing, phrase_text(settings, "apology"), phrase_text(settings, "clarify"),
             phrase_text(settings, "clarify_general"))
    return Draft(
        text=text, tier=Tier.OFFLINE, model="offline", citations=citations,
        check=check_citations(text, citations, ignore=fixed), grounded=grounded, note=note,
        latency_ms=int((time.perf_counter() - started) * 1000),
    )


def grounding(kb: Sequence[Source], asked: frozenset[str], settings: AISettings) -> list[Source]:
    """The passages that ground a draft: those whose words score high enough, and the best one also when its
    score is lower but its heading is about what was asked, half of its words or more being the customer's (a
    small knowledge base scores low, its words being in several passages: "When refunds arrive" answers
    "when will the money show up?" at 4.1 where the threshold is 5). Only the best: a lower passage sharing
    one heading word ("Bounced invoices") is another topic."""
    found = [s for s in kb if s.score >= settings.min_source_score]
    passages = [s for s in kb if s.doc_id != "crm" and s.score > 0]
    top = passages[0] if passages else None  # the best ranked (words and vectors fused: not the highest BM25)
    if top is not None and top not in found and _heading_about(top.heading, asked):
        found.append(top)
    return found


def _heading_about(heading: str, asked: frozenset[str]) -> bool:
    words = heading_words(heading)
    return bool(words) and 2 * len(words & asked) >= len(words)


def label_only(source: Source) -> bool:
    """A passage that is one short line with no sentence in it (an article's description or a list of its
    topics) names what the article covers; it answers nothing."""
    text = " ".join(source.text.split())
    return len(text.split()) < 15 and not re.search(r"[.!?:]\s*$|[.!?]\s", text)


def guidance_steps(source: Source) -> list[str] | None:
    """A passage's steps when it is internal guidance as a whole (a third or more of its lines address the
    agent), else None: a property of the text, whatever it scored."""
    lines = [line.lstrip("-*> ").strip() for line in sentences(reflow(source.text))]
    lines = [line for line in lines if len(line) > 3]
    steps = [line for line in lines if agent_facing(line)]
    return steps if lines and len(steps) * 3 >= len(lines) else None


HEADING_RERANK = 3  # of the first few procedures found, the one whose heading names more of the question


class Guidance(NamedTuple):
    """Internal guidance found for a ticket: shown to the agent, never quoted to the customer."""

    source: Source  # the passage that found it
    steps: list[str]  # its lines written for the agent ("How to handle this")
    needs: list[str]  # what it says to collect from the customer ("full name or account ID", ...)
    theirs: list[str]  # what it has the agent ask the customer to do, in the second person


def _position(source: Source) -> int:
    """A passage's place in its document (chunk ids end in "#n")."""
    tail = source.id.rpartition("#")[2]
    return int(tail) if tail.isdigit() else 0


def guidance_passage(kb: list[Source], terms: dict[str, float]) -> Guidance | None:
    """The procedure for the question, when the best ranked passages are written for the agent. The best
    ranked (with sentence vectors, the fused rank, not the highest BM25 score), or of the first few the one
    whose own heading names more of the question's ``terms``; offered only when its heading shares a word with
    them (a BM25 score says words are shared, not that the passage is about what was asked). No score
    threshold: it is never quoted."""
    passages = [s for s in kb if s.doc_id != "crm" and s.score > 0 and not label_only(s)]
    if not passages:
        return None
    near = passages[:HEADING_RERANK]
    top = max(near, key=lambda p: (len(_words(p.heading) & terms.keys()), -near.index(p)))
    if guidance_steps(top) is None:
        return None  # mostly written for customers: the usual drafting applies
    # the heading must name the question; its article's title may instead when it is about the same thing as
    # the heading ("Two-factor lockouts" over "Handling a 2FA lockout"), not a category ("Account Access" over
    # "Recover Password" names none of its procedures)
    heading, title = _words(top.heading), _words(top.title)
    named = heading | title if heading & title or not heading else heading
    if not named & terms.keys():
        return None  # another topic that only shares words with the question
    # a long procedure is indexed in parts: its steps and what it asks for are read from all of them, in order
    whole = sorted((s for s in kb if s.doc_id == top.doc_id and s.heading == top.heading), key=_position)
    steps = list(dict.fromkeys(x for s in whole for x in (guidance_steps(s) or [])))
    text = "\n".join(s.text for s in whole)
    return Guidance(top, steps, needs_from(text), customer_steps(text.splitlines()))


def _question_words(ticket: Ticket) -> dict[str, float]:
    return dict.fromkeys(_words(" ".join([ticket.subject, *customer_messages(ticket, 4000)])), 1.0)


def _words(text: str) -> set[str]:
    """Whole content words, plurals folded ("sizes" -> "size"), matched exactly: a five-letter stem would
    make "managed" and "management" one word."""
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in re.findall(r"[a-z]{3,}", text.lower())
            if w not in _LABEL_STOP}


_LABEL_STOP = frozenset("the and for with your you our not how what when why can does into from this that".split())
