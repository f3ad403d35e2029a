"""INVOICE fields (receipts are invoices) from a document's lines.

Values are emitted in canonical form (ISO dates, two-place amount strings, ISO 4217 codes,
``tax_rate`` in percent) with ``raw`` holding the source text, so restyling is a no-op.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import partial

from myloware.extraction import header, labels, references, totals
from myloware.extraction.buyer import bank_fields, buyer_fields
from myloware.extraction.item_columns import find_column_items
from myloware.extraction.item_text import find_text_items
from myloware.extraction.layout import Line, field_from, field_from_lines
from myloware.extraction.line_items import find_line_items
from myloware.extraction.money import find_money
from myloware.extraction.parties import Parties, find_parties
from myloware.extraction.stacked import unstack
from myloware.extraction.title import find_title_reference
from myloware.extraction.vendor_address import read_address
from myloware.extraction.vendor_name import clean_name
from myloware.normalize.amounts import format_amount
from myloware.normalize.currency import find_currency, to_currency_code
from myloware.normalize.dates import in_order, month_first
from myloware.records import FieldValue

# A bare "$" is US dollars unless the document names another dollar (or is Malaysian, where
# receipts print "$" for ringgit next to "RM").
_DOLLAR_CONTEXT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![A-Za-z])(?:RM|MYR|MALAYSIA|SDN\.?\s*BHD)(?![A-Za-z])", re.I), "MYR"),
    (re.compile(r"S\$|\bSGD\b"), "SGD"),
    (re.compile(r"A\$|\bAUD\b"), "AUD"),
    (re.compile(r"C\$|CA\$|\bCAD\b"), "CAD"),
    (re.compile(r"HK\$|\bHKD\b"), "HKD"),
)


def dollar_code(text: str) -> str:
    """Which dollar a bare ``$`` means in this document (by country and currency cues)."""
    for pattern, code in _DOLLAR_CONTEXT:
        if pattern.search(text):
            return code
    return "USD"


_CURRENCY_LABEL_RE = re.compile(
    rf"(?:{labels.alternation('currency')})\s*:?\s*(?P<code>[A-Z]{{3}})(?![A-Za-z])", re.I
)


def _labelled_currency(lines: list[Line]) -> FieldValue | None:
    """A currency stated by label (``Währung: EUR``, ``Currency: USD``)."""
    for line in lines:
        m = _CURRENCY_LABEL_RE.search(line.flat)
        if m is not None and (code := to_currency_code(m.group("code"))) is not None:
            return field_from(code, 0.9, line, m.start("code"), m.end("code"))
    return None


def _currency(lines: list[Line], text: str, found: totals.Totals) -> FieldValue | None:
    """The invoice currency: the total's sign or code, else the most used one, else a mention
    of a currency anywhere, else the dollar of the document's country (Malaysia: MYR)."""
    dollar = dollar_code(text)
    labelled = _labelled_currency(lines)
    if labelled is not None:
        return labelled

    def resolve(code: str) -> str:
        return dollar if code == "USD" and "USD" not in text else code

    total = found.total
    if total is not None and total.money.currency:
        return field_from(
            resolve(total.money.currency), 0.85, total.line, total.money.start, total.money.end
        )
    seen: dict[str, tuple[Line, int, int]] = {}
    codes: Counter[str] = Counter()
    for line in lines:
        for m in find_money(line.flat):
            if m.currency:
                codes[m.currency] += 1
                seen.setdefault(m.currency, (line, m.start, m.end))
    if codes:
        code = codes.most_common(1)[0][0]
        return field_from(resolve(code), 0.8, *seen[code])
    for line in lines:
        mention = find_currency(line.flat, dollar_code=dollar)
        if mention is not None:
            named, start, end = mention
            return field_from(named, 0.6, line, start, end)
    if dollar != "USD":  # inferred from the country, not read from one place
        return FieldValue(value=dollar, confidence=0.5)
    return None


_ZERO_TAX_RE = re.compile(
    r"REVERSE[\s-]*CHARGE|STEUERSCHULDNERSCHAFT|AUTOLIQUIDATION|BTW\s*VERLEGD|INVERSI[ÓO]N\s*DEL\s*SUJETO|"
    r"TAX\s*EXEMPT|VAT\s*EXEMPT|STEUERFREI|EXON[ÉE]R[ÉE]",
    re.IGNORECASE,
)


def _zero_tax_rate(lines: list[Line], found: totals.Totals) -> FieldValue | None:
    """Tax rate 0 when the document shows no tax: a zero tax line, total = subtotal, a
    reverse-charge/exemption note, or (weakest) a total with no tax line at all."""
    if found.tax is not None:
        if found.tax.value == 0:
            return field_from(0.0, 0.6, found.tax.line, found.tax.money.start, found.tax.money.end)
        return None
    if (
        found.subtotal is not None
        and found.total is not None
        and found.subtotal.value == found.total.value
    ):
        m = found.subtotal.money
        return field_from(0.0, 0.45, found.subtotal.line, m.start, m.end)
    for line in lines:
        note = _ZERO_TAX_RE.search(line.flat)
        if note is not None:
            return field_from(0.0, 0.5, line, note.start(), note.end())
    if found.total is not None:  # a total and no tax anywhere: none was charged
        m = found.total.money
        return field_from(0.0, 0.3, found.total.line, m.start, m.end)
    return None


