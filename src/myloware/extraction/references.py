"""Labelled references of an invoice: dates, invoice number, tax id, PO number, terms.

Each value is found next to its label (same line, right of it, or alone on the next line),
with labels in English, German, French, Dutch, Spanish, Italian and Malay receipts' English
(the purchase-order and payment-terms labels from :mod:`myloware.extraction.labels`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from myloware.extraction import labels
from myloware.extraction import lexicon as lx
from myloware.extraction.layout import Line
from myloware.extraction.money import find_money
from myloware.normalize.dates import DateMatch, find_dates

_CLOCK_AFTER_RE = re.compile(r"\s*,?\s*(?:um\s+|at\s+|à\s+)?\d{1,2}:\d{2}(?!\d)", re.IGNORECASE)
_DISCOUNT_RE = labels.label_re("cash_discount")
_DUE_RE = re.compile(
    rf"{labels.alternation('due_date')}|DUE|F[ÄA]LLIG|ZAHLBAR\s*BIS|[ÉE]CH[ÉE]ANCE|VERVAL|VENCIMIENTO|PAY\s*BY|EXPIR|VALID\s*UNTIL",
    re.IGNORECASE,
)
_ISSUE_RE = re.compile(
    r"DATUM|DATE|FECHA|DATA|TARIKH|ISSUED",
    re.IGNORECASE,
)
_INVOICE_DATE_RE = re.compile(
    rf"{labels.alternation('invoice_date')}|INVOICE\s*DATE|DATE\s*(?:OF\s*)?ISSUED?|ISSUED?\s*(?:ON|DATE)|RECHNUNGSDATUM|FACTUURDATUM|"
    r"DATE\s*DE\s*(?:LA\s*)?FACTURE|FECHA\s*DE\s*(?:EMISI[ÓO]N|FACTURA)|DATA\s*WYSTAWIENIA|"
    r"BILL\s*DATE",
    re.IGNORECASE,
)
_OTHER_DATE_RE = re.compile(
    rf"{labels.alternation('other_date')}|PERIOD|FROM|UNTIL|CHECK|DELIVERY|LIEFER|ORDER|SHIP|PRINT|SALE|BIRTH|VALID|PAID|EXPIRY|"
    r"ZEITRAUM|BILLING|LEISTUNG",
    re.IGNORECASE,
)
_NUMBER_LABEL_RE = re.compile(
    rf"(?<![^\W\d_])(?:{labels.alternation('invoice_number')})(?![^\W\d_])|(?:TAX\s*)?INVOICE\s*(?:NO\.?|NUMBER|NUM|#|N[°O]\.?)|INV\s*(?:NO\.?|#)|"
    r"RECEIPT\s*(?:NO\.?|NUMBER|#)|BILL\s*(?:NO\.?|#)|DOC(?:UMENT)?\.?\s*(?:NO\.?|#)|"
    r"RECHNUNGS?\s*-?\s*(?:NR\.?|NUMMER)|FACTURE\s*N[°O]?\.?|FACTUUR\s*(?:NR\.?|NUMMER)|"
    r"FACTUURNUMMER|N[ÚU]MERO\s*DE\s*FACTURA|FAKTURA\s*(?:NR\.?|VAT\s*NR\.?)|INVOICE\s*NO\b|"
    r"TRANS(?:ACTION)?\s*(?:NO\.?|#)|CB#|SLIP\s*NO\.?|CHECK\s*(?:NO\.?|#)|ORDER\s*#|"
    r"^(?:TAX\s*|VAT\s*)?INVOICE(?=\s+[A-Z0-9#])|"
    r"(?:^|(?<=\t))(?:INVOICE|FACTUUR|RECHNUNG|FACTURE|FACTURA)(?=\t|$)",  # a column header
    re.IGNORECASE,
)
_TAX_ID_LABEL_RE = re.compile(
    r"(?<![A-Za-z])(?:"
    r"(?:GST|SST|VAT|TVA|BTW|UST|MWST)[\s.-]*(?:REG(?:ISTRATION)?|IDENT\s*-?\s*NR\.?|ID|NO|NUMBER|NUMMER|NR|#|IDNR)"
    r"[\s.:#-]*(?:NO\.?|NR\.?)?|USt-?IdNr\.?|STEUERNUMMER|STEUER-?NR\.?|TAX\s*(?:ID|NO\.?)|"
    r"NIP|GSTIN|SIRET|SIREN|ABN|EIN|CIF|NIF|GST(?=\s*[:#]?\s*\d)|"
    r"(?:VAT|TVA|BTW|IVA|UST|MWST|P\.?\s?IVA|PARTITA\s*IVA)(?=\s*:?\s*[A-Z]{2}\s?\d))(?![A-Za-z])",
    re.IGNORECASE,
)
_VAT_ID_RE = re.compile(r"[A-Z]{2}[0-9A-Z]{8,13}")
_BUYER_RE = re.compile(r"IHRE|YOUR|UW\b|VOTRE|CUSTOMER|KUNDE|BUYER|BILL\s*TO|NABYWCA", re.I)
# the label, then perhaps one qualifying word before a colon ("Bestellung Nr. Kunde: 4711",
# "Bestell-Nr.: Referenz: 4711")
_PO_LABEL_RE = re.compile(
    rf"{labels.label_re('po_number').pattern}(?:\s*:?\s*[^\W\d_]{{2,12}}\s*(?=:))?", re.I
)
_TERMS_LABEL_RE = labels.label_re("payment_terms")
# a line that opens with any label of the lexicon starts something new ("Total 100.00")
_ANY_LABEL_RE = re.compile(
    rf"\s*(?:{labels.alternation(*labels.LABELS)})(?![^\W\d_])", re.IGNORECASE
)
# "Fecha de pedido", "Bestelldatum": a date, not the order's number
_NOT_PO_RE = labels.label_re("other_date", "invoice_date", "due_date")
_COLUMN_RE = labels.label_re("col_description", "col_quantity", "col_unit_price", "col_amount")
_MAX_TERMS_LINES = 12
_CODE_RE = re.compile(r"[:#.\s]*([A-Z0-9][A-Z0-9/_\-.]*[A-Z0-9]|\d)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Found:
    """A value and where it is: ``line.text[start:end]``."""

    value: str
    line: Line
    start: int
    end: int
    confidence: float


@dataclass(frozen=True, slots=True)
class FoundDate:
    value: date
    line: Line
    match: DateMatch
    confidence: float


def _label_before(lines: list[Line], pos: int, start: int) -> str:
    """The text that labels a value at ``lines[pos].text[start:]``: left of it in its cell, the
    cell above it in a column layout, the cell or text left of it, or the end of the line above."""
    line = lines[pos]
    cells = line.cells()
    column = next((k for k, (_, s, e) in enumerate(cells) if s <= start < e), None)
    if column is not None and line.text[cells[column][1] : start].strip(" :\t-"):
        return line.text[cells[column][1] : start][-40:]
    above = lines[pos - 1].cells() if pos > 0 else []
    if column is not None and len(cells) > 1 and len(above) == len(cells):
        return above[column][0][-40:]
    left = line.flat[:start]
    if left.strip(" :\t-") or pos == 0:
        return left[-40:]
    return lines[pos - 1].flat[-40:]


def _cell_below(lines: list[Line], pos: int, label_end: int) -> tuple[Line, int, int] | None:
    """In a column layout, the cell under the label cell that ends at ``label_end``."""
    if pos + 1 >= len(lines):
        return None
    cells, below = lines[pos].cells(), lines[pos + 1].cells()
    if len(cells) < 2 or len(below) != len(cells):
        return None
    column = next((k for k, (_, s, e) in enumerate(cells) if s < label_end <= e), None)
    if column is None or lines[pos].text[label_end : cells[column][2]].strip(" :#"):
        return None
    _, start, end = below[column]
    return lines[pos + 1], start, end


def find_dates_labelled(lines: list[Line]) -> tuple[FoundDate | None, FoundDate | None]:
    """The issue date and the due date of the document (either may be None)."""
    issue: list[tuple[float, int, FoundDate]] = []
    dues: list[tuple[bool, FoundDate]] = []
    for pos, line in enumerate(lines):
        for m in find_dates(line.flat):
            if not 1990 <= m.value.year <= 2099:
                continue
            label = _label_before(lines, pos, m.start)
            if _DUE_RE.search(label):
                dues.append(
                    (_is_discount_deadline(line.flat, m), FoundDate(m.value, line, m, 0.85))
                )
                continue
            score = 0.45 if m.compact else 0.6  # eight bare digits may be a code
            if _CLOCK_AFTER_RE.match(line.flat, m.end):
                score = 0.5  # a timestamp (a page's print time) yields to a date alone
            if _INVOICE_DATE_RE.search(label):
                score = 0.95
            elif _OTHER_DATE_RE.search(label):
                score = 0.35
            elif _ISSUE_RE.search(label):
                score = 0.85
            issue.append((score, -pos, FoundDate(m.value, line, m, score)))
    best = max(issue, key=lambda t: (t[0], t[1]))[2] if issue else None
    due = min(dues, key=lambda t: t[0])[1] if dues else None  # the first, discounts last
    return best, due


def _is_discount_deadline(text: str, m: DateMatch) -> bool:
    """A date followed (before the next date) by a cash discount (``Bis zum 14.02.2025
    erhalten Sie 2 % Skonto``): the discount's deadline, not when the invoice is due."""
    after = text[m.end :]
    later = [d.start for d in find_dates(after)]
    return _DISCOUNT_RE.search(after[: later[0]] if later else after) is not None


