"""A help center's worth of realistic support passages, and the questions customers ask about them.

Each passage is one (product, feature, aspect) of a made-up electronics shop's help center, written as
articles are: full sentences with stopwords, inflected verbs ("charged", "charging"), boilerplate
("If this does not help, contact us"). Each question names the same product and feature the way
customers do: other inflections, synonyms, typos-free but paraphrased, with words of its own.
Large sizes come from more products (a real catalog's model names), never from nonsense words.
"""

from __future__ import annotations

import random

BRANDS = ["Aero", "Nova", "Pulse", "Vertex", "Lumen", "Orbit", "Cobalt", "Zephyr", "Kestrel", "Halo",
          "Summit", "Tidal", "Ember", "Quartz", "Sable", "Falcon", "Juniper", "Onyx", "Polar", "Rally"]
LINES = ["Buds", "Watch", "Speaker", "Tab", "Cam", "Router", "Scale", "Band", "Hub", "Dock", "Pen", "Lamp",
         "Drive", "Mouse", "Keys", "Charger", "Tracker", "Frame", "Remote", "Mic"]

# feature: (passage words, question paraphrases)
FEATURES: dict[str, tuple[list[str], list[str]]] = {
    "battery": (["battery life", "charging the battery", "the battery charges"],
                ["battery dies fast", "won't hold a charge", "battery drains overnight"]),
    "bluetooth": (["Bluetooth pairing", "pair it with your phone", "paired devices"],
                  ["won't connect to my phone", "keeps disconnecting from bluetooth", "can't pair"]),
    "firmware": (["firmware updates", "updating the firmware", "the update installs"],
                 ["update failed", "stuck updating", "new software version won't install"]),
    "warranty": (["the warranty covers", "warranty claims", "repairs under warranty"],
                 ["is it still under guarantee", "claim a repair under the warranty", "broken after 8 months"]),
    "refund": (["refunds are issued", "refunding an order", "the refund appears on your statement"],
               ["money back", "when will I get refunded", "refund hasn't shown up"]),
    "delivery": (["delivery times", "shipping the order", "tracking the parcel"],
                 ["where is my package", "hasn't been delivered yet", "tracking number doesn't work"]),
    "return": (["returning an item", "return labels", "returns are accepted"],
               ["send it back", "how do I return", "print a return label"]),
    "screen": (["the display", "screen brightness", "cracked screens"],
               ["screen is black", "display flickers", "cracked the screen"]),
    "password": (["resetting your password", "password reset emails", "signing in"],
                 ["forgot my password", "reset link never arrives", "can't log in"]),
    "subscription": (["the subscription renews", "cancelling a subscription", "subscription plans"],
                     ["stop the monthly plan", "cancel my membership", "charged for renewal"]),
    "invoice": (["invoices are emailed", "downloading an invoice", "VAT on invoices"],
                ["need a receipt", "get a copy of the bill", "company invoice with VAT number"]),
    "sound": (["sound quality", "the volume", "audio settings"],
              ["no sound", "audio crackles", "too quiet even at max volume"]),
    "wifi": (["Wi-Fi setup", "connecting to a wireless network", "the network settings"],
             ["won't join my wifi", "keeps dropping the wireless connection", "can't find my network"]),
    "app": (["the companion app", "installing the app", "app notifications"],
            ["app crashes", "app won't open", "not getting notifications on my phone"]),
    "reset": (["factory reset", "resetting the device", "restoring default settings"],
              ["wipe it", "start over from scratch", "reset to factory"]),
    "charging": (["the charging cable", "charging ports", "fast charging"],
                 ["cable doesn't charge it", "charger stopped working", "port is loose"]),
    "water": (["water resistance", "water damage", "rated against splashes"],
              ["got it wet", "dropped it in the pool", "can I swim with it"]),
    "gift": (["gift cards", "redeeming a gift card", "gift wrapping"],
             ["use my voucher", "gift code not accepted", "wrap it as a present"]),
    "account": (["deleting your account", "account data", "personal data requests"],
                ["close my account", "remove all my data", "GDPR request"]),
    "price": (["price matching", "discount codes", "promotions"],
              ["cheaper elsewhere", "promo code didn't work", "price dropped after I bought it"]),
}
ASPECTS: dict[str, tuple[list[str], list[str]]] = {
    "setup": (["To set up {f} on the {p}, open the settings and follow the steps shown.",
               "Setting up {f} takes a few minutes the first time you use the {p}."],
              ["how do I set up {q} on my {p}", "first time setting up the {p}, {q}"]),
    "troubleshoot": (["If {f} is not working on the {p}, restart it and try again.",
                      "Most problems with {f} on the {p} are fixed by restarting and updating."],
                     ["my {p} {q}, I already restarted it", "{q} on the {p}, what can I do"]),
    "cost": (["{F} for the {p} is free for the first year; after that a fee applies.",
              "There is no charge for {f} on the {p} while the warranty lasts."],
             ["do I have to pay for {q} with the {p}", "how much does it cost, {q}, {p}"]),
    "time": (["{F} on the {p} usually takes two to five working days.",
              "Please allow up to 48 hours for {f} on the {p} to complete."],
             ["how long will it take, {q}, {p}", "{p}: {q}, it's been days"]),
    "limits": (["{F} is limited to one per order for the {p}.",
                "Some regions don't support {f} on the {p} yet."],
               ["is {q} available in my country for the {p}", "can I do it twice, {q}, {p}"]),
    "contact": (["If this does not help with {f}, contact us with your {p} serial number.",
                 "Our team can help with {f}: include the {p} model and your order number."],
                ["who do I talk to, {q}, {p}", "need a human, {p} {q}"]),
    "safety": (["For your safety, never open the {p} to fix {f} yourself.",
                "Stop using the {p} if {f} causes it to overheat."],
               ["{p} getting hot, {q}", "is it safe, {q}, {p}"]),
    "business": (["Business customers can manage {f} for every {p} from the admin console.",
                  "Teams with many {p} devices handle {f} in bulk from the console."],
                 ["we have 40 of the {p} at the office, {q}", "company account, {q}, {p}"]),
}
FILLER = ["This article explains what you need to know.", "The steps below apply to every colour and size.",
          "We update this page whenever something changes.", "Thank you for choosing us.",
          "You can find your order number in the confirmation email.", "Keep your receipt for your records."]
