"""End to end for each input format: PDF, scanned image (OCR), e-mail with attachments and
e-invoices (a Factur-X PDF, an XRechnung XML)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.auth_support import TokenFor
from tests.einvoice_support import UBL, cii_xml, einvoice_pdf, visible
from tests.factories import make_eml, pdf_from_lines, render_image
from tests.pipeline_support import (
    AGENTS,
    attempts_of,
    items_of,
    wait_for_order,
)
from tests.ui_support import bearer, sign_in

PDF_INVOICE = visible()  # the CII invoice as the PDF shows it
RECEIPT_ROWS = [
    ("SUNRISE MART SDN BHD", None),
    ("12 JALAN MERDEKA", None),
    ("KUALA LUMPUR", None),
    ("DATE: 15/03/2024", None),
    ("COFFEE", "4.50"),
    ("BREAD", "7.50"),
    ("TOTAL", "12.00"),
]
TICKET = (
    "Subject: VPN down for the whole office\n\nHi, since this morning nobody can connect to "
    "the VPN. This is urgent, we cannot work. Please help!"
)


async def _upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    files: list[tuple[str, tuple[str, bytes, str]]],
    **data: str,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    r = await client.post("/v1/work-orders/upload", files=files, data=data, headers=headers)
    assert r.status_code == 201, r.text
    order = await wait_for_order(client, r.json()["data"]["id"], headers)
    return order, await items_of(client, order["id"], headers)


async def test_pdf_invoice_is_read_from_its_text_layer(
    stack: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """A text-layer PDF invoice with decimal commas completes with the right fields."""
    headers = token_for("acme")
    order, [item] = await _upload(
        stack, headers, [("files", ("nw.pdf", pdf_from_lines(PDF_INVOICE), "application/pdf"))]
    )
    assert order["status"] == "COMPLETED", item
    fields = item["result"]["fields"]
    assert fields["invoice_number"] == "NW-7781"
    assert fields["invoice_date"] == "2024-02-12"
    assert fields["total_amount"] == "119.00"
    assert fields["currency"] == "EUR"
    assert item["media_type"] == "application/pdf"
    assert [a["agent_id"] for a in await attempts_of(stack, item["id"], headers)] == AGENTS


async def test_scanned_receipt_image_is_read_by_ocr(
    stack: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """A PNG receipt goes through OCR and yields vendor, date and total."""
    headers = token_for("acme")
    order, [item] = await _upload(
        stack,
        headers,
        [("files", ("receipt.png", render_image(RECEIPT_ROWS), "image/png"))],
        type="INVOICE",
    )
    assert order["status"] == "COMPLETED", item
    fields = item["result"]["fields"]
    assert fields["vendor_name"] == "SUNRISE MART SDN BHD"
    assert fields["invoice_date"] == "2024-03-15"
    assert fields["total_amount"] == "12.00"


async def test_email_body_and_two_attachments_become_three_items(
    stack: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """An .eml becomes an item for its body and one per attachment, each processed."""
    headers = token_for("acme")
    eml = make_eml(
        "Invoice NW-7781 and a ticket",
        "Hello, please find our invoice attached.\nRegards, Northwind",
        [
            ("invoice.pdf", pdf_from_lines(PDF_INVOICE), "application/pdf"),
            ("ticket.txt", TICKET.encode(), "text/plain"),
        ],
    )
    order, items = await _upload(stack, headers, [("files", ("mail.eml", eml, "message/rfc822"))])
    assert [i["filename"] for i in items] == ["mail.eml (body)", "invoice.pdf", "ticket.txt"]
    body, invoice, ticket = items
    assert invoice["status"] == "COMPLETED" and invoice["type"] == "INVOICE"
    assert invoice["result"]["fields"]["total_amount"] == "119.00"
    assert ticket["status"] == "COMPLETED" and ticket["type"] == "TICKET"
    assert ticket["result"]["fields"]["priority"] in {"HIGH", "URGENT"}
    assert body["status"] in {"COMPLETED", "FAILED"}
    assert order["metadata"]["summary"]["completed"] >= 2


async def test_einvoice_pdf_and_xml_are_read_from_their_structured_data(
    stack: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """A Factur-X PDF and an XRechnung UBL file complete with the e-invoices' own values,
    and the Run Trace says they came from the embedded e-invoice."""
    headers = token_for("acme")
    files = [
        ("files", ("fx.pdf", einvoice_pdf(visible(), cii_xml()), "application/pdf")),
        ("files", ("xr.xml", UBL.encode(), "application/xml")),
    ]
    order, [pdf, xml] = await _upload(stack, headers, files)
    assert order["status"] == "COMPLETED", (pdf, xml)
    fields = pdf["result"]["fields"]
    # the buyer, PO number and due date are in the XML only, not in the visible text
    assert (fields["buyer_name"], fields["po_number"], fields["due_date"]) == (
        "Kunden AG", "PO-77", "2024-03-13",
    )  # fmt: skip
    assert fields["total_amount"] == "119.00" and fields["line_items"][0]["quantity"] == 4.0
    assert set(pdf["result"]["confidence"].values()) == {1.0}
    assert xml["result"]["fields"]["vendor_name"] == "Hanse Handel GmbH"
    assert xml["media_type"] == "application/xml"
    [extracted] = [
        a for a in await attempts_of(stack, pdf["id"], headers) if a["agent_id"] == "ExtractorLLM"
    ]
    assert extracted["output"]["record"]["extractor"].startswith("einvoice (Factur-X")
    cookie = await sign_in(stack, bearer(headers))
    page = await stack.get(f"/ui/work-items/{pdf['id']}", headers=cookie)
    assert "embedded e-invoice (Factur-X/ZUGFeRD CII, EN 16931)" in page.text
