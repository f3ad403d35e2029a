"""VAT identification numbers by the shape each country gives them.

A VAT id is a two-letter country prefix and the national number in that country's format
(the formats the EU's VIES service checks, plus the United Kingdom, Switzerland and Norway).
:func:`vat_id` reads one out of printed text (``DE 123 456 789``, ``FR-40.303265045``,
``CHE-123.456.789 MWST``) and returns it compact and upper-case, or None when the text is
not shaped like one. The shapes are the countries' published formats; nothing here is taken
from a data set.
"""

from __future__ import annotations

import re

# country prefix → the national part's pattern (after the prefix, spaces and dots removed)
_SHAPES: dict[str, str] = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{10}01",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "GB": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
    "CH": r"E\d{9}(?:MWST|TVA|IVA)?",
    "NO": r"\d{9}(?:MVA)?",
}
_FULL = {country: re.compile(rf"(?:{shape})") for country, shape in _SHAPES.items()}
_SEPARATORS_RE = re.compile(r"[\s.\-]")
# a country prefix, then digits/letters with the separators people print between them
CANDIDATE_RE = re.compile(
    rf"(?<![A-Za-z0-9])(?:{'|'.join(_SHAPES)})[\s.\-]?[0-9A-Z][0-9A-Z .\-]{{1,18}}[0-9A-Z]"
)


def vat_id(text: str) -> str | None:
    """``text`` as a compact VAT id when it has the shape of one of its country, else None."""
    compact = _SEPARATORS_RE.sub("", text).upper()
    country, national = compact[:2], compact[2:]
    shape = _FULL.get(country)
    if shape is None or shape.fullmatch(national) is None:
        return None
    return compact


def find_vat_id(text: str, start: int = 0) -> tuple[str, int, int] | None:
    """The first VAT id in ``text`` at or after ``start``: ``(compact id, start, end)``.

    A candidate printed with separators may run into the words after it, so it is shortened
    from the right, at a separator each time (never inside a run of characters: a number
    with a digit too many is not one), until it has its country's shape.
    """
    for m in CANDIDATE_RE.finditer(text, start):
        raw = m.group()
        for end in range(len(raw), 3, -1):
            if raw[end - 1] in " .-" or (end < len(raw) and raw[end] not in " .-"):
                continue
            found = vat_id(raw[:end])
            if found is not None:
                return found, m.start(), m.start() + end
    return None