def _amount_field(hit: totals.AmountHit, confidence: float) -> FieldValue:
    m = hit.money
    return field_from(format_amount(hit.value), confidence, hit.line, m.start, m.end)


def _vendor_fields(lines: list[Line], parties: Parties) -> dict[str, FieldValue]:
    """Vendor (and buyer) by role labels; the vendor from the header when no role names it."""
    fields: dict[str, FieldValue] = {}
    if parties.buyer is not None:
        buyer = parties.buyer
        fields["buyer_name"] = field_from_lines(buyer.name, buyer.confidence, buyer.name_lines)
    seller = parties.seller
    if seller is not None:
        fields["vendor_name"] = field_from_lines(
            clean_name(seller.name), seller.confidence, seller.name_lines
        )
        address_lines, address = read_address([*seller.name_lines[-1:], *seller.block], 0)
        if address_lines:
            fields["vendor_address"] = field_from_lines(address, 0.7, address_lines)
            return fields
    block = header.find_vendor(lines)
    if block is None:
        return fields
    if seller is not None and block.name.casefold() != clean_name(seller.name).casefold():
        return fields  # the header holds someone else's block: no address for the seller
    fields.setdefault(
        "vendor_name", field_from_lines(block.name, block.confidence, block.name_lines)
    )
    if block.address_lines:
        confidence = 0.75 if len(block.address_lines) > 1 else 0.6
        fields["vendor_address"] = field_from_lines(block.address, confidence, block.address_lines)
    return fields


def _reference_fields(lines: list[Line], parties: Parties) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {}
    buyer = parties.buyer
    buyer_lines = frozenset(ln.index for ln in buyer.name_lines + buyer.block) if buyer else None
    issue, due = references.find_dates_labelled(lines)
    titled_number, titled_date = find_title_reference(lines)
    if titled_date is not None and (issue is None or issue.confidence < titled_date.confidence):
        issue = titled_date
    order = month_first(line.flat for line in lines)
    for name, found_date in (("invoice_date", issue), ("due_date", due)):
        if found_date is not None:
            m = found_date.match
            value = in_order(m, order).isoformat()
            fields[name] = field_from(value, found_date.confidence, found_date.line, m.start, m.end)
    finders: dict[str, Callable[[list[Line]], references.Found | None]] = {
        "invoice_number": references.find_invoice_number,
        "vendor_tax_id": partial(references.find_tax_id, skip_lines=buyer_lines or frozenset()),
        "po_number": references.find_po_number,
        "payment_terms": references.find_payment_terms,
    }
    for name, finder in finders.items():
        hit = finder(lines)
        if hit is not None:
            fields[name] = field_from(hit.value, hit.confidence, hit.line, hit.start, hit.end)
    if "invoice_number" not in fields and titled_number is not None:
        hit = titled_number
        fields["invoice_number"] = field_from(
            hit.value, hit.confidence, hit.line, hit.start, hit.end
        )
    return fields


def _amount_fields(lines: list[Line], text: str) -> dict[str, FieldValue]:
    found = totals.find_totals(lines)
    fields: dict[str, FieldValue] = {}
    if found.total is not None:
        fields["total_amount"] = _amount_field(found.total, found.confidence)
    if found.subtotal is not None:
        fields["subtotal"] = _amount_field(found.subtotal, 0.7)
    if found.tax is not None:
        fields["tax_amount"] = _amount_field(found.tax, 0.65)
    if found.tax_rate is not None:
        rate, line, start, end = found.tax_rate
        fields["tax_rate"] = field_from(float(rate), 0.7, line, start, end)
    elif (zero := _zero_tax_rate(lines, found)) is not None:
        fields["tax_rate"] = zero
    currency = _currency(lines, text, found)
    if currency is not None:
        fields["currency"] = currency
    return fields


def _line_item_field(lines: list[Line]) -> dict[str, FieldValue]:
    items = find_column_items(lines) or find_text_items(lines) or find_line_items(lines)
    if not items:
        return {}
    value = [
        {
            "description": item.description,
            "quantity": float(item.quantity) if item.quantity is not None else None,
            "unit_price": format_amount(item.unit_price) if item.unit_price is not None else None,
            "amount": format_amount(item.amount),
        }
        for item in items
    ]
    used = [line for item in items for line in item.lines]
    confidence = sum(item.confidence for item in items) / len(items)
    return {"line_items": field_from_lines(value, confidence, [used[0], used[-1]])}


def extract_invoice(lines: list[Line], text: str) -> dict[str, FieldValue]:
    """Every INVOICE field the rules can read from ``lines``."""
    if not lines:
        return {}
    lines = unstack(lines)
    fields: dict[str, FieldValue] = {}
    parties = find_parties(lines)
    fields.update(_vendor_fields(lines, parties))
    fields.update(_reference_fields(lines, parties))
    fields.update(buyer_fields(lines, parties.buyer, fields.get("vendor_tax_id")))
    fields.update(bank_fields(lines))
    fields.update(_amount_fields(lines, text))
    fields.update(_line_item_field(lines))
    return fields
