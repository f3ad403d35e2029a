"""Line items: the rows between the table header and the totals.

A row is a description with one to three amounts at its right end (``[unit price]
[discount] amount``) and perhaps a quantity (``2``, ``1 PC``, ``3 x``). Receipts often print
the description on one line and the numbers on the next; such a pair becomes one item.
Quantity × unit price = amount raises the item's confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from myloware.extraction import lexicon as lx
from myloware.extraction.layout import Line
from myloware.extraction.money import find_money

_STOP_RE = re.compile(
    r"(?<![A-Za-z])(?:SUB\s*-?\s*TOTAL|TOTAL|TOTAAL|SUMME|GESAMT\w*|ZWISCHENSUMME|"
    r"RAZEM|MONTANT\s*HT|"
    r"ROUNDING|GST\s*SUMMARY|AMOUNT\s*DUE|BALANCE|NET\s*AMOUNT|NETTOBETRAG|ZZGL\.?|USt\.?|MWST\.?|"
    r"TVA|BTW|VAT|SUBTOTAAL|INVOICE\s*TOTAL)(?![A-Za-z])",
    re.IGNORECASE,
)
_QTY_RE = re.compile(
    r"(?:^|\s)(\d{1,4}(?:[.,]\d{1,3})?)\s*(?:X|PC|PCS|EA|UNITS?|NOS?|KG|L|@|\*)?(?=\s|$)", re.I
)
_BARCODE_RE = re.compile(r"^\d{5,}\s*")


@dataclass(frozen=True, slots=True)
class Item:
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    lines: list[Line]
    confidence: float


def _zone(lines: list[Line]) -> list[Line]:
    start = 0
    for pos, line in enumerate(lines):
        if len(lx.TABLE_HEADER_RE.findall(line.flat)) >= 2:
            start = pos + 1
            break
    zone: list[Line] = []
    for line in lines[start:]:
        if _STOP_RE.search(line.flat):
            break
        zone.append(line)
    return zone if start > 0 else []


def _quantity(text: str, unit_price: Decimal | None, amount: Decimal) -> Decimal | None:
    for m in _QTY_RE.finditer(text):
        qty = Decimal(m.group(1).replace(",", "."))
        if qty <= 0 or qty > 9999:
            continue
        if unit_price is None or abs(qty * unit_price - amount) <= Decimal("0.05"):
            return qty
    if unit_price:
        ratio = amount / unit_price
        if ratio == ratio.to_integral_value() and 0 < ratio < 1000:
            return ratio
    return None


def _description(text: str) -> str:
    money = find_money(text)
    cut = money[0].start if money else len(text)
    head = _BARCODE_RE.sub("", text[:cut]).strip(" \t*:-")
    head = re.sub(r"\s+\d{1,4}(?:\s*(?:X|PC|PCS|EA|UNITS?))?\s*$", "", head, flags=re.I)
    return " ".join(head.split())


def find_line_items(lines: list[Line]) -> list[Item]:
    """The items of the invoice's table, in order; empty when no table is found."""
    items: list[Item] = []
    pending: list[Line] = []
    for line in _zone(lines):
        text = line.flat
        money = [m for m in find_money(text) if m.decimals]
        if not money:
            if lx.letters(text) >= 3:
                pending = [*pending[-1:], line]
            continue
        amount = money[-1].value
        unit_price = money[0].value if len(money) >= 2 else None
        description = _description(text)
        used = [line]
        if lx.letters(description) < 3 and pending:
            description = " ".join(_description(p.flat) for p in pending)
            used = [*pending, line]
        pending = []
        if lx.letters(description) < 2:
            continue
        qty = _quantity(text[: money[0].start], unit_price, amount)
        position = re.match(r"(\d{1,3})\s+(?=[^\W\d])", description)
        if position is not None and (qty is None or Decimal(position.group(1)) != qty):
            description = description[position.end() :]
        consistent = (
            qty is not None
            and unit_price is not None
            and abs(qty * unit_price - amount) <= Decimal("0.05")
        )
        items.append(Item(description, qty, unit_price, amount, used, 0.75 if consistent else 0.55))
    return items
