"""Mask PII before text leaves for a cloud model, and restore it in what the agent sees.

Detected: emails (plus-tags too), phone numbers in international and national formats (Google's
``phonenumbers``, checked valid for the regions in ``PHONE_REGIONS``), payment cards (13-19 digits with
spaces or dashes, Luhn-checked), IBANs and national ids (``python-stdnum`` checksums: US SSN, UK
National Insurance, French NIR, German tax id), and US/UK/German/French street addresses and postcodes.
Order numbers, SKUs, ISBNs, tracking numbers, dates and prices are left alone (they fail those checks).

Obfuscation is undone first: zero-width characters and soft hyphens are removed and look-alike digits
(full-width, other scripts) become ASCII, so "a\u200b@x.com" or "４１１１…" can't slip through.

One ``Redactor`` per model call: the same value always gets the same placeholder, so the model can
still refer to "[EMAIL_1]" consistently and the agent gets the real value back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

PHONE_REGIONS = ("US", "GB", "DE", "FR")

_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")  # also what learned answers keep or mask
_EMAIL = EMAIL
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_NINO = re.compile(r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
_NIR = re.compile(r"\b[12] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2}\b")
_SSN_SPACED = re.compile(r"\b\d{3}[ .]\d{2}[ .]\d{4}\b")
_SSN_KEYWORD = re.compile(r"(?i)(?:ssn|social security(?: number| no\.?| #)?)\W{0,6}(\d{9})\b")
# National ids of the EU's large countries, each confirmed by its checksum (python-stdnum). Bare 9-11 digit
# runs are common (orders, tracking), so BSN, NIF and PESEL count only after their name.
_ES_DNI = re.compile(r"\b\d{8}[ -]?[A-Za-z]\b")
_ES_NIE = re.compile(r"\b[XYZxyz][ -]?\d{7}[ -]?[A-Za-z]\b")
_IT_CF = re.compile(r"\b[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z]"
                    r"[0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z]\b")
_BE_NN = re.compile(r"\b\d{2}\.?\d{2}\.?\d{2}[- ]?\d{3}\.?\d{2}\b")
_KEYWORD_IDS = re.compile(r"(?i)\b(bsn|burgerservicenummer|sofinummer|nif|contribuinte|pesel)\b\W{0,12}"
                          r"(\d[\d. ]{7,13}\d)")
_PASSPORT = re.compile(r"(?i)\b(?:passport|passeport|reisepass|pasaporte|passaporto|paspoort)"
                       r"(?:\s*(?:number|no\.?|nr\.?|n[º°o]\.?|#|num(?:ber|éro)?))?\W{0,4}([A-Z0-9]{6,9})\b")
_DE_IDNR = re.compile(r"(?i)(?:steuer-?id|steueridentifikationsnummer|idnr|tax id)\D{0,20}(\d{2} ?\d{3} ?\d{3} ?\d{3})")
_STREET = re.compile(
    r"\b(?:(?:flat|apt|apartment|unit|suite)\s*\w+,?\s+)?\d{1,5}[a-z]?\s+(?:[A-Z][\w'-]*\s+){1,4}"
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Ct|Court|Way|Pl|Place|Sq|Square|"
    r"Grove|Hill|Terrace|Close|Crescent|Park|Row|Gardens|Mews|Walk)\b\.?"
    r"(?:,?\s*(?:apt|apartment|unit|suite|flat)\.?\s*[\w-]+)?",
    re.IGNORECASE,
)
_DE_STREET = re.compile(
    r"\b[A-ZÄÖÜ][\wäöüß.-]*(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee)"
    r"\s+\d{1,4}\s?[a-z]?\b|\b(?:Am|An der|Auf der|Im|In der|Zum|Zur)\s+[A-ZÄÖÜ][\wäöüß-]+\s+\d{1,4}[a-z]?\b")
_FR_STREET = re.compile(
    r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|place|allée|allee|impasse|chemin|quai|"
    r"route|cours)\s+(?:de la |de l'|du |des |de |d')?[A-ZÉÈ][\w'-]*(?:\s+[A-ZÉÈ][\w'-]*){0,3}",
    re.IGNORECASE)
_NL_STREET = re.compile(
    r"\b[A-Z][a-z]+(?:straat|laan|weg|plein|gracht|kade|dijk|singel|steeg|hof|markt|park)\s+\d{1,4}\s?[a-zA-Z]?\b")
_ES_STREET = re.compile(
    r"\b(?:Calle|C/|Avenida|Avda\.?|Av\.|Plaza|Pza\.?|Paseo|Pº|Carrer|Camino|Ronda|Travesía)\s*"
    r"(?:de\s+(?:la\s+|los\s+|las\s+|l')?|del\s+)?[A-ZÁÉÍÓÚÑ][\w'-]*(?:\s+[A-ZÁÉÍÓÚÑ][\w'-]*){0,3},?\s*"
    r"(?:n[º°o]\.?\s*)?\d{1,4}(?:[,\s]+\d{1,2}[º°]?\s?[A-Za-z]?)?")
_IT_STREET = re.compile(
    r"\b(?:Via|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Strada|Lungomare|Lungotevere)\s+"
    r"(?:(?:dei|degli|delle|della|del|di|de')\s+)?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,3},?\s*(?:n\.?\s*)?"
    r"\d{1,4}(?:/?[A-Za-z])?\b")
_AU_STREET = re.compile(
    r"\b(?:(?:unit|u|lot|level)\s*\d+\s*/\s*|\d{1,4}\s*/\s*)?\d{1,5}[a-z]?\s+(?:[A-Z][\w'-]*\s+){1,3}"
    r"(?:Parade|Pde|Highway|Hwy|Circuit|Cct|Esplanade|Esp|Cres|Crt|Tce|Ave|St|Rd|Dr|Pl|Ct)\b\.?", re.IGNORECASE)
_NL_POSTCODE = re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b(?=\s+[A-Z][a-z])")
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
_EU_POSTCODE_CITY = re.compile(r"\b(?:D-|F-)?\d{5}\s+(?=[A-ZÄÖÜÉ][a-zäöüßéèêç]{2,})[A-ZÄÖÜÉ][\wäöüßéèêç-]+")
_US_STATE_ZIP = re.compile(r"\b(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|"
                           r"PA|RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY])\s\d{5}(?:-\d{4})?\b")
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|ID|ADDRESS|POSTCODE)_\d+\]")


def luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def normalise(text: str) -> str:
    """Undo obfuscation: zero-width characters and soft hyphens out, look-alike digits to ASCII."""
    text = _INVISIBLE.sub("", text)
    out = []
    for ch in text:
        if not ch.isascii() and ch.isdecimal():
            out.append(str(unicodedata.digit(ch)))
        elif "\uff01" <= ch <= "\uff5e":  # full-width ASCII (＠, Ａ): NFKC turns them into plain ASCII
            out.append(unicodedata.normalize("NFKC", ch))
        else:
            out.append(ch)
    return "".join(out)


_NOT_A_PHONE_BEFORE = re.compile(
    r"(?i)\b(?:order|invoice|receipt|batch|ref|reference|ticket|case|sku|isbn|po|tracking|serial|rma|lot|version|build|release)"
    r"\W{0,3}(?:no\.?|number|#)?\W{0,2}$")
_YEARISH = re.compile(r"^(?:19|20)\d{2}(?:\d{4})?-")


def _checkers() -> Any:
    """phonenumbers and stdnum, imported on first use (60 ms: kept off start-up)."""
    import phonenumbers
    from stdnum import iban, isbn
    from stdnum.fr import nir
    from stdnum.us import ssn

    return phonenumbers, iban, isbn, nir, ssn


def _national() -> Any:
    from stdnum.be import nn
    from stdnum.es import dni, nie
    from stdnum.it import codicefiscale
    from stdnum.nl import bsn
    from stdnum.pl import pesel
    from stdnum.pt import nif

    return {"dni": dni, "nie": nie, "cf": codicefiscale, "nn": nn,
            "bsn": bsn, "burgerservicenummer": bsn, "sofinummer": bsn, "nif": nif, "contribuinte": nif,
            "pesel": pesel}


def _phones(text: str) -> Iterator[tuple[int, int]]:
    """Valid phone numbers for the regions Assist's teams serve, minus ids that merely look like one."""
    phonenumbers, _iban, std_isbn, _nir, _ssn = _checkers()
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            raw = match.raw_string
            digits = re.sub(r"\D", "", raw)
            isbn = "-" in raw and len(digits) in (10, 13) and std_isbn.is_valid(raw)
            if (_YEARISH.match(raw) or isbn
                    or _NOT_A_PHONE_BEFORE.search(text[max(0, match.start - 24):match.start])):
                continue  # "receipt 2026-000413", "ISBN 0-306-40615-2", "batch 20261125-03"
            yield match.start, match.end


