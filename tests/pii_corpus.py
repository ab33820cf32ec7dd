"""A hand-written PII corpus: (text, [values that must not reach a cloud model]) and negatives that
must come through untouched. Used by tests/unit/assist/test_redact.py and benchmarks/redaction.py."""

from __future__ import annotations

EMAILS = ["maria.gonzalez82@gmail.com", "jo.smith+orders@gmail.com", "BEN.CARTER@CarterCo.io",
          "lena.fischer@posteo.de", "o'neil@example.ie", "first.last@mail.co.uk", "x_y-z@sub.domain.example.org",
          "anna+tag+two@outlook.com", "support-team@acme-shop.fr", "k123@t-online.de", "ceo@company.com.au",
          "jane.doe+refund2026@yahoo.com"]

PHONES = ["(415) 555-2671", "+1 212 736 5000", "212-736-5000", "+44 20 7946 0958", "020 7946 0958",
          "+44 7911 123456", "0161 496 0000", "+49 30 901820", "030 901820", "0151 23456789", "+49 (0)89 123456",
          "+33 1 42 68 53 00", "06 12 34 56 78", "01 42 68 53 00", "+33 6 12 34 56 78", "+1-617-555-0143",
          "617.555.0143", "+61 2 9374 4000", "+81 3-3224-9999", "+34 912 345 678", "+39 06 6988 3145",
          "+31 20 624 1111", "+41 44 668 1800", "+353 1 896 1000", "+46 8 505 800 00", "+1 416 979 6648",
          "+91 22 2288 2222", "+55 11 3003 4000", "(646) 555-0182"]

CARDS = ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "4012 8888 8888 1881",
         "5555 5555 5555 4444", "5105-1051-0510-5100", "3782 822463 10005", "371449635398431",
         "6011 1111 1111 1117", "6011000990139424", "3530 1113 3330 0000", "3056 9309 0259 04",
         "4000 0566 5566 5556", "5200 8282 8282 8210", "2223 0031 2200 3222"]

IBANS = ["DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "GB29 NWBK 6016 1331 9268 19",
         "GB29NWBK60161331926819", "FR14 2004 1010 0505 0001 3M02 606", "ES91 2100 0418 4502 0005 1332",
         "NL91 ABNA 0417 1643 00", "IT60 X054 2811 1010 0000 0123 456", "BE71 0961 2345 6769",
         "CH93 0076 2011 6238 5295 7", "AT61 1904 3002 3457 3201"]

IDS = ["536-22-1234", "401-58-7731", "AB 12 34 56 C", "JG103752A", "CE 23 45 67 D", "184127645108946",
       "2 69 05 49 588 157 80"]

DE_TAX_IDS = ["86095742719", "47036892816"]  # written with the words "Steuer-ID"

# National ids of other countries, each written the way a customer gives it (issue 25: a fresh multi-country
# list found them unmasked); every value passes its checksum.
NATIONAL = [("my SSN is {v}", "536 90 4399"), ("social security number: {v}", "536904399"),
            ("DNI {v} a nombre de Ana", "54362315K"), ("mi NIE es {v}", "X-2482300-W"),
            ("codice fiscale {v}", "RCCMNL83S18D969H"), ("BSN: {v}", "1112.22.333"),
            ("NIF {v} para a fatura", "501964843"), ("rijksregisternummer {v}", "85.07.30-033.28"),
            ("PESEL {v}", "44051401359"), ("passport number {v}, expires in May", "X1234567")]
ADDRESSES_MORE = ["Kerkstraat 12", "Calle Mayor 5", "Avda. de la Constitución 12", "Via Roma 12",
                  "Corso Vittorio Emanuele 45", "Unit 5/12 George St", "88 Marine Pde"]

ADDRESSES = ["1600 Pennsylvania Avenue", "350 Fifth Ave", "221B Baker Street", "10 Downing St",
             "Flat 5, 9 Cotham Hill", "1421 Alder St", "88 Birch Road", "4 Privet Drive", "12 Grimmauld Place",
             "742 Evergreen Terrace", "31 Spooner Street", "Hauptstraße 12", "Friedrichstr. 43", "Am Markt 5",
             "Schillerstrasse 7a", "Königsallee 27", "Lindenweg 3", "12 rue de la Paix", "5 avenue Anatole France",
             "27 boulevard Saint-Michel", "8 place de la Concorde", "3 bis rue des Lilas", "14 Abbey Road",
             "2 Wellington Gardens"]

