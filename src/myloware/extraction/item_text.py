"""Line items read from text alone: the header's word order names the columns.

A text layer without coordinates (``--input text``, a PDF's plain text) prints a table row as
words in reading order: ``TGA Obermonteur 43,20 3 Std 19 % 129,60``. The header row names the
columns in the same order (``Beschreibung Nettopreis Menge Steuersatz Nettobetrag``,
``Description Qty Unit price Amount``, ``Menge Produkt USt. Preis Gesamtbetrag`` … in every
language of the lexicon), so the row's numbers fill the header's number columns left to right:
the quantity is the number under ``Menge``, never the amount. Rules, none tied to a vendor:

* a tax rate (``19 %``, ``7%``) and a unit (``Stk``, ``kg``) are skipped; the amount is the
  row's last number; a leading position number (``1 Miettage``) is not a quantity;
* a row may wrap: a description over several lines before its numbers, or the amount alone on
  the next line; the row ends when the header's columns are filled;
* lines between rows that carry a label (``Bruttopreis: 43,20``, ``Art-Nr-Lieferant:``) or only
  codes (``4061234567891 (GTIN)``) are notes of the previous row, not the next description;
* the table ends at the totals (a line that starts with a total, net or tax label).

Quantity × unit price = amount raises the item's confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from myloware.extraction import labels
from myloware.extraction import lexicon as lx
from myloware.extraction.item_columns import column_of
from myloware.extraction.layout import Line
from myloware.extraction.line_items import Item

_NUMBER_COLUMNS = ("col_quantity", "col_unit_price", "col_amount")
_HEADER_RE = labels.label_re("col_description", *_NUMBER_COLUMNS)
_END_CONCEPTS = (
    "gross_total",
    "amount_due",
    "tax_amount",
    "net_total",
    "tax_summary",
    "allowances_charges",
    "payment_terms",
)
_END_RE = re.compile(
    rf"\s*(?:{labels.alternation(*_END_CONCEPTS)}|total)(?![^\W\d_])", re.IGNORECASE
)
_NUMBER_RE = re.compile(r"[-+]?(?:\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,]\d+)?")
_CURRENCY_RE = re.compile(r"^(?:€|\$|£|EUR|USD|GBP|CHF)$", re.IGNORECASE)
_POSITION_RE = re.compile(r"^\d{1,3}\s+(?=[^\W\d_])")
_NEW_POSITION_RE = re.compile(r"^\d{1,3}\s+[^\W\d_]{2,}")
_TOLERANCE = Decimal("0.05")


def header_columns(text: str) -> list[str] | None:
    """The columns a header line names, left to right (a description and two number columns
    at least), or None when ``text`` is not such a header."""
    if re.search(r"\d[.,]\d", text):
        return None  # a row with amounts, not a header
    columns: list[str] = []
    for m in _HEADER_RE.finditer(text):
        column = column_of(m.group(0))
        if column is not None and column not in columns:
            columns.append(column)
    numeric = [c for c in columns if c != "col_description"]
    if "col_description" not in columns or len(numeric) < 2:
        return None
    return columns


def _number(token: str, comma_decimal: bool) -> Decimal | None:
    """A printed number, by the row's decimal convention (``1.000`` is a thousand where the
    row writes decimals with a comma)."""
    compact = token.lstrip("+")
    if "," in compact and "." in compact:
        decimal_sep = "," if compact.rfind(",") > compact.rfind(".") else "."
    else:
        decimal_sep = "," if comma_decimal else "."
        other = "." if comma_decimal else ","
        if other in compact and not re.search(rf"\{other}\d{{3}}$", compact):
            decimal_sep = other  # ``0.5`` in a comma row is still a decimal point
    thousands = "." if decimal_sep == "," else ","
    try:
        return Decimal(compact.replace(thousands, "").replace(decimal_sep, "."))
    except InvalidOperation:
        return None


def _is_code(token: str) -> bool:
    """An identifier, not a quantity or price: ``000001``, ``4061234567891``."""
    digits = token.lstrip("-+")
    return digits.isdigit() and ((len(digits) > 1 and digits[0] == "0") or len(digits) > 7)


def _kind(tokens: list[str], k: int) -> str:
    """What ``tokens[k]`` is in a row: ``number``, ``rate``, ``skip`` (a currency, a ``%``) or
    ``text``."""
    token = tokens[k].rstrip("€$£")
    if not token or _CURRENCY_RE.match(token) or token == "%":
        return "skip"
    if token.endswith("%") and _NUMBER_RE.fullmatch(token[:-1]):
        return "rate"
    if _NUMBER_RE.fullmatch(token) and not _is_code(token):
        following = tokens[k + 1] if k + 1 < len(tokens) else ""
        return "rate" if following == "%" else "number"
    return "text"


def _is_note(tokens: list[str], text: str, after_note: bool) -> bool:
    """A line between rows that is not a description: a labelled value, only codes, or a
    code's bracketed kind on the line after it (``4061234567891`` / ``(GTIN)``)."""
    if ":" in text:
        return True
    if after_note and all(t.startswith("(") for t in tokens):
        return True
    return all(any(ch.isdigit() for ch in t) for t in tokens)