def _code_after(lines: list[Line], pos: int, end: int) -> tuple[Line, int, int] | None:
    """The first code-like token (has a digit) right of ``end`` on line ``pos`` or on the next
    (past a line that is only an e-mail or web address, as under a letterhead's title)."""
    places = [(lines[pos], end)] + [(line, 0) for line in lines[pos + 1 : pos + 3]]
    for k, (line, offset) in enumerate(places):
        m = _CODE_RE.match(line.flat, offset)
        rest = line.flat[offset:].strip()
        if m is not None and any(ch.isdigit() for ch in m.group(1)):
            if not _in_address(line.flat, m.start(1), m.end(1)):
                return line, m.start(1), m.end(1)
            if k == 0 or len(rest.split()) > 1:
                return None
        elif rest:
            return None
        if k == 1 and not rest:
            return None  # a blank line: two lines down is no longer "after" the label
    return None


def _in_address(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is part of an e-mail address or a web address."""
    token = next((t[0] for t in re.finditer(r"\S+", text) if t.start() <= start < t.end()), "")
    return "@" in token or "://" in token or token.lower().startswith("www.")


def find_labelled_code(
    lines: list[Line], label: re.Pattern[str], *, skip: re.Pattern[str] | None = None
) -> Found | None:
    """The first code-like value that follows ``label`` (e.g. an invoice number)."""
    for pos, line in enumerate(lines):
        for m in label.finditer(line.text):
            if skip is not None and skip.search(line.flat[: m.end()]):
                continue
            same_line = line.flat[m.end() :].strip(" :#\t")
            finders = (_code_after, _cell_below) if same_line else (_cell_below, _code_after)
            for finder in finders:
                hit = finder(lines, pos, m.end())
                if hit is not None and any(ch.isdigit() for ch in hit[0].flat[hit[1] : hit[2]]):
                    where, start, end = hit
                    return Found(where.flat[start:end], where, start, end, 0.8)
    return None


def find_invoice_number(lines: list[Line]) -> Found | None:
    return find_labelled_code(lines, _NUMBER_LABEL_RE)


def find_tax_id(lines: list[Line], *, skip_lines: frozenset[int] = frozenset()) -> Found | None:
    """The vendor's tax/registration id: a VAT id (``DE123456789``) before other tax numbers;
    a customer's (``Ihre USt-IdNr``, lines of the buyer's block) is skipped."""
    first: Found | None = None
    for pos, line in enumerate(lines):
        if pos in skip_lines or not _TAX_ID_LABEL_RE.search(line.text):
            continue
        found = find_labelled_code(lines[pos : pos + 2], _TAX_ID_LABEL_RE, skip=_BUYER_RE)
        if found is None or found.line.index in skip_lines:
            continue
        if looks_like_vat_id(found.value.replace(" ", "")):
            return found
        first = first or found
    return first


def looks_like_vat_id(code: str) -> bool:
    """A two-letter prefix and 8 to 13 letters or digits (``DE1234567890``), whatever the
    country's own shape."""
    return _VAT_ID_RE.fullmatch(code) is not None


