"""Line items read by column: the table header row names the columns, rows fill them.

With a layout (PDF text coordinates or OCR boxes) a table row is one line of cells, left to
right. The header row's cells are matched against the column labels of every language
(``Description | Qty | Unit price | Amount``, ``Beschreibung | Menge | Einzelpreis | Betrag``,
``Désignation | Quantité | Prix unitaire | Montant``...), and each row's cells are read under
those columns: the quantity is the number under ``Qty``, never the amount. A row with extra
cells (a tax note) keeps the columns left of the extra cell and takes its amount from its last
money cell. Section subtotals between rows are skipped; the table ends at the totals.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from myloware.extraction import labels
from myloware.extraction import lexicon as lx
from myloware.extraction.layout import Line
from myloware.extraction.line_items import Item
from myloware.extraction.money import find_money
from myloware.normalize.amounts import decimal_point_form

_COLUMNS = ("col_quantity", "col_unit_price", "col_amount", "col_description")
_QUANTITY_RE = re.compile(r"^\s*(-?\d{1,6}(?:[.,]\d{1,4})?)(?![\d.,])")
_SUBTOTAL_RE = re.compile(
    rf"(?<![^\W\d_])(?:{labels.alternation('net_total')})(?![^\W\d_])", re.IGNORECASE
)
_END_RE = re.compile(
    rf"(?<![^\W\d_])(?:{labels.alternation('gross_total', 'amount_due', 'tax_amount')}|total)"
    r"(?![^\W\d_])",
    re.IGNORECASE,
)
_MAX_GAP = 3


def column_of(cell: str) -> str | None:
    """The line-item column a header cell names (``Menge`` → ``col_quantity``), or None."""
    for column in _COLUMNS:
        if labels.whole_label_re(column).fullmatch(cell):
            return column
    return None


def _header(lines: list[Line]) -> tuple[int, dict[int, str]] | None:
    """The header row's index and its columns by cell index (description and an amount)."""
    for pos, line in enumerate(lines):
        cells = [text for text, _, _ in line.cells()]
        if len(cells) < 3 or find_money(line.flat):
            continue
        columns = {k: c for k, cell in enumerate(cells) if (c := column_of(cell)) is not None}
        roles = set(columns.values())
        if "col_description" in roles and roles & {"col_amount", "col_unit_price"}:
            return pos, columns
    return None


def _amount(cell: str) -> Decimal | None:
    money = find_money(cell)
    return money[-1].value if money else None


def _quantity(cell: str) -> Decimal | None:
    m = _QUANTITY_RE.match(cell)
    if m is None:
        return None
    try:
        return Decimal(decimal_point_form(m.group(1)))
    except InvalidOperation:
        return None


def _row(line: Line, columns: dict[int, str], width: int) -> Item | None:
    cells = [text for text, _, _ in line.cells()]
    money_cells = [k for k, cell in enumerate(cells) if find_money(cell)]
    if len(cells) < 2 or not money_cells:
        return None
    by_role: dict[str, str] = {}
    for k, role in columns.items():
        if k < len(cells) and (len(cells) == width or k < width - 1):
            by_role[role] = cells[k]
    description = by_role.get("col_description", cells[0])
    if lx.letters(description) < 2 or find_money(description):
        return None
    amount = _amount(cells[money_cells[-1]])
    if "col_amount" in by_role and len(cells) == width:
        amount = _amount(by_role["col_amount"]) or amount
    if amount is None:
        return None
    unit_price = _amount(by_role.get("col_unit_price", ""))
    quantity = _quantity(by_role.get("col_quantity", ""))
    consistent = (
        quantity is not None
        and unit_price is not None
        and abs(quantity * unit_price - amount) <= Decimal("0.05")
    )
    return Item(description, quantity, unit_price, amount, [line], 0.85 if consistent else 0.7)


def find_column_items(lines: list[Line]) -> list[Item]:
    """The rows of the line-item table read under its header's columns; empty without one."""
    found = _header(lines)
    if found is None:
        return []
    start, columns = found
    width = len(lines[start].cells())
    items: list[Item] = []
    gap = 0
    for line in lines[start + 1 :]:
        text = line.flat
        if _SUBTOTAL_RE.search(text) and len(line.cells()) <= 2:
            continue  # a section's subtotal: more rows may follow
        if _END_RE.search(text) and len(line.cells()) < width:
            break
        item = _row(line, columns, width)
        if item is None:
            gap += 1
            if gap > _MAX_GAP or (line.page != lines[start].page and not items):
                break
            continue
        gap = 0
        items.append(item)
    return items
