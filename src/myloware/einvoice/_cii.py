"""UN/CEFACT Cross Industry Invoice: Factur-X / ZUGFeRD 2.x, XRechnung CII and ZUGFeRD 1.0.

ZUGFeRD 1.0 (``CrossIndustryDocument``, CII D12) and the later versions
(``CrossIndustryInvoice``, CII D16B) share their structure but name some elements
differently (``HeaderExchangedDocument`` / ``ExchangedDocument``,
``ApplicableSupplyChainTradeAgreement`` / ``ApplicableHeaderTradeAgreement`` ...), so each
path below lists both. Amounts given twice (in the invoice currency and in the VAT
accounting currency) are taken in the invoice currency.
"""

from __future__ import annotations

from myloware.einvoice._model import EInvoice, LineItem
from myloware.einvoice._xml import (
    Element,
    compact,
    find,
    find_all,
    joined,
    local_name,
    one_line,
    text,
)

CII_NAMESPACE = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
ZUGFERD1_NAMESPACE = "urn:ferd:CrossIndustryDocument:invoice:1p0"
ROOTS = {
    (CII_NAMESPACE, "CrossIndustryInvoice"),
    (ZUGFERD1_NAMESPACE, "CrossIndustryDocument"),
}

_CONTEXT = "ExchangedDocumentContext|SpecifiedExchangedDocumentContext"
_HEADER = "ExchangedDocument|HeaderExchangedDocument"
_TRANSACTION = "SupplyChainTradeTransaction|SpecifiedSupplyChainTradeTransaction"
_AGREEMENT = "ApplicableHeaderTradeAgreement|ApplicableSupplyChainTradeAgreement"
_SETTLEMENT = "ApplicableHeaderTradeSettlement|ApplicableSupplyChainTradeSettlement"
_SUMMATION = (
    "SpecifiedTradeSettlementHeaderMonetarySummation|SpecifiedTradeSettlementMonetarySummation"
)
_LINE_AGREEMENT = "SpecifiedLineTradeAgreement|SpecifiedSupplyChainTradeAgreement"
_LINE_DELIVERY = "SpecifiedLineTradeDelivery|SpecifiedSupplyChainTradeDelivery"
_LINE_SETTLEMENT = "SpecifiedLineTradeSettlement|SpecifiedSupplyChainTradeSettlement"
_LINE_SUMMATION = (
    "SpecifiedTradeSettlementLineMonetarySummation|SpecifiedTradeSettlementMonetarySummation"
)
_PAYMENT_MEANS = "SpecifiedTradeSettlementPaymentMeans"
_PROFILES = (  # the guideline id's ending → profile name; the first that matches wins
    ("extended", "EXTENDED"),
    ("basicwl", "BASIC WL"),
    ("basic", "BASIC"),
    ("minimum", "MINIMUM"),
    ("comfort", "COMFORT"),
    ("en16931", "EN 16931"),
)