def find_po_number(lines: list[Line]) -> Found | None:
    """The buyer's order number after a purchase-order label (``PO #``, ``Bestellnummer``,
    ``Bon de commande``, ``Inkoopordernummer``, ``Pedido``, ``Ordine``...)."""
    return find_labelled_code(lines, _PO_LABEL_RE, skip=_NOT_PO_RE)


def _wraps_on(line: str) -> bool:
    """True when ``line``'s sentence goes on below: it ends in a comma, or is long and ends
    in a lower-case word (``… Bis zum``; a line ending in a date or a period is complete)."""
    text = line.rstrip()
    return bool(text) and (text[-1] == "," or (len(text) >= 45 and text[-1].islower()))


def _continued(lines: list[Line], pos: int, first: str) -> str:
    """``first`` (from line ``pos``) with the lines that continue its wrapped sentence."""
    parts, last = [first], lines[pos].flat
    for line in lines[pos + 1 : pos + 4]:
        text = line.flat.strip()
        if not _wraps_on(last) or not text or _ANY_LABEL_RE.match(text):
            break
        parts.append(text)
        last = line.flat
    return " ".join(part.strip() for part in parts)


def find_payment_terms(lines: list[Line]) -> Found | None:
    """Payment terms text right of the label or under it (``Net 30``, ``15 Days``), a
    sentence wrapped over lines joined; a table's header row under the label is skipped."""
    for pos, line in enumerate(lines):
        m = _TERMS_LABEL_RE.search(line.flat)
        if m is None:
            continue
        rest = line.flat[m.end() :]
        value = rest.strip(" :\t-")
        if value and not _only_dates(value):
            start = m.end() + (len(rest) - len(rest.lstrip(" :\t-")))
            return Found(_continued(lines, pos, value), line, start, start + len(value), 0.7)
        below = pos + 1
        if below < len(lines) and _is_column_header(lines[below].flat):
            below += 1
        if below < len(lines) and lines[below].flat.strip() and not _only_dates(lines[below].flat):
            nxt = lines[below]
            return Found(_terms_below(lines, below), nxt, 0, len(nxt.flat), 0.5)
    return None


