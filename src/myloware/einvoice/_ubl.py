"""OASIS UBL 2.x invoices and credit notes: XRechnung UBL, Peppol BIS Billing, plain UBL.

The seller's name is its legal registration name (BT-27, ``PartyLegalEntity``), else its
trading name (``PartyName``), as CII's ``SellerTradeParty/Name`` is BT-27. A tax total
given twice (in the document currency and in the VAT accounting currency) is taken in the
document currency.
"""

from __future__ import annotations

from myloware.einvoice import _xml
from myloware.einvoice._model import EInvoice, LineItem
from myloware.einvoice._xml import Element, find, find_all, joined, local_name, one_line, text

INVOICE_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
ROOTS = {(INVOICE_NAMESPACE, "Invoice"), (CREDIT_NOTE_NAMESPACE, "CreditNote")}


def read_ubl(root: Element, *, source: str | None = None) -> EInvoice:
    """The invoice in a UBL document whose root :data:`ROOTS` recognised."""
    guideline = text(root, "CustomizationID")
    currency = text(root, "DocumentCurrencyCode")
    seller = find(root, "AccountingSupplierParty/Party")
    buyer = find(root, "AccountingCustomerParty/Party")
    totals = find(root, "LegalMonetaryTotal")
    credit = local_name(root) == "CreditNote"
    line_name = "CreditNoteLine" if credit else "InvoiceLine"
    return EInvoice(
        syntax="UBL",
        standard=_standard(guideline),
        guideline=guideline,
        profile=None,
        source=source,
        type_code=text(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode"),
        invoice_number=text(root, "ID"),
        invoice_date=text(root, "IssueDate"),
        due_date=text(root, "DueDate") or text(root, "PaymentMeans/PaymentDueDate"),
        currency=currency,
        vendor_name=_name(seller),
        vendor_address=_address(find(seller, "PostalAddress")),
        vendor_tax_id=_vat_id(seller),
        buyer_name=_name(buyer),
        buyer_address=_address(find(buyer, "PostalAddress")),
        buyer_tax_id=_vat_id(buyer),
        po_number=text(root, "OrderReference/ID"),
        payment_terms=joined([text(n) for n in find_all(root, "PaymentTerms/Note")], "; "),
        iban=_xml.compact(text(root, "PaymentMeans/PayeeFinancialAccount/ID")),
        bic=_xml.compact(
            text(root, "PaymentMeans/PayeeFinancialAccount/FinancialInstitutionBranch/ID")
        ),
        subtotal=text(totals, "TaxExclusiveAmount"),
        tax_amount=_tax_total(root, currency),
        tax_rate=_single_rate(root),
        total_amount=text(totals, "TaxInclusiveAmount"),
        amount_due=text(totals, "PayableAmount"),
        line_items=tuple(
            _line(line, "CreditedQuantity" if credit else "InvoicedQuantity")
            for line in find_all(root, line_name)
        ),
    )


def _standard(guideline: str | None) -> str:
    lowered = (guideline or "").lower()
    if "xrechnung" in lowered:
        return "XRechnung"
    if "peppol" in lowered:
        return "Peppol BIS"
    return "UBL"


def _name(party: Element | None) -> str | None:
    return one_line(text(party, "PartyLegalEntity/RegistrationName")) or one_line(
        text(party, "PartyName/Name")
    )


def _vat_id(party: Element | None) -> str | None:
    for scheme in find_all(party, "PartyTaxScheme"):
        if (text(scheme, "TaxScheme/ID") or "").upper() == "VAT":
            return _xml.compact(text(scheme, "CompanyID"))
    return None


def _address(el: Element | None) -> str | None:
    if el is None:
        return None
    lines = [text(el, "StreetName"), text(el, "AdditionalStreetName")]
    lines += [text(line, "Line") for line in find_all(el, "AddressLine")]
    city = joined([text(el, "PostalZone"), text(el, "CityName")], " ")
    return joined([*lines, city, text(el, "Country/IdentificationCode")])


def _tax_total(root: Element, currency: str | None) -> str | None:
    amounts = find_all(root, "TaxTotal/TaxAmount")
    for el in amounts:
        if currency is None or el.get("currencyID") in (None, currency):
            return text(el)
    return text(amounts[0]) if amounts else None


def _single_rate(root: Element) -> str | None:
    rates = {
        text(category, "Percent") for category in find_all(root, "TaxTotal/TaxSubtotal/TaxCategory")
    }
    return rates.pop() if len(rates) == 1 else None


def _line(line: Element, quantity: str) -> LineItem:
    item = find(line, "Item")
    return LineItem(
        description=one_line(text(item, "Name") or text(item, "Description")) or "",
        amount=text(line, "LineExtensionAmount"),
        quantity=text(line, quantity),
        unit_price=text(line, "Price/PriceAmount"),
        tax_rate=text(item, "ClassifiedTaxCategory/Percent"),
    )
