"""Vendor name and address from the header of an invoice or receipt.

The vendor's block sits at the top: a name, perhaps a registration number, the postal
address, then contact, tax and document lines (:mod:`vendor_name`, :mod:`vendor_address`).
A ``Seller:``/``Sprzedawca:`` label names the vendor directly; a buyer's block (``Bill to``,
``To``, ``Kunde``...) is never taken for the vendor, and when the header holds no company-like
name the shortest legal-form line elsewhere (a footer imprint) is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from myloware.extraction import lexicon as lx
from myloware.extraction.layout import Line
from myloware.extraction.vendor_address import read_address
from myloware.extraction.vendor_name import clean_name, name_anchor, name_block, name_text
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
    r"(?:BILL(?:ED)?|SHIP(?:PED)?|SOLD|INVOICE|DELIVER)\s*TO\b|FACTUR[ÉE]\s*[ÀA]\b|LIEFERADRESSE",
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


def _legal_name_anywhere(lines: list[Line], skip: set[int]) -> int | None:
    """The shortest line with a legal form outside the buyer's block (footer imprints)."""
    found = [
        (len(name_text(line).split()), pos)
        for pos, line in enumerate(lines)
        if pos not in skip
        and lx.LEGAL_FORM_RE.search(name_text(line))
        and lx.is_name_like(line.flat)
        and not lx.CONTACT_RE.search(line.flat)
        and not any(find_dates(line.flat))
    ]
    return min(found)[1] if found else None


def _pick_anchor(lines: list[Line], buyer: set[int]) -> tuple[list[Line], int] | None:
    """The lines to read the vendor block from and the index of its name line."""
    seller = _seller_anchor(lines)
    if seller is not None:
        return lines, seller
    header = [line for pos, line in enumerate(lines[:HEADER_LINES]) if pos not in buyer]
    anchor = name_anchor(header)
    strong = anchor is not None and (
        lx.LEGAL_FORM_RE.search(name_text(header[anchor]))
        or lx.BUSINESS_WORD_RE.search(name_text(header[anchor]))
    )
    if not strong and buyer:
        elsewhere = _legal_name_anywhere(lines, buyer)
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
