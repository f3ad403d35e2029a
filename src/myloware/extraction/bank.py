"""The payee's bank account: IBAN (checksum verified) and BIC, read from the text.

An IBAN is a country code, two check digits and the national account number, printed in
groups of four (``DE89 3704 0044 0532 0130 00``); its check digits make the whole number
≡ 1 modulo 97 (ISO 13616), so a misread digit is caught. A candidate is read with or without
its label; one printed after an ``IBAN`` label whose checksum fails is kept with a low
confidence, so a person sees it rather than losing it. A BIC (ISO 9362: bank, country,
location and an optional branch, 8 or 11 characters) is only read after its label (``BIC``,
``SWIFT``): eight capitals are too often a word. A labelled code of the wrong length
(``BIC: COBADEFXXX``, ten characters) is kept as printed with a low confidence, like an IBAN
whose checksum fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from myloware.extraction import labels
from myloware.extraction.layout import Line

# ISO 13616 registry: the length of an IBAN per country
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30,
    "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29,
    "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN_CANDIDATE_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}")
_BIC_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?![A-Za-z0-9])")
_IBAN_LABEL_RE = labels.label_re("iban")
_BIC_LABEL_RE = labels.label_re("bic")
_BIC_LIKE_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{6}[A-Z0-9]{1,6}(?![A-Za-z0-9])")


@dataclass(frozen=True, slots=True)
class Account:
    """A value read from ``line.text[start:end]`` with how sure the reading is."""

    value: str
    line: Line
    start: int
    end: int
    confidence: float


def iban_checksum_ok(iban: str) -> bool:
    """True when ``iban`` (compact) has its country's length and valid check digits."""
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum():
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def _as_printed(raw: str) -> str:
    """The IBAN-like run at the start of ``raw`` when it is not a valid IBAN: one token, or
    groups of four separated by single spaces (the last group may be shorter)."""
    tokens = raw.split(" ")
    if len(tokens[0]) > 4:
        return tokens[0]
    kept = []
    for token in tokens:
        kept.append(token)
        if len(token) != 4:
            break
    return " ".join(kept)


def _iban_in(text: str) -> tuple[str, int, int, bool] | None:
    """The first IBAN in ``text``: ``(compact, start, end, checksum ok)``. A candidate that
    runs into the next word is cut to its country's length; one that is not valid so is
    taken as printed, to be shown with its failed checksum."""
    for m in _IBAN_CANDIDATE_RE.finditer(text.upper()):
        raw = text[m.start() : m.end()].upper()
        compact = raw.replace(" ", "")
        length = _IBAN_LENGTHS.get(compact[:2])
        if length is None:
            continue
        if len(compact) >= length and iban_checksum_ok(compact[:length]):
            end, kept = m.start(), 0
            while kept < length:  # where the length-th character of the IBAN is in the text
                kept += text[end] != " "
                end += 1
            return compact[:length], m.start(), end, True
        printed = _as_printed(raw)
        return printed.replace(" ", ""), m.start(), m.start() + len(printed), False
    return None


def find_iban(lines: list[Line]) -> Account | None:
    """The payee's IBAN: a valid one after an ``IBAN`` label (0.95), else a valid one
    anywhere (0.85), else a labelled one whose checksum fails (0.3)."""
    best: Account | None = None
    for line in lines:
        found = _iban_in(line.flat)
        if found is None:
            continue
        value, start, end, valid = found
        labelled = _IBAN_LABEL_RE.search(line.flat[:start]) is not None
        confidence = (0.95 if labelled else 0.85) if valid else (0.3 if labelled else 0.0)
        if confidence and (best is None or confidence > best.confidence):
            best = Account(value, line, start, end, confidence)
    return best


def find_bic(lines: list[Line]) -> Account | None:
    """The BIC printed right of a ``BIC``/``SWIFT`` label (on its line or the next); else a
    labelled code of the wrong length, at confidence 0.3."""
    malformed: Account | None = None
    for pos, line in enumerate(lines):
        label = _BIC_LABEL_RE.search(line.flat)
        if label is None:
            continue
        for where, offset in ((line, label.end()), *((nxt, 0) for nxt in lines[pos + 1 : pos + 2])):
            for pattern, confidence in ((_BIC_RE, 0.9), (_BIC_LIKE_RE, 0.3)):
                m = pattern.search(where.flat.upper(), offset)
                if m is None or where.flat[offset : m.start()].strip(" :\t-/.()"):
                    continue
                if confidence == 0.9:
                    return Account(m.group(), where, m.start(), m.end(), confidence)
                malformed = malformed or Account(m.group(), where, m.start(), m.end(), confidence)
    return malformed
