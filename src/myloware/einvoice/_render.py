"""A readable rendering of an :class:`EInvoice`: the text of a standalone XML upload.

Memory, search and the Run Trace show a document's text, and the XML itself is no reading
for people. One labelled line per value (the labels the rules extractor knows too), then
the line items as TAB-separated rows, then the totals.
"""

from __future__ import annotations

from myloware.einvoice._model import EInvoice


def render_text(invoice: EInvoice) -> str:
    """The invoice as labelled plain text, values exactly as the XML states them."""
    title = "Credit note" if invoice.type_code in ("381", "396") else "Invoice"
    out = [f"{title} (e-invoice, {invoice.label})", ""]
    out += _block("Seller", invoice.vendor_name, invoice.vendor_address)
    if invoice.vendor_tax_id:
        out.append(f"VAT ID: {invoice.vendor_tax_id}")
    out += _block("Buyer", invoice.buyer_name, invoice.buyer_address)
    out.append("")
    out += _labelled(
        ("Invoice number", invoice.invoice_number),
        ("Invoice date", invoice.invoice_date),
        ("Due date", invoice.due_date),
        ("Order number", invoice.po_number),
        ("Currency", invoice.currency),
        ("Payment terms", invoice.payment_terms),
        ("IBAN", invoice.iban),
    )
    if invoice.line_items:
        out += ["", "Description\tQuantity\tUnit price\tAmount"]
        for item in invoice.line_items:
            cells = (item.description, item.quantity, item.unit_price, item.amount)
            out.append("\t".join(cell or "" for cell in cells).rstrip("\t"))
    out.append("")
    rate = f" ({invoice.tax_rate} %)" if invoice.tax_rate else ""
    out += _labelled(
        ("Net total", invoice.subtotal),
        (f"VAT{rate}", invoice.tax_amount),
        ("Total", invoice.total_amount),
        ("Amount due", invoice.amount_due if invoice.amount_due != invoice.total_amount else None),
    )
    return "\n".join(out).strip() + "\n"


def _block(label: str, name: str | None, address: str | None) -> list[str]:
    lines = [f"{label}: {name}"] if name else []
    return [*lines, address] if address else lines


def _labelled(*pairs: tuple[str, str | None]) -> list[str]:
    return [f"{label}: {value}" for label, value in pairs if value]