POSTCODES = ["SW1A 2AA", "EC1A 1BB", "M1 1AE", "NY 10118", "OR 97214", "CA 94103-1234", "10115 Berlin",
             "80331 München", "75007 Paris", "69002 Lyon"]

TEMPLATES = [
    "hi, you can reach me at {v} any time",
    "My details: {v}. Thanks!",
    "{v} is where the parcel should go",
    "pls update it to {v} asap",
]


def positives() -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    groups = [EMAILS, PHONES, CARDS, IBANS, IDS, ADDRESSES, POSTCODES]
    for g, values in enumerate(groups):
        for i, value in enumerate(values):
            out.append((TEMPLATES[(g + i) % len(TEMPLATES)].format(v=value), [value]))
    for value in DE_TAX_IDS:
        out.append((f"Meine Steuer-ID ist {value}, bitte für die Rechnung.", [value]))
    out += [(template.format(v=value), [value]) for template, value in NATIONAL]
    out += [(TEMPLATES[i % len(TEMPLATES)].format(v=value), [value]) for i, value in enumerate(ADDRESSES_MORE)]
    out.append(("Woonadres: Kerkstraat 12, 1012 AB Amsterdam", ["Kerkstraat 12", "1012 AB"]))
    # several at once, the way customers write them
    out += [
        ("Ship to 1421 Alder St, Portland, OR 97214 and text me on (415) 555-2671",
         ["1421 Alder St", "OR 97214", "(415) 555-2671"]),
        ("Refund to IBAN DE89 3704 0044 0532 0130 00, mail lena.fischer@posteo.de",
         ["DE89 3704 0044 0532 0130 00", "lena.fischer@posteo.de"]),
        ("new address: Hauptstraße 12, 10115 Berlin. Tel 030 901820",
         ["Hauptstraße 12", "10115 Berlin", "030 901820"]),
        ("J'habite 12 rue de la Paix, 75002 Paris, portable 06 12 34 56 78",
         ["12 rue de la Paix", "75002 Paris", "06 12 34 56 78"]),
        ("card was 4111 1111 1111 1111 and my NI number is AB 12 34 56 C",
         ["4111 1111 1111 1111", "AB 12 34 56 C"]),
    ]
    # obfuscated: zero-width characters, full-width digits and at-sign
    out += [
        ("email me: ma\u200bria@\u200bgmail.com", ["maria@gmail.com"]),
        ("card 4111\u200b1111\u200b1111\u200b1111 please", ["4111111111111111"]),
        ("card ４１１１ １１１１ １１１１ １１１１", ["4111 1111 1111 1111"]),
        ("call +44\u200c 20 7946 0958", ["+44 20 7946 0958"]),
        ("write to bob＠example.com", ["bob@example.com"]),
        ("iban GB29\u00adNWBK60161331926819", ["GB29NWBK60161331926819"]),
    ]
    return out


NEGATIVES = [
    "Where is my order KC-48213?", "order #100234 hasn't shipped", "Order 100234 arrived broken",
    "It's SKU-4471-BLK in size M", "item ABC-12345-XL is out of stock", "ISBN 978-3-16-148410-0 please",
    "the book 0-306-40615-2 never came", "UPS tracking 1Z84X9960312457781", "USPS 9400111899223812456601",
    "Amazon TBA123456789000", "placed on 2026-11-25", "delivered 25/11/2026", "due 11/25/2026",
    "on Nov 25, 2026 at 14:30", "I paid $38.00", "it cost €1,299.99 total", "charged £54.50 twice",
    "refund of 12.00 USD", "2 x 250g bags", "app version v2.3.14", "invoice INV-2026-0042", "ticket #1037",
    "12 bags of coffee", "room 42 on floor 3", "call between 9 and 5", "plan Pro since 2024",
    "model MK2-550 grinder", "serial SN-88231-A", "EAN 4006381333931 on the box", "batch 20261125-03",
    "promo code SAVE20NOW", "I waited 3 weeks and 2 days", "the 1st, 2nd and 3rd boxes", "order KC-47702 and KC-48150",
    "reference RMA-88213", "case 00123456", "my account id is 7731", "we are 5 people in the office",
    "temperature 92 degrees", "grind size 18 clicks", "weight 1.25 kg", "it's 2026, come on",
    "PO number 4500012345", "receipt 2026-000413", "zip file attached", "line 2 of the invoice",
    "Visa ending 1111", "last 4 digits 4444",
    "order 123456789 shipped", "tracking 1Z999AA10123456784", "SKU AB-12345-IT", "via email please, order 44",
    "NIF form attached", "passport photo rejected", "version 12.04.2026-001", "size 38 EU / 5 UK",
]