class Redactor:
    def __init__(self) -> None:
        self._by_value: dict[str, str] = {}
        self._by_token: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def _token(self, kind: str, value: str) -> str:
        if value not in self._by_value:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            token = f"[{kind}_{self._counts[kind]}]"
            self._by_value[value] = token
            self._by_token[token] = value
        return self._by_value[value]

    def _sub(self, pattern: re.Pattern[str], kind: str, text: str, check: object = None, group: int = 0) -> str:
        def repl(m: re.Match[str]) -> str:
            value = m.group(group)
            if callable(check) and not check(value):
                return m.group(0)
            start, end = m.start(group) - m.start(0), m.end(group) - m.start(0)
            whole = m.group(0)
            return whole[:start] + self._token(kind, value) + whole[end:]

        return pattern.sub(repl, text)

    def mask(self, text: str) -> str:
        _phonenumbers, std_iban, _isbn, fr_nir, us_ssn = _checkers()
        text = normalise(text)
        text = self._sub(_EMAIL, "EMAIL", text)
        text = self._sub(_IBAN, "IBAN", text, lambda v: std_iban.is_valid(v))
        text = self._sub(_CARD, "CARD", text,
                         lambda v: 13 <= len(d := re.sub(r"\D", "", v)) <= 19 and luhn_ok(d))
        text = self._sub(_SSN, "ID", text, lambda v: us_ssn.is_valid(v))
        text = self._sub(_SSN_SPACED, "ID", text, lambda v: us_ssn.is_valid(re.sub(r"\D", "", v)))
        text = self._sub(_SSN_KEYWORD, "ID", text, lambda v: us_ssn.is_valid(v), group=1)
        ids = _national()
        text = self._sub(_ES_DNI, "ID", text, lambda v: ids["dni"].is_valid(v))
        text = self._sub(_ES_NIE, "ID", text, lambda v: ids["nie"].is_valid(v))
        text = self._sub(_IT_CF, "ID", text, lambda v: ids["cf"].is_valid(v.upper()))
        text = self._sub(_BE_NN, "ID", text, lambda v: ids["nn"].is_valid(re.sub(r"\D", "", v)))
        text = self._keyword_ids(text, ids)
        text = self._sub(_PASSPORT, "ID", text, lambda v: any(c.isdigit() for c in v), group=1)
        text = self._sub(_NINO, "ID", text)
        text = self._sub(_NIR, "ID", text, lambda v: fr_nir.is_valid(v.replace(" ", "")))
        text = self._sub(_DE_IDNR, "ID", text, group=1)
        for pattern in (_AU_STREET, _STREET, _DE_STREET, _FR_STREET, _NL_STREET, _ES_STREET, _IT_STREET):
            text = self._sub(pattern, "ADDRESS", text)
        for pattern in (_UK_POSTCODE, _US_STATE_ZIP, _EU_POSTCODE_CITY, _NL_POSTCODE):
            text = self._sub(pattern, "POSTCODE", text)
        spans = sorted(set(_phones(text)), reverse=True)
        kept_end = len(text) + 1
        for start, end in spans:  # right to left, skipping overlaps, so offsets stay valid
            if end > kept_end or _PLACEHOLDER.search(text[start:end]):
                continue
            text = text[:start] + self._token("PHONE", text[start:end]) + text[end:]
            kept_end = start
        return text

    def _keyword_ids(self, text: str, ids: dict[str, Any]) -> str:
        """BSN, NIF and PESEL after their name, confirmed by their checksum."""
        def repl(m: re.Match[str]) -> str:
            digits = re.sub(r"\D", "", m.group(2))
            if not ids[m.group(1).lower()].is_valid(digits):
                return m.group(0)
            return m.group(0)[:m.start(2) - m.start(0)] + self._token("ID", m.group(2))

        return _KEYWORD_IDS.sub(repl, text)

    def restore(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self._by_token.get(m.group(0), m.group(0)), text)

    @property
    def masked(self) -> dict[str, str]:
        return dict(self._by_token)


def safe_prefix(text: str) -> int:
    """Length of ``text`` that cannot end inside a placeholder still being streamed."""
    cut = text.rfind("[")
    if cut != -1 and "]" not in text[cut:] and len(text) - cut <= 14:
        return cut
    return len(text)