@dataclass
class _Row:
    """A row being read: its description words, its numbers, the lines it spans."""

    words: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


class _Reader:
    """Reads one table's rows, line by line, under the columns its header named."""

    def __init__(self, columns: list[str]) -> None:
        self.numeric = [c for c in columns if c != "col_description"]
        if "col_amount" not in self.numeric:
            self.numeric.append("col_amount")  # the amount is a row's last number
        self.before = columns.index("col_description")  # number columns left of it
        self.pending: list[tuple[list[str], Line]] = []
        self.row: _Row | None = None
        self.items: list[Item] = []

    def feed(self, line: Line) -> None:
        tokens = line.flat.split()
        if not tokens:
            return
        kinds = [_kind(tokens, k) for k in range(len(tokens))]
        count = kinds.count("number")
        if self.row is not None and ("text" not in kinds or len(self.row.numbers) == self.before):
            self._extend(self.row, tokens, kinds, line)
        elif count >= 2 or (count == 1 and self.before and kinds[0] == "number"):
            self.row = _Row(lines=[line])
            self._extend(self.row, tokens, kinds, line, start=True)
        else:
            self.row = None
            note = _is_note(tokens, line.flat, not self.pending)
            if note or _NEW_POSITION_RE.match(line.flat.strip()):
                self.pending = []  # a note ends a description; a numbered one starts anew
            if not note:
                self.pending.append((tokens, line))
            return
        if self.row is not None and len(self.row.numbers) >= len(self.numeric):
            self._emit(self.row)
            self.row = None

    def _extend(
        self, row: _Row, tokens: list[str], kinds: list[str], line: Line, start: bool = False
    ) -> None:
        if line not in row.lines:
            row.lines.append(line)
        for k, (token, kind) in enumerate(zip(tokens, kinds, strict=True)):
            if kind == "number":
                leading = start and k == 0 and not row.words and not self.before
                if leading and len(tokens) > 1 and kinds[1] == "text" and "," not in token:
                    continue  # a position number before the description
                if len(row.numbers) < len(self.numeric):
                    row.numbers.append(token)
            elif kind == "text" and len(row.numbers) == self.before:
                row.words.append(token)

    def _description(self, row: _Row) -> tuple[str, list[Line]]:
        own = " ".join(row.words)
        if lx.letters(own) >= 3 or not self.pending:
            return own, []
        wrapped = [w for tokens, _ in self.pending for w in tokens] + row.words
        return " ".join(wrapped), [line for _, line in self.pending]

    def _emit(self, row: _Row) -> None:
        description, extra = self._description(row)
        self.pending = []
        description = _POSITION_RE.sub("", description).strip(" :-")
        if lx.letters(description) < 2:
            return
        comma = any(re.search(r",\d{1,2}$|,\d{4,}$", t) for t in row.numbers)
        values = dict(zip(self.numeric, (_number(t, comma) for t in row.numbers), strict=False))
        amount = values.get("col_amount")
        if amount is None or not re.search(r"[.,]\d{2}$", row.numbers[-1]):
            return  # an amount is printed with its cents; ``62.000`` in a note is not one
        quantity, price = values.get("col_quantity"), values.get("col_unit_price")
        confidence = 0.8 if _fits(quantity, price, amount) else 0.55
        self.items.append(
            Item(description, quantity, price, amount, [*extra, *row.lines], confidence)
        )


def _fits(quantity: Decimal | None, price: Decimal | None, amount: Decimal) -> bool:
    if quantity is None or price is None:
        return False
    return abs(quantity * price - amount) <= _TOLERANCE


def find_text_items(lines: list[Line]) -> list[Item]:
    """The items of every line-item table found by its header, in order; empty without one."""
    reader: _Reader | None = None
    items: list[Item] = []
    for line in lines:
        columns = header_columns(line.flat)
        if columns is not None:
            if reader is not None:
                items.extend(reader.items)
            reader = _Reader(columns)  # a table's first header, or its header again on a page
            continue
        if reader is None:
            continue
        if _END_RE.match(line.flat):
            items.extend(reader.items)
            reader = None
            continue
        reader.feed(line)
    if reader is not None:
        items.extend(reader.items)
    return items
