"""A labelled ticket history of a team that is not the demo: a mobile and broadband provider.

36 intents of its own (none shared with the demo shop), phrased as customers write: many ways to say
each thing, greetings and sign-offs, typos, all lowercase, missing punctuation, generic subjects
("help", "question") and a second concern in one ticket (the label is the first). Volumes follow a
long tail, like a real queue. Each ticket carries what a helpdesk export has: the agent's reply (with
the facts it states), handle time, replies, reopenings. Deterministic for a seed.

Used by the tests (a non-demo workspace; seeding the real Request Tracker) and benchmarks/routing.py.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

# intent -> (subject hints, phrasings, agent reply, base handle minutes, anger 0..1)
INTENTS: dict[str, tuple[list[str], list[str], str, int, float]] = {
    "sim_activation": (["sim not working", "new sim", "activate sim"], [
        "my new sim card isnt activating, it still says no service",
        "i put the sim in my phone yesterday and it shows sim not provisioned",
        "how long does it take for a new sim to activate",
        "got the sim in the post but it wont connect to the network",
        "phone says invalid sim since i inserted the new one",
        "the sim you sent me has no signal at all, is it activated",
    ], "Your SIM {ref} is now active; restart the phone and it should connect within 15 minutes.", 9, 0.3),
    "port_number": (["keep my number", "number transfer", "porting"], [
        "i want to bring my old number over from another network",
        "my number transfer was supposed to happen on {date} and it still hasnt",
        "how do i keep my existing number when i switch to you",
        "the port of my number failed, my old provider says you rejected it",
        "i have my pac code, how do i move my number across",
        "number still showing the temporary one, when will my real number move",
    ], "Your number transfer is booked for {date}; the temporary number stops working that day.", 14, 0.4),
    "roaming": (["abroad", "roaming", "travelling"], [
        "will my phone work in {country}, im travelling next week",
        "i have no data in {country} even though roaming is on",
        "how much does it cost to use my phone in {country}",
        "my phone doesnt connect to any network in {country}",
        "do i need to turn on roaming before going to {country}",
        "roaming isnt working, no signal since i landed in {country}",
    ], "Roaming in {country} is included in your plan; make sure Data Roaming is on in settings.", 7, 0.3),
    "roaming_charges": (["roaming charges", "charged abroad", "bill from holiday"], [
        "i was charged {amount} for using data in {country}, i thought roaming was included",
        "my bill has roaming charges of {amount} from my trip to {country}",
        "why am i being charged for roaming in {country} it said it was free",
        "huge roaming bill after {country}, {amount} for a few days",
        "i got charged daily roaming fees in {country}, i never agreed to that",
    ], "The {amount} is the daily roaming fee for {country}; I've added a one-off credit of {amount}.", 16, 0.7),
    "bill_higher": (["bill", "high bill", "why is my bill"], [
        "my bill this month is {amount}, usually its much less, why",
        "why has my bill gone up to {amount}",
        "this months bill is way higher than normal",
        "can you explain my latest bill, it is {amount} more than last month",
        "the bill doesnt match my plan price, i pay {amount} a month",
        "i was expecting to pay less, why is my invoice so high this time",
    ], "Your bill is higher because of a one-off charge of {amount}; your monthly price is unchanged.", 12, 0.6),
    "price_rise": (["price increase", "price rise", "annual increase"], [
        "i got a letter saying my price is going up, can i leave without a fee",
        "why is my monthly price increasing in april",
        "you are putting my price up by {amount}, that was not in my contract",
        "is the annual price rise optional",
        "price increase again this year? what can i do",
    ], "The yearly price change is in your contract terms; your new price from April is {amount} a month.", 10, 0.7),
    "payment_failed": (["payment failed", "card declined", "payment"], [
        "my payment failed but my card has money on it",
        "i got an email saying my direct debit bounced",
        "tried to pay my bill online and it keeps declining",
        "you say my payment failed, can i pay another way",
        "the app wont take my card payment for {amount}",
    ], "The payment of {amount} failed at the bank; you can pay now in the app under Billing.", 8, 0.4),
    "direct_debit": (["direct debit", "bank details", "payment date"], [
        "i need to change the bank account my direct debit comes from",
        "can i move my payment date to the {day}",
        "how do i set up a direct debit instead of paying by card",
        "new bank account, how do i update my payment details",
        "please change my direct debit date, payday moved",
    ], "Your direct debit now comes out on the {day} of each month from the new account.", 6, 0.1),
    "refund_overpayment": (["refund", "overpaid", "money back"], [
        "i paid my bill twice by mistake, can i have {amount} back",
        "i closed my account and im still owed {amount}",
        "you took {amount} after i cancelled, please refund it",
        "there is a credit of {amount} on my account, please pay it back to me",
        "i was overcharged {amount} and want a refund to my card",
    ], "I've refunded {amount} to your card; it usually arrives within 5 working days.", 15, 0.5),
    "upgrade_phone": (["upgrade", "new phone", "handset"], [
        "am i eligible for an upgrade yet",
        "i want to upgrade to the {device}, what are my options",
        "how much would it cost to get the {device} on my current plan",
        "when can i get a new phone, my contract ends soon",
        "whats the best deal to upgrade my handset to the {device}",
    ], "You can upgrade from {date}; the {device} would be {amount} a month.", 11, 0.1),
    "cancel_contract": (["cancel", "leaving", "end contract"], [
        "i want to cancel my contract and leave",
        "how do i cancel, im moving to another provider",
        "please close my account at the end of this month",
        "what is the fee if i cancel my contract early",
        "i would like to terminate my mobile contract",
        "cancel my broadband please, i no longer need it",
    ], "Your contract ends on {date}; cancelling before then costs {amount}.", 13, 0.5),
    "contract_end": (["contract end date", "when does my contract end", "out of contract"], [
        "when does my contract finish",
        "am i still in contract or can i leave",
        "can you tell me my minimum term end date",
        "how many months left on my contract",
        "i think im out of contract now, is that right",
    ], "Your minimum term ends on {date}.", 4, 0.1),
    "unlock_phone": (["unlock", "network unlock", "locked phone"], [
        "i need my phone unlocked to use another sim",
        "how do i get an unlock code for my {device}",
        "my phone says sim network unlock pin, what do i do",
        "can you unlock my handset, i own it outright",
        "phone is locked to your network and i want to use a foreign sim",
    ], "Your {device} is unlocked; insert the other SIM and restart it.", 6, 0.2),
    "lost_stolen": (["stolen phone", "lost phone", "block sim"], [
        "my phone was stolen, please block the sim now",
        "i lost my phone on the train, can you bar it",
        "phone stolen last night, i need a replacement sim with my number",
        "someone took my phone, stop all calls on my account",
        "lost my mobile, please block it so nobody runs up a bill",
    ], "I've barred the SIM and the handset; a replacement SIM with your number is on its way.", 12, 0.6),
    "esim": (["esim", "e-sim", "qr code"], [
        "how do i switch to an esim on my {device}",
        "the esim qr code doesnt scan",
        "can i have an esim instead of a physical sim",
        "moved to a new phone and my esim didnt transfer",
        "esim download keeps failing with an error",
    ], "I've sent a new eSIM QR code to your email; scan it within 24 hours.", 10, 0.3),
    "no_signal": (["no signal", "coverage", "no service"], [
        "i have no signal at home since {date}",
        "calls keep dropping in my area",
        "there is no coverage where i live anymore, is there a mast down",
        "my phone shows sos only all day",
        "signal has been terrible for a week in {city}",
        "cant make calls from my house, just says no service",
    ], "There is planned mast work near {city} until {date}; wifi calling will keep you connected.", 14, 0.6),
    "mobile_data": (["data not working", "internet on phone", "4g"], [
        "my mobile data isnt working but calls are fine",
        "i cant get 4g or 5g, just e",
        "data stopped working after i changed phone",
        "internet on my phone is really slow since yesterday",
        "mobile data on but no internet, apn problem?",
    ], "I've resent your data settings; restart the phone and data should work.", 9, 0.4),
    "broadband_down": (["internet down", "broadband not working", "no internet"], [
        "my home internet has been down since this morning",
        "broadband keeps dropping every few minutes",
        "router has a red light and no internet",
        "wifi connected but no internet at home",
        "internet is off again, third time this week",
        "no broadband since {date}, i work from home",
    ], "There was a fault at the exchange, fixed on {date}; restart your router to reconnect.", 18, 0.7),
    "slow_broadband": (["slow internet", "speed", "slow wifi"], [
        "my broadband speed is much lower than what i pay for",
        "internet is so slow in the evenings",
        "speed test shows {speed} but i should get much more",
        "streaming keeps buffering, the connection is slow",
        "why is my fibre only giving me {speed}",
    ], "Your line tests at {speed}; I've reset the line profile, which can take 48 hours to settle.", 15, 0.5),
    "router_setup": (["router", "wifi password", "setup"], [
        "how do i set up the new router",
        "i forgot my wifi password, where do i find it",
        "how do i change the wifi name on the router",
        "router arrived, which cable goes where",
        "cant log into the router admin page",
    ], "The Wi-Fi name and password are on the card at the back of the router.", 7, 0.1),
    "engineer_visit": (["engineer", "appointment", "installation"], [
        "the engineer didnt turn up on {date}",
        "i need to rebook my installation appointment",
        "when is the engineer coming to fix my line",
        "can i change my engineer visit to a weekend",
        "waited in all day and no engineer came",
    ], "Your engineer visit is booked for {date} between 8am and 1pm.", 13, 0.6),
    "moving_home": (["moving house", "new address", "home move"], [
        "im moving house on {date}, can i take my broadband with me",
        "how do i move my broadband to my new address",
        "moving home next month, what do i need to do",
        "can my service be transferred to my new flat",
        "i am relocating, please move my internet",
    ], "Your broadband moves to your new address on {date}; keep the router and plug it in there.", 12, 0.2),
    "add_line": (["add a line", "extra sim", "family"], [
        "i want to add another sim for my daughter",
        "can i add a second line to my account",
        "how much is an extra sim on my plan",
        "i would like a sim only plan for my partner on the same bill",
        "add a line for my son please",
    ], "I've added a second line for {amount} a month; the SIM arrives within 2 working days.", 9, 0.1),
    "change_tariff": (["tariff", "change plan", "more data"], [
        "i want a plan with more data",
        "can i move to a cheaper tariff",
        "change my plan to unlimited please",
        "is there a better plan for me, i never use all my minutes",
        "downgrade my tariff to the {amount} one",
    ], "Your new plan at {amount} a month starts on {date}.", 8, 0.1),
    "data_addon": (["data add on", "run out of data", "extra data"], [
        "i ran out of data, can i buy more",
        "how do i add a data bundle",
        "my data runs out every month before the end",
        "can i get an extra {gb}gb this month",
        "data boost please, used it all up",
    ], "I've added a {gb}GB data add-on for {amount}; it lasts until your next bill.", 5, 0.2),
    "international_calls": (["international calls", "calling abroad", "call charges"], [
        "how much does it cost to call {country} from my mobile",
        "can i add international minutes to my plan",
        "calls to {country} arent included?",
        "i want to call family in {country} cheaply",
        "is there a bolt on for international calls",
    ], "Calls to {country} are {amount} a minute; the international add-on includes 300 minutes.", 6, 0.1),
    "premium_sms": (["premium sms", "text charges", "subscription charge"], [
        "im being charged for texts i never signed up to",
        "there are premium rate charges on my bill, i didnt do this",
        "someone signed me up to a subscription service, {amount} a week",
        "block premium numbers on my account",
        "unknown charges from a short code on my bill",
    ], "I've blocked premium services and refunded {amount} for the charges.", 14, 0.7),
    "spam_calls": (["scam calls", "spam texts", "nuisance calls"], [
        "i keep getting scam calls every day",
        "how do i block spam texts",
        "received a text pretending to be you asking for my bank details",
        "nuisance calls all the time, can you block them",
        "got a phishing text with a link, is it from you",
    ], "That message wasn't from us; forward scam texts to 7726 and we block the sender.", 5, 0.4),
    "invoice_copy": (["invoice", "bill copy", "statement"], [
        "can i get a copy of my bill for {month}",
        "i need an invoice for my company expenses",
        "where can i download my past bills",
        "please send me itemised statements for the last three months",
        "vat invoice needed for my account",
    ], "Your bills are under Billing > History in the app; I've emailed the {month} invoice.", 4, 0.0),
    "update_details": (["change email", "update address", "my details"], [
        "i need to update my billing address",
        "please change the email address on my account",
        "how do i change my name after getting married",
        "my phone number for contact has changed",
        "update my details, new address",
    ], "Your billing address is updated; your next bill goes to the new address.", 5, 0.0),
    "app_login": (["cant log in", "app", "password"], [
        "i cant log into the app, it says wrong password",
        "password reset email never arrives",
        "the app keeps logging me out",
        "how do i register for my online account",
        "locked out of my account after too many attempts",
    ], "I've sent a password reset link; it's valid for 30 minutes.", 6, 0.4),
    "device_delivery": (["where is my phone", "delivery", "order"], [
        "my new phone hasnt arrived yet, ordered on {date}",
        "where is my {device} order",
        "tracking says delivered but i have no parcel",
        "when will my handset be delivered",
        "the courier missed me, how do i rebook delivery",
    ], "Your {device} ships with the courier and is due on {date}.", 10, 0.5),
    "device_return": (["return phone", "faulty phone", "send back"], [
        "i want to return my phone within the 14 days",
        "my new {device} is faulty, the screen flickers",
        "how do i send back the old phone for trade in",
        "phone doesnt charge, i want a replacement",
        "returning the handset, can i have a returns bag",
    ], "I've sent a returns label; once the {device} arrives we'll replace it within 5 days.", 13, 0.5),
    "insurance_claim": (["insurance", "cracked screen", "claim"], [
        "i dropped my phone and cracked the screen, i have insurance",
        "how do i claim on my phone insurance",
        "my phone got water damage, does insurance cover it",
        "what is the excess on my insurance claim",
        "my claim has been open for weeks with no update",
    ], "Your claim is approved; the excess is {amount} and the repair takes 5 working days.", 16, 0.5),
    "complaint": (["complaint", "formal complaint", "not happy"], [
        "i want to make a complaint about how i have been treated",
        "nobody has fixed my problem after three calls, this is a complaint",
        "i am very unhappy with your service and want to complain",
        "how do i raise a complaint with the ombudsman",
        "your staff were rude on the phone, i want to complain",
    ], "I've logged your complaint (reference {ref}); a specialist will reply within 5 working days.", 25, 0.9),
    "bereavement": (["account holder passed away", "bereavement", "deceased"], [
        "my father passed away and i need to close his account",
        "how do i transfer my late husbands number to me",
        "the account holder has died, what do you need from me",
        "my mum died last month, please stop the bills",
    ], "I'm sorry for your loss. I've stopped all charges; we need a copy of the death certificate.", 20, 0.2),
}

_VOLUME = [int(400 / (1 + r) ** 0.6) for r in range(len(INTENTS))]  # long tail: 400 down to ~46

_OPEN = ["", "", "", "hi, ", "hello, ", "hi there ", "good morning, ", "hey ", "dear sir or madam, ", "hiya "]
_CLOSE = ["", "", "", " thanks", " thank you", " cheers", " please help", " thanks in advance",
          " regards", " asap please", " can someone get back to me", " kind regards, {name}"]
_GENERIC_SUBJECTS = ["help", "question", "urgent", "my account", "hello", "problem", "query", "support",
                     "re: your message", "(no subject)"]
_ANGRY = [" this is ridiculous", " third time im asking", " still waiting for an answer", " absolutely fed up",
          " this is unacceptable", " im so upset", " worst service ever"]
_SLOTS = {
    "amount": ["£12", "£35.50", "£89", "£7.99", "£140", "£22", "£64.20"],
    "date": ["monday", "the 3rd", "friday", "12 march", "last week", "the 21st", "tuesday"],
    "day": ["1st", "15th", "28th", "5th"],
    "country": ["spain", "the us", "france", "turkey", "india", "italy", "poland"],
    "device": ["iphone 16", "galaxy s25", "pixel 9", "iphone", "samsung", "moto g"],
    "city": ["leeds", "bristol", "glasgow", "cardiff", "norwich"],
    "speed": ["8mbps", "12 mbps", "20mb", "3mbps"],
    "gb": ["5", "10", "20"],
    "month": ["january", "march", "june", "october"],
    "name": ["sam", "priya", "tom", "aisha", "jo"],
    "ref": ["C-48213", "S-10442", "R-7731"],
}


@dataclass(frozen=True, slots=True)
class HistoryRow:
    id: str
    subject: str
    body: str
    label: str
    reply: str
    handle_minutes: float
    replies: int
    reopened: bool


def _fill(text: str, rnd: random.Random, chosen: dict[str, str]) -> str:
    for slot, values in _SLOTS.items():
        key = "{" + slot + "}"
        while key in text:
            chosen.setdefault(slot, rnd.choice(values))
            text = text.replace(key, chosen[slot], 1)
    return text


def _typo(word: str, rnd: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rnd.randrange(1, len(word) - 1)
    kind = rnd.random()
    if kind < 0.4:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # swap
    if kind < 0.7:
        return word[:i] + word[i + 1:]  # drop
    return word[:i] + word[i] + word[i:]  # double


_SYNONYMS = {
    "phone": ["mobile", "handset", "phone", "cell"], "my": ["my", "my", "the"], "want": ["want", "would like", "need"],
    "how do i": ["how do i", "how can i", "whats the way to", "how to"], "please": ["please", "pls", "plz", ""],
    "account": ["account", "acct", "account"], "internet": ["internet", "wifi", "connection", "broadband"],
    "bill": ["bill", "invoice", "statement", "bill"], "charged": ["charged", "billed", "charged"],
    "cant": ["cant", "cannot", "can't", "unable to"], "isnt": ["isnt", "is not", "isn't", "aint"],
    "new": ["new", "new", "replacement"], "since": ["since", "from", "since"],
}
_FILLER = ["", "", "", "", "basically ", "so ", "just wondering, ", "quick one: ", "as i said before, ",
           "i called already and ", "not sure who to ask but "]


def _noisy(text: str, rnd: random.Random) -> str:
    for word, alts in _SYNONYMS.items():
        if f" {word} " in f" {text} " and rnd.random() < 0.5:
            text = f" {text} ".replace(f" {word} ", f" {rnd.choice(alts)} ", 1).strip()
    words = [w for w in text.split(" ") if w and rnd.random() > 0.07]  # people skip words
    words = [_typo(w, rnd) if rnd.random() < 0.06 else w for w in words]
    text = " ".join(words)
    r = rnd.random()
    if r < 0.35:
        text = text[:1].upper() + text[1:]
        for plain, proper in ((r"\bi\b", "I"), (r"\bim\b", "I'm"), (r"\bdont\b", "don't"), (r"\bcant\b", "can't")):
            text = re.sub(plain, proper, text)
        if not text.endswith(("?", ".")):
            text += "."
    elif r < 0.45:
        text = text.upper() if rnd.random() < 0.2 else text
    return text


def generate(n: int | None = None, seed: int = 7, intents: int | None = None) -> list[HistoryRow]:
    """About ``n`` tickets (default: the full long tail, ~5,200) over the first ``intents`` intents."""
    rnd = random.Random(seed)
    names = list(INTENTS)[: intents or len(INTENTS)]
    volumes = _VOLUME[: len(names)]
    scale = (n / sum(volumes)) if n else 1.0
    rows: list[HistoryRow] = []
    for name, volume in zip(names, volumes, strict=True):
        subjects, phrasings, reply, minutes, anger = INTENTS[name]
        for _ in range(max(2, round(volume * scale))):
            chosen: dict[str, str] = {}
            body = rnd.choice(_FILLER) + _fill(rnd.choice(phrasings), rnd, chosen)
            if rnd.random() < 0.25:  # a second sentence in other words of the same intent
                other = _fill(rnd.choice(phrasings), rnd, chosen)
                if other != body:
                    body = f"{body}. {other}"
            if rnd.random() < 0.2:  # a second concern: the label stays the first
                second = rnd.choice(names)
                body = f"{body}. also {_fill(rnd.choice(INTENTS[second][1]), rnd, {})}"
            angry = rnd.random() < anger * 0.5
            if angry:
                body += "." + rnd.choice(_ANGRY)
            body = _fill(rnd.choice(_OPEN), rnd, chosen) + body + _fill(rnd.choice(_CLOSE), rnd, chosen)
            body = _noisy(body, rnd)
            subject = rnd.choice(subjects) if rnd.random() < 0.5 else rnd.choice(_GENERIC_SUBJECTS)
            label = name if rnd.random() > 0.04 else rnd.choice(names)  # agents mislabel a few
            handle = max(1.0, rnd.gauss(minutes * (1.6 if angry else 1.0), minutes / 3))
            replies = 1 + int(rnd.random() < 0.3) + int(angry and rnd.random() < 0.5)
            rows.append(HistoryRow(
                "", subject, body, label, _fill(reply, rnd, chosen), round(handle, 1), replies,
                rnd.random() < (0.15 if angry else 0.04),
            ))
    rnd.shuffle(rows)
    return [HistoryRow(f"H{i + 1:05d}", *list(asdict(r).values())[1:]) for i, r in enumerate(rows)]


def write_jsonl(rows: list[HistoryRow], path: Path, *, labels: bool = True) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            d = asdict(r)
            if not labels:
                d.pop("label")
            fh.write(json.dumps(d) + "\n")
    return path


def phrases(intent: str) -> Iterator[str]:
    yield from INTENTS[intent][1]