def _ends_term(text: str, term: list[str]) -> str | None:
    """``text`` without the due date that closes a term row (a trailing date the term already
    stated: ``Bis zum 29.10.2026 ohne Abzug 29.10.2026``), or None when it has none."""
    dates = list(find_dates(text))
    if not dates or text[dates[-1].end :].strip():
        return None
    last = dates[-1]
    earlier = [d.value for part in [*term, text[: last.start]] for d in find_dates(part)]
    return text[: last.start].rstrip() if last.value in earlier else None


def _starts_like(text: str, first: str) -> bool:
    """A line that opens with the same two words as the term's first line: a parallel row
    (``Bis zum 20.04.… Skonto`` / ``Bis zum 30.04.… ohne Abzug``)."""
    head = text.split()[:2]
    return len(head) == 2 and head == first.split()[:2]


def _terms_below(lines: list[Line], pos: int) -> str:
    """The terms printed under their heading, from line ``pos``: a paragraph wrapped over
    lines, or a table of terms, one per row, joined by ``; ``. A row ends at its due-date
    column, at a short line without a full stop, or where a parallel row starts; the terms
    end at a heading (``Zahlungsart``, ``Zu- und Abschläge``), a table header or a line of
    dates, unless the line above wraps into it (``… innerhalb 10 Tagen nach`` /
    ``Rechnungsdatum``)."""
    terms: list[list[str]] = []
    term: list[str] = []
    previous = ""
    for line in lines[pos : pos + _MAX_TERMS_LINES]:
        text = line.flat.strip()
        wrapped = bool(term) and _wraps_on(previous)
        if line.page != lines[pos].page or (not wrapped and _is_heading(text)):
            break
        if term and _starts_like(text, term[0]):
            terms.append(term)
            term = []
        closed = _ends_term(text, term)
        term.append(closed if closed is not None else text)
        previous = text
        if closed is not None or (len(text) < 45 and not text.endswith((".", ","))):
            terms.append(term)
            term = []
            if closed is None:
                break
    if term:
        terms.append(term)
    return "; ".join(" ".join(t) for t in terms if t)


def _is_heading(text: str) -> bool:
    """A line that starts the next section: a heading (``Zahlungsart``, ``Zu- und
    Abschläge``), a labelled value (``IBAN: …``, ``Total 100.00``), a table header or a line
    of dates."""
    label = _ANY_LABEL_RE.match(text)
    return (
        text.endswith(":")
        or len(text.split()) == 1
        or (label is not None and _labelled_value(text[label.end() :]))
        or _is_table_header(text)
        or _only_dates(text)
    )


def _labelled_value(rest: str) -> bool:
    """What follows a label at a line's start makes it a labelled value, not prose: nothing,
    a colon, or only an amount (``Gesamtbetrag 119,00 EUR``)."""
    rest = rest.strip()
    if not rest or rest.startswith(":"):
        return True
    money = find_money(rest)
    return len(money) == 1 and lx.letters(rest[: money[0].start] + rest[money[0].end :]) <= 3


def _is_table_header(text: str) -> bool:
    """A table's header row: column labels without digits, two of them or in a row of
    capitalised words (``Abschläge Bezug Basisbetrag Betrag``), not a sentence that names
    a ``Leistung``."""
    if not _is_column_header(text):
        return False
    words = [w for w in text.split() if w[:1].isalpha()]
    return len(_COLUMN_RE.findall(text)) >= 2 or all(w[0].isupper() for w in words)


def _only_dates(text: str) -> bool:
    """True for a line of nothing but dates (a due date under ``Zahlungsziel``: not terms)."""
    rest = text
    for found in find_dates(text):
        rest = rest.replace(found.raw, " ")
    return not rest.strip(" ,;:-\t")


def _is_column_header(text: str) -> bool:
    return lx.digits(text) == 0 and _COLUMN_RE.search(text) is not None