OPENERS = ["Hi,", "Hello there.", "Hey support team,", "Good morning,", ""]
CLOSERS = ["Thanks!", "Any help appreciated.", "Please advise.", "Cheers", ""]


def products(n: int) -> list[str]:
    out = []
    for i in range(n):
        brand, line = BRANDS[i % len(BRANDS)], LINES[(i // len(BRANDS)) % len(LINES)]
        out.append(f"{brand} {line} {100 + i // (len(BRANDS) * len(LINES))}")
    return out


def corpus(n_passages: int, seed: int = 3) -> list[tuple[str, str, str, tuple[str, str, str]]]:
    """(title, heading, text, (product, feature, aspect)) for n passages, articles of 8 aspects."""
    rnd = random.Random(seed)
    per_product = len(FEATURES) * len(ASPECTS)
    catalog = products(n_passages // per_product + 1)
    out = []
    for p in catalog:
        for feature, (words, _) in FEATURES.items():
            for aspect, (sentences, _) in ASPECTS.items():
                if len(out) == n_passages:
                    return out
                f = rnd.choice(words)
                text = " ".join(s.format(f=f, F=f[0].upper() + f[1:], p=p) for s in sentences)
                text += " " + " ".join(rnd.sample(FILLER, 2))
                title = f"{p}: {words[0]}"
                out.append((title, aspect.capitalize(), text, (p, feature, aspect)))
    return out


def questions(passages: list[tuple[str, str, str, tuple[str, str, str]]], n: int,
              seed: int = 5) -> list[tuple[int, str]]:
    rnd = random.Random(seed)
    out = []
    for gold in sorted(rnd.sample(range(len(passages)), min(n, len(passages)))):
        p, feature, aspect = passages[gold][3]
        q = rnd.choice(FEATURES[feature][1])
        # customers shorten the model ("my nova buds"), lower-case it, and wrap it in chat
        name = p if rnd.random() < 0.6 else p.lower()
        body = rnd.choice(ASPECTS[aspect][1]).format(p=name, q=q)
        out.append((gold, " ".join(x for x in (rnd.choice(OPENERS), body, rnd.choice(CLOSERS)) if x)))
    return out
