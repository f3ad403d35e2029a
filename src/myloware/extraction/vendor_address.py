"""The vendor's postal address: the lines after the vendor name.

The address starts at the first address-like line after the name (street words, a postcode,
a street or unit number) and runs to the first phone, tax, registration, label or date; past
the line with the postcode only address-like lines continue it, or a few words of letters
after a line that ends with a comma (``39100 BRINCHANG,`` / ``CAMERON HIGHLANDS,``). A line
is cut where such a marker starts (``AXIS 40400 SHAH ALAM<TAB>FAX: ...``).
"""

from __future__ import annotations

import re

from myloware.extraction import lexicon as lx
from myloware.extraction.layout import Line
from myloware.extraction.money import find_money
from myloware.normalize.dates import find_dates

MAX_ADDRESS_LINES = 6
# a copy's or a payment's stamp, printed under the header of some documents
_STAMP_RE = re.compile(r"^\W*(?:ORIGINAL|COPY|DUPLICATE|REPRINT|PAID|VOID|CANCELL?ED)\b", re.I)
_ADDRESS_LABEL_RE = re.compile(
    r"^(?:[A-Z]{1,6}\s)?(?:ADD|ADDR|ADDRESS|ADRESSE|ANSCHRIFT)\.?\s*:\s*", re.I
)


def _stop_position(text: str) -> int | None:
    """Where in an address line the non-address part starts (0: the whole line), or None."""
    if (
        lx.TITLE_RE.match(text)
        or lx.is_registration_line(text)
        or lx.REG_LABEL_RE.match(text)
        or (lx.letters(text) < 2 and lx.digits(text) >= 7)
    ):
        return 0
    starts = [
        m.start() for rx in (lx.CONTACT_RE, lx.LABEL_RE, lx.FOOTER_RE) if (m := rx.search(text))
    ]
    tax = lx.TAX_ID_LINE_RE.search(text)
    if tax is not None and lx.digits(text[tax.end() :]) >= 5:
        starts.append(tax.start())
    starts.extend(d.start for d in find_dates(text))
    return min(starts) if starts else None


def _address_start(header: list[Line], after: int) -> int | None:
    for pos in range(after + 1, min(len(header), after + 6)):
        text = header[pos].flat
        money = [m for m in find_money(text) if m.decimals]
        if money and (money[-1].end >= len(text.rstrip()) - 2 or not lx.is_address_like(text)):
            return None  # an item or amount line: the header is over
        if lx.TABLE_HEADER_RE.search(text) and not lx.is_address_like(text):
            return None
        if text.strip().startswith("(") and text.strip().endswith(")"):
            continue  # a parenthesised note ("(TESCO PUTRA NILAI)") does not open an address
        if lx.is_address_like(text) and _stop_position(text) != 0:
            return pos
    return None


def address_parts(header: list[Line], after: int) -> list[tuple[Line, int]]:
    """Address lines after index ``after`` as ``(line, length used)``: from the first
    address-like line up to a contact/tax/label line; past the postcode only address-like
    lines continue it."""
    start = _address_start(header, after)
    if start is None:
        return []
    parts: list[tuple[Line, int]] = []
    seen_postcode = comma = False
    for line in header[start : start + MAX_ADDRESS_LINES]:
        text = line.flat
        cut = _stop_position(text)
        segment = text[:cut].rstrip(" ,;:|\t") if cut is not None else text.rstrip()
        goes_on = lx.is_address_like(segment) or (comma and _place_name(segment))
        if not segment.strip() or (seen_postcode and not goes_on):
            break
        if cut is not None and lx.letters(segment) < 3:
            break
        parts.append((line, len(segment)))
        seen_postcode = seen_postcode or bool(lx.POSTCODE_RE.search(segment))
        comma = segment.endswith(",")
        if cut is not None:
            break
    return parts


def _place_name(text: str) -> bool:
    """A few words of capitals only (``CAMERON HIGHLANDS,``, ``PAHANG``): after a line that
    ends with a comma, the next part of the address (a district, a state) — not a person's
    name in mixed case, a title (``ORIGINAL``) or a label."""
    words = text.split()
    return (
        0 < len(words) <= 3
        and text.isupper()
        and lx.digits(text) == 0
        and lx.letters(text) >= 3
        and not lx.LEGAL_FORM_RE.search(text)
        and not lx.BUSINESS_WORD_RE.search(text)
        and not lx.TITLE_RE.match(text)
        and not _STAMP_RE.match(text)
        and not lx.FOOTER_RE.search(text)
        and not lx.LABEL_RE.search(text)
    )


def read_address(header: list[Line], after: int) -> tuple[list[Line], str]:
    """The address lines after ``header[after]`` and the address text (``""`` when none)."""
    parts = address_parts(header, after)
    text = " ".join(" ".join(line.flat[:used].split()) for line, used in parts)
    return [line for line, _ in parts], _ADDRESS_LABEL_RE.sub("", text)
