"""Label and amount columns that a PDF's text layer printed one after the other."""

from __future__ import annotations

from myloware.documents.model import LoadedDocument
from myloware.extraction import extract
from myloware.extraction.layout import document_lines
from myloware.extraction.stacked import unstack
from myloware.records import DocumentType

TOTALS = "Customer Notes: Subtotal:\nTax:\nTotal:\nInvoice Balance:75.87\n0.00\n75.87\n0.00\nPAID\n"


def _lines(text: str) -> list[str]:
    return [line.text for line in unstack(document_lines(LoadedDocument.from_text(text)))]


def test_stacked_labels_and_amounts_are_paired_in_order() -> None:
    """The first amount closes the last label's line but belongs to the first label."""
    assert _lines(TOTALS) == [
        "Customer Notes: Subtotal: 75.87",
        "Tax: 0.00",
        "Total: 75.87",
        "Invoice Balance: 0.00",
        "PAID",
    ]


def test_paired_lines_keep_their_source_offsets() -> None:
    """The amount of ``Tax: 0.00`` points at its own place in the text, lines below."""
    doc = LoadedDocument.from_text(TOTALS)
    lines = unstack(document_lines(doc))
    tax = lines[1]
    start, end = tax.span(len("Tax: "), len(tax.text))
    assert doc.text[start:end] == "0.00"
    assert start > doc.text.index("Invoice Balance")
    assert [line.index for line in lines] == list(range(len(lines)))


def test_the_invoice_reads_its_totals_from_a_stacked_block() -> None:
    values = extract(
        LoadedDocument.from_text("Invoice\nNetlify, Inc.\n" + TOTALS), DocumentType.INVOICE
    ).values()
    assert (values["subtotal"], values["tax_amount"], values["total_amount"]) == (
        "75.87",
        "0.00",
        "75.87",
    )


def test_blocks_that_do_not_pair_exactly_are_left_alone() -> None:
    """Too few amounts, one amount too many, a value that is not an amount, or lines with
    cells (OCR boxes: visual lines already) are not paired."""
    for text in (
        "Subtotal:\nTax:\nTotal:75.87\n0.00\n",  # 3 labels, 2 amounts
        "Subtotal:\nTotal:75.87\n75.87\n1.00\n",  # an amount left over
        "Invoice Date:\nCurrency:INV04789023\n2023-11-13\nUSD\n",  # not amounts
        "DISCOUNT :\nTOTAL GST :\t5.60\n0.00\nROUNDING :\n",  # a line with cells
    ):
        assert _lines(text) == [line for line in text.splitlines() if line]