def read_cii(root: Element, *, source: str | None = None) -> EInvoice:
    """The invoice in a CII document whose root :data:`ROOTS` recognised."""
    guideline = text(root, f"{_CONTEXT}/GuidelineSpecifiedDocumentContextParameter/ID")
    header = find(root, _HEADER)
    transaction = find(root, _TRANSACTION)
    agreement = find(transaction, _AGREEMENT)
    settlement = find(transaction, _SETTLEMENT)
    currency = text(settlement, "InvoiceCurrencyCode")
    summation = find(settlement, _SUMMATION)
    seller = find(agreement, "SellerTradeParty")
    buyer = find(agreement, "BuyerTradeParty")
    terms = find_all(settlement, "SpecifiedTradePaymentTerms")
    return EInvoice(
        syntax="CII",
        standard=_standard(guideline, zugferd1=local_name(root) == "CrossIndustryDocument"),
        guideline=guideline,
        profile=_profile(guideline),
        source=source,
        type_code=text(header, "TypeCode"),
        invoice_number=text(header, "ID"),
        invoice_date=_date(find(header, "IssueDateTime/DateTimeString")),
        due_date=next(
            (d for t in terms if (d := _date(find(t, "DueDateDateTime/DateTimeString")))), None
        ),
        currency=currency,
        vendor_name=one_line(text(seller, "Name")),
        vendor_address=_address(find(seller, "PostalTradeAddress")),
        vendor_tax_id=_vat_id(seller),
        buyer_name=one_line(text(buyer, "Name")),
        buyer_address=_address(find(buyer, "PostalTradeAddress")),
        buyer_tax_id=_vat_id(buyer),
        po_number=text(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID")
        or text(agreement, "BuyerOrderReferencedDocument/ID"),
        payment_terms=joined([text(t, "Description") for t in terms], "; "),
        iban=compact(
            text(settlement, f"{_PAYMENT_MEANS}/PayeePartyCreditorFinancialAccount/IBANID")
        ),
        bic=compact(
            text(settlement, f"{_PAYMENT_MEANS}/PayeeSpecifiedCreditorFinancialInstitution/BICID")
        ),
        subtotal=_amount(summation, "TaxBasisTotalAmount", currency),
        tax_amount=_amount(summation, "TaxTotalAmount", currency),
        tax_rate=_single_rate(settlement),
        total_amount=_amount(summation, "GrandTotalAmount", currency),
        amount_due=_amount(summation, "DuePayableAmount", currency),
        line_items=tuple(
            item
            for line in find_all(transaction, "IncludedSupplyChainTradeLineItem")
            if (item := _line(line)) is not None
        ),
    )


def _standard(guideline: str | None, *, zugferd1: bool) -> str:
    lowered = (guideline or "").lower()
    if zugferd1:
        return "ZUGFeRD 1"
    if "xrechnung" in lowered:
        return "XRechnung"
    if "peppol" in lowered:
        return "Peppol BIS"
    return "Factur-X/ZUGFeRD"


def _profile(guideline: str | None) -> str | None:
    if not guideline:
        return None
    tail = guideline.lower().rsplit("#", 1)[-1].replace("-", "").replace("_", "")
    return next((name for key, name in _PROFILES if key in tail), None)


def _date(el: Element | None) -> str | None:
    """``udt:DateTimeString`` as an ISO date (format 102 ``YYYYMMDD``; ISO text as is)."""
    value = text(el)
    if value is None:
        return None
    digits = value.replace("-", "")
    if len(digits) >= 8 and digits[:8].isdigit():
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"
    return None


def _amount(parent: Element | None, name: str, currency: str | None) -> str | None:
    """The amount ``name`` below ``parent``: the one in ``currency`` where there are two."""
    found = find_all(parent, name)
    for el in found:
        if currency is None or el.get("currencyID") in (None, currency):
            return text(el)
    return text(found[0]) if found else None


def _vat_id(party: Element | None) -> str | None:
    """The party's VAT identifier (``schemeID="VA"``), without spaces; a national tax number
    is not one."""
    for el in find_all(party, "SpecifiedTaxRegistration/ID"):
        if el.get("schemeID") == "VA":
            return compact(text(el))
    return None


def _address(el: Element | None) -> str | None:
    if el is None:
        return None
    city = joined([text(el, "PostcodeCode"), text(el, "CityName")], " ")
    lines = [text(el, "LineOne"), text(el, "LineTwo"), text(el, "LineThree")]
    return joined([*lines, city, text(el, "CountryID")])


def _single_rate(settlement: Element | None) -> str | None:
    """The VAT rate when the whole invoice has one (``None`` for mixed rates)."""
    rates = {_rate(tax) for tax in find_all(settlement, "ApplicableTradeTax")}
    return rates.pop() if len(rates) == 1 else None


def _rate(tax: Element | None) -> str | None:
    """The percent of an ``ApplicableTradeTax`` (``ApplicablePercent`` in ZUGFeRD 1)."""
    return text(tax, "RateApplicablePercent") or text(tax, "ApplicablePercent")


def _line(line: Element) -> LineItem | None:
    """One line item; None for a line that sells nothing (a note-only line of ZUGFeRD 1)."""
    product = find(line, "SpecifiedTradeProduct")
    description = one_line(text(product, "Name") or text(product, "Description"))
    amount = text(line, f"{_LINE_SETTLEMENT}/{_LINE_SUMMATION}/LineTotalAmount")
    if description is None and amount is None:
        return None
    return LineItem(
        description=description or "",
        amount=amount,
        quantity=text(line, f"{_LINE_DELIVERY}/BilledQuantity"),
        unit_price=text(line, f"{_LINE_AGREEMENT}/NetPriceProductTradePrice/ChargeAmount"),
        tax_rate=_rate(find(line, f"{_LINE_SETTLEMENT}/ApplicableTradeTax")),
    )
