"""The INVOICE record of a document that carries an e-invoice, checked against what it shows.

Every value comes from the e-invoice's structured data, exactly, with confidence 1.0; the
record's ``extractor`` names the syntax (``einvoice (Factur-X/ZUGFeRD CII, EN 16931)``) so
the Run Trace shows where the values came from. Where a value is also printed in the
document's text its span is recorded, so the trace highlights it and the Verifier finds it.

A PDF shows people one invoice and machines another when its visible text and its XML
disagree. The invoice number, date and total are looked for in the visible text; one that
is not there becomes a finding (``einvoice_mismatch``, with what the visible invoice says
where the rules extractor can read it) that SchemaGuard reports: a warning for the number
and the date, an error for the total, which sends the item to a person.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from myloware.documents.model import LoadedDocument
from myloware.einvoice import EInvoice
from myloware.extraction.invoice import extract_invoice
from myloware.extraction.language import detect_language
from myloware.extraction.layout import Line, document_lines, field_from, repaired_text
from myloware.normalize.amounts import format_amount
from myloware.normalize.dates import find_dates
from myloware.records import CanonicalRecord, DocumentType, FieldValue, Finding

EXTRACTOR_PREFIX = "einvoice"
MISMATCH = "einvoice_mismatch"
DOCUMENT_WARNING = "document_warning"
_TEXT_FIELDS = (
    "vendor_name", "vendor_address", "vendor_tax_id", "buyer_name", "buyer_address",
    "buyer_tax_id", "invoice_number", "po_number", "currency", "payment_terms", "iban", "bic",
)  # fmt: skip
_AMOUNT_FIELDS = ("subtotal", "tax_amount", "total_amount")
_DATE_FIELDS = ("invoice_date", "due_date")
_LOCATED = frozenset(
    {"vendor_name", "vendor_tax_id", "buyer_name", "buyer_tax_id", "invoice_number", "po_number"}
)
Locator = Callable[[str], re.Match[str] | None]
Severity = Literal["error", "warning"]


def einvoice_record(doc: LoadedDocument, invoice: EInvoice) -> CanonicalRecord:
    """The INVOICE record of ``invoice`` (carried by ``doc``), with its cross-check findings."""
    lines = document_lines(doc)
    fields: dict[str, FieldValue] = {}
    for name in _TEXT_FIELDS:
        value = getattr(invoice, name)
        if value:
            locate = _text_locator(value) if name in _LOCATED else None
            fields[name] = _field(value, value, lines, locate)
    for name in _DATE_FIELDS:
        value = getattr(invoice, name)
        if value:
            fields[name] = _field(value, value, lines, _date_locator(value))
    for name in _AMOUNT_FIELDS:
        amount = _decimal(getattr(invoice, name))
        if amount is not None:
            locator = _amount_locator(amount)
            last = name == "total_amount"  # totals are printed last
            fields[name] = _field(
                format_amount(amount), getattr(invoice, name), lines, locator, last
            )
    rate = _decimal(invoice.tax_rate)
    if rate is not None:
        fields["tax_rate"] = FieldValue(value=float(rate), confidence=1.0, raw=invoice.tax_rate)
    if invoice.line_items:
        fields["line_items"] = FieldValue(value=_line_items(invoice), confidence=1.0)
    return CanonicalRecord(
        document_type=DocumentType.INVOICE,
        fields=fields,
        extractor=f"{EXTRACTOR_PREFIX} ({invoice.label})",
        language=detect_language(repaired_text(lines)),
        findings=[*crosscheck(invoice, fields, lines), *document_findings(doc)],
    )


def document_findings(doc: LoadedDocument) -> list[Finding]:
    """The loader's warnings (an attached e-invoice it could not read, a PDF without text
    read from its e-invoice alone), so the reviewer knows what the record rests on."""
    return [Finding(code=DOCUMENT_WARNING, message=warning) for warning in doc.warnings]


def crosscheck(
    invoice: EInvoice, fields: dict[str, FieldValue], lines: list[Line]
) -> list[Finding]:
    """Findings for the invoice number, date and total that the visible text does not show.

    ``fields`` are the e-invoice's (a value located in the text has a span). What the rules
    extractor reads from the visible text is quoted beside the e-invoice's value.
    """
    checked: tuple[tuple[str, Severity], ...] = (
        ("invoice_number", "warning"),
        ("invoice_date", "warning"),
        ("total_amount", "error"),
    )
    missing = [
        (name, severity)
        for name, severity in checked
        if name in fields and fields[name].span is None
    ]
    if not missing or not lines:
        return []
    visible = extract_invoice(lines, repaired_text(lines))
    findings = []
    for name, severity in missing:
        ours = fields[name].value
        seen = visible.get(name)
        shows = (
            f"the visible invoice shows {seen.value}"
            if seen is not None and seen.value != ours
            else f"{ours} does not appear in the visible invoice"
        )
        label = name.replace("_", " ")
        message = f"{label}: the e-invoice says {ours}, but {shows}"
        findings.append(Finding(code=MISMATCH, field=name, message=message, severity=severity))
    return findings


def _field(
    value: Any, raw: str | None, lines: list[Line], locate: Locator | None, last: bool = False
) -> FieldValue:
    """``value`` with confidence 1.0 and, where ``locate`` finds it in a line, its span."""
    if locate is not None:
        for line in reversed(lines) if last else lines:
            found = locate(line.text)
            if found is not None:
                return field_from(value, 1.0, line, found.start(), found.end())
    return FieldValue(value=value, confidence=1.0, raw=raw)


def _text_locator(value: str) -> Locator:
    """The value as a whole token run, case and spacing aside (``RE-2014/502``)."""
    words = [re.escape(word) for word in value.split()]
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)
    return pattern.search


def _amount_locator(amount: Decimal) -> Locator:
    """The amount as printed: any thousands separator, decimal point or comma, and fewer
    decimals where they are zeros (``1.234,50``, ``1,234.5``, ``300``); sign ignored."""
    integer, cents = f"{abs(amount):.2f}".split(".")
    groups = [integer[max(0, i - 3) : i] for i in range(len(integer), 0, -3)][::-1]
    whole = r"[.,'\u00a0\u202f ]?".join(groups)
    if cents == "00":
        decimals = r"(?:[.,]00?)?"
    elif cents.endswith("0"):
        decimals = rf"[.,]{cents[0]}0?"
    else:
        decimals = rf"[.,]{cents}"
    return re.compile(rf"(?<![\d.,]){whole}{decimals}(?![\d%]|[.,]\d)").search


def _date_locator(iso: str) -> Locator:
    """The date in any form :func:`find_dates` reads; an all-digit date is read month-first
    too (``11/03/2017`` is 3 November in an English invoice)."""
    wanted = date.fromisoformat(iso)

    def locate(text: str) -> re.Match[str] | None:
        for found in find_dates(text):
            value = found.value
            swapped = found.numeric and value.day <= 12 and _swap(value) == wanted
            if value == wanted or swapped:
                return re.compile(re.escape(found.raw)).search(text, found.start)
        return None

    return locate


def _swap(value: date) -> date | None:
    try:
        return value.replace(month=value.day, day=value.month)
    except ValueError:
        return None


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _line_items(invoice: EInvoice) -> list[dict[str, Any]]:
    """The line items; lines of no quantity and no amount (section headings and notes, as
    some invoicing software writes them) are left out."""
    items = []
    for item in invoice.line_items:
        quantity, price, amount, rate = (
            _decimal(v) for v in (item.quantity, item.unit_price, item.amount, item.tax_rate)
        )
        if not quantity and not amount:
            continue
        items.append(
            {
                "description": item.description,
                "quantity": float(quantity) if quantity is not None else None,
                "unit_price": format_amount(price) if price is not None else None,
                "amount": format_amount(amount) if amount is not None else None,
                "tax_rate": float(rate) if rate is not None else None,
            }
        )
    return items
