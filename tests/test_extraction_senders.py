"""Who sent an invoice, when, and what it charged: rules for web-shop and SaaS invoices."""

from __future__ import annotations

from typing import Any

from myloware.documents.model import LoadedDocument
from myloware.extraction import extract


def _values(text: str) -> dict[str, Any]:
    return extract(LoadedDocument.from_text(text)).values()


SAAS_RECEIPT = """\
Tax Invoice / Receipt
Invoice Number: CL-55012
Date Issued: Mar 3, 2024
Brightwork Labs GmbH\tBilling Contact:
Hafenstrasse 12\tAnna Berger
20457 Hamburg\tBrightwork Labs GmbH
Germany\ta.berger@brightwork.de
Licensed To: Brightwork Labs GmbH
Billing Period: Mar 3, 2024 - Apr 2, 2024
Total Ex. Tax EUR 100.00
20% VAT EUR 20.00
Invoice Total: EUR 120.00
Thank you for your payment!
Cloudnimbus Pty Ltd, Level 3, 12 King St, Sydney NSW 2000, Australia
"""


def test_the_buyer_printed_beside_its_billing_contact_is_not_the_vendor() -> None:
    """A name that the document also prints under ``Billing Contact`` / ``Licensed To`` is the
    customer's; the footer imprint with a legal form names the vendor."""
    values = _values(SAAS_RECEIPT)
    assert values["vendor_name"] == "Cloudnimbus Pty Ltd"


WEB_PRINT = """\
04.07.24, 09:15\tInvoice | Plandeck
5/6/24
Acme
Invoice ID #9xk2
Subscription details:
Team Monthly Subscription\t$0.00
Seats\t3 @ $12.00\t$36.00
Subscription total (due at renewal):\t$36.00
Questions? Contact billing@plandeck.com.
Address
Plandeck
200 Harbor Road
Baltimore, MD 21230
https://app.plandeck.com/invoices/9xk2\t1/1
"""


def test_a_sender_without_legal_form_is_named_by_its_own_web_address() -> None:
    """With no company-like name in the header, the line that spells the domain of the
    document's e-mail and links is the vendor; a label or a priced line never is."""
    assert _values(WEB_PRINT)["vendor_name"] == "Plandeck"


def test_a_subscription_total_is_a_total_and_no_tax_line_means_rate_zero() -> None:
    """``Subscription total`` is a total (``Sub…`` is not ``Subtotal``), and a document with a
    total but no tax line at all reports a tax rate of 0 at low confidence."""
    record = extract(LoadedDocument.from_text(WEB_PRINT))
    values = record.values()
    assert values["total_amount"] == "36.00"
    assert values["tax_rate"] == 0.0
    assert record.fields["tax_rate"].confidence < 0.6


def test_a_print_timestamp_yields_to_the_date_standing_alone() -> None:
    """``04.07.24, 09:15`` (when the page was printed) loses to the unlabelled ``5/6/24``."""
    assert _values(WEB_PRINT)["invoice_date"] == "2024-06-05"


def test_a_dated_receipt_with_its_time_keeps_that_date() -> None:
    """Where the only date carries a time (a till receipt), it is still the invoice date."""
    text = "KEDAI MAJU SDN BHD\nNO 3 JALAN BATU\n12/01/2019 13:45\nTOTAL 12.50\n"
    assert _values(text)["invoice_date"] == "2019-01-12"
