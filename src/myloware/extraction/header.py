"""Vendor name and address from the header of an invoice or receipt.

The vendor's block sits at the top: a name, perhaps a registration number, the postal
address, then contact, tax and document lines (:mod:`vendor_name`, :mod:`vendor_address`).
A ``Seller:``/``Sprzedawca:`` label names the vendor directly; a buyer's block (``Bill to``,
``To``, ``Kunde``, ``Billing contact``...) is never taken for the vendor, nor is its name
where the header prints it again outside the block, and when the header holds no company-like
name the shortest legal-form line elsewhere (a footer imprint) is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from myloware.extraction import lexicon as lx
from myloware.extraction.layout import Line
from myloware.extraction.vendor_address import read_address
from myloware.extraction.vendor_name import (
    clean_name,
    is_name_candidate,
    name_anchor,
    name_block,
    name_text,
)
from myloware.normalize.dates import find_dates

HEADER_LINES = 18


@dataclass(frozen=True, slots=True)
class VendorBlock:
    """The lines of the vendor name and of the vendor address (either may be empty)."""

    name_lines: list[Line]
    name: str
    address_lines: list[Line]
    address: str
    confidence: float


_BUYER_LABEL_RE = re.compile(
    r"^\s*(?:TO|BUYER|CUSTOMER|CLIENT|KUNDE|EMPF[ÄA]NGER|RECHNUNGSEMPF[ÄA]NGER|NABYWCA|KLANT|"
    r"DESTINATAIRE|FACTUURADRES|AFLEVERADRES)\b\s*:?|"
    r"(?:BILL(?:ED)?|SHIP(?:PED)?|SOLD|INVOICE|DELIVER|LICEN[SC]ED)\s*TO\b|FACTUR[ÉE]\s*[ÀA]\b|"
    r"LIEFERADRESSE|BILLING\s*CONTACT\b",
    re.IGNORECASE,
)
_SELLER_LABEL_RE = re.compile(
    r"^\s*(?:SELLER|VENDOR|SUPPLIER|ISSUER|FROM|SPRZEDAWCA|VERK[ÄA]UFER|LIEFERANT|"
    r"FOURNISSEUR|VENDEUR|"
    r"LEVERANCIER|VERKOPER|PROVEEDOR)\s*:\s*",
    re.IGNORECASE,
)


def _buyer_lines(lines: list[Line]) -> set[int]:
    """Indices of lines that belong to the buyer: a ``Bill to``/``To``/``Kunde`` label opening
    a line, and the four lines after it."""
    taken: set[int] = set()
    for pos, line in enumerate(lines):
        cells = line.cells()
        # In a two-column layout ("Vendor Ltd<TAB>Bill to") the buyer is only the later column.
        if cells and _BUYER_LABEL_RE.search(cells[0][0]):
            taken.update(range(pos, min(pos + 5, len(lines))))
    return taken


_HOST_RE = re.compile(r"(?:@|https?://|www\.)([a-z0-9-]+(?:\.[a-z0-9-]+)+)", re.IGNORECASE)
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov"})


def _folded(name: str) -> str:
    """A name compared ignoring case, spacing and punctuation."""
    return re.sub(r"[\W_]+", "", name).casefold()


def _seller_anchor(lines: list[Line]) -> int | None:
    """The line holding the name after a ``Seller:``/``Sprzedawca:`` label, if any."""
    for pos, line in enumerate(lines):
        m = _SELLER_LABEL_RE.match(line.flat)
        if m is None:
            continue
        if lx.is_name_like(line.flat[m.end() :]):
            return pos
        if pos + 1 < len(lines) and lx.is_name_like(lines[pos + 1].flat):
            return pos + 1
    return None


def _legal_name_anywhere(lines: list[Line], skip: set[int], others: set[str]) -> int | None:
    """The shortest line with a legal form outside the buyer's block and not naming the buyer
    (footer imprints)."""
    found = [
        (len(name_text(line).split()), pos)
        for pos, line in enumerate(lines)
        if pos not in skip
        and not _names_one_of(line, others)
        and lx.LEGAL_FORM_RE.search(name_text(line))
        and lx.is_name_like(line.flat)
        and not lx.CONTACT_RE.search(line.flat)
        and not any(find_dates(line.flat))
    ]
    return min(found)[1] if found else None


def _names_one_of(line: Line, names: set[str]) -> bool:
    """True when a cell of ``line`` is one of ``names`` (folded): the buyer printed again, in
    another column or further down."""
    return any(_folded(cell) in names for cell, _, _ in line.cells())


def _domains(lines: list[Line]) -> set[str]:
    """The names of the web domains the document prints (``billing@teamgantt.com``,
    ``https://app.teamgantt.com/…`` → ``teamgantt``)."""
    found: set[str] = set()
    for line in lines:
        for m in _HOST_RE.finditer(line.flat):
            parts = m.group(1).lower().split(".")
            if len(parts) >= 3 and parts[-2] in _SECOND_LEVEL:
                parts = parts[:-1]
            if len(parts) >= 2 and len(parts[-2]) >= 4:
                found.add(parts[-2].replace("-", ""))
    return found


def _named_by_domain(lines: list[Line], skip: set[int], others: set[str]) -> int | None:
    """The first name-like line that spells the domain the document's e-mail addresses and
    links point to (``TeamGantt`` beside ``billing@teamgantt.com``): a sender without a legal
    form in its name is still named by its own web address."""
    domains = _domains(lines)
    for pos, line in enumerate(lines):
        text = name_text(line)
        if pos in skip or _names_one_of(line, others) or not is_name_candidate(text):
            continue
        if _folded(text) in domains:
            return pos
    return None


def _pick_anchor(lines: list[Line], buyer: set[int]) -> tuple[list[Line], int] | None:
    """The lines to read the vendor block from and the index of its name line."""
    seller = _seller_anchor(lines)
    if seller is not None:
        return lines, seller
    buyer_names = {_folded(_BUYER_LABEL_RE.sub("", lines[pos].flat, count=1)) for pos in buyer} - {
        ""
    }
    header = [
        line
        for pos, line in enumerate(lines[:HEADER_LINES])
        if pos not in buyer and not _names_one_of(line, buyer_names)
    ]
    anchor = name_anchor(header)
    strong = anchor is not None and (
        lx.LEGAL_FORM_RE.search(name_text(header[anchor]))
        or lx.BUSINESS_WORD_RE.search(name_text(header[anchor]))
    )
    if not strong and (named := _named_by_domain(lines, buyer, buyer_names)) is not None:
        return lines, named
    if not strong and buyer:
        elsewhere = _legal_name_anywhere(lines, buyer, buyer_names)
        if elsewhere is not None:
            return lines, elsewhere
    return (header, anchor) if anchor is not None else None


def find_vendor(lines: list[Line]) -> VendorBlock | None:
    """The vendor name and address from the first lines of the document, or None."""
    picked = _pick_anchor(lines, _buyer_lines(lines))
    if picked is None:
        return None
    header, anchor = picked
    name_lines = name_block(header, anchor)
    name = clean_name(" ".join(name_text(line) for line in name_lines))
    address_lines, address = read_address(header, header.index(name_lines[-1]))
    confidence = 0.6
    if lx.LEGAL_FORM_RE.search(name):
        confidence = 0.85
    elif lx.BUSINESS_WORD_RE.search(name):
        confidence = 0.75
    return VendorBlock(name_lines, name, address_lines, address, confidence)
