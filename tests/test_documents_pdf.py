"""PDF loading: text layer with line layout and boxes, page limits, damaged and locked files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from fpdf import FPDF

from myloware.documents import DocumentLimits, LoadedDocument, load_document
from myloware.errors import DocumentError
from tests.factories import make_pdf

LIMITS = DocumentLimits(max_bytes=1_000_000, max_pages=5, ocr_enabled=False)
NO_OCR = DocumentLimits(ocr_enabled=False)
MM = 72 / 25.4  # points per millimetre


INVOICE_PAGES = [
    [
        (20, 30, "ACME Supplies Ltd"),
        (20, 40, "Invoice number:"),
        (90, 40, "INV-2024-001"),
        (20, 50, "Invoice date:"),
        (90, 50, "2024-03-15"),
    ],
    [(20, 30, "Total due:"), (90, 30, "1,234.50 EUR")],
]


@pytest.fixture(scope="module")
def invoice() -> LoadedDocument:
    return load_document(make_pdf(INVOICE_PAGES), filename="invoice.pdf", limits=LIMITS)


def test_pdf_text_layer_is_read_line_by_line_with_pages(invoice: LoadedDocument) -> None:
    """Each visual line becomes one TextLine that knows its page number."""
    assert invoice.media_type == "application/pdf"
    assert invoice.pages == 2
    assert invoice.name == "invoice.pdf"
    assert not invoice.read_by_ocr  # a text layer is what was printed
    assert [(line.page, line.text) for line in invoice.lines] == [
        (1, "ACME Supplies Ltd"),
        (1, "Invoice number:\tINV-2024-001"),
        (1, "Invoice date:\t2024-03-15"),
        (2, "Total due:\t1,234.50 EUR"),
    ]


def test_pdf_line_offsets_point_into_the_text(invoice: LoadedDocument) -> None:
    """start/end of every line slice exactly that line out of the document text."""
    for line in invoice.lines:
        assert invoice.text[line.start : line.end] == line.text


def test_pdf_pages_are_separated_by_a_form_feed_line(invoice: LoadedDocument) -> None:
    """The text keeps page breaks, so re-reading it as plain text finds the same pages."""
    assert "\n\f\n" in invoice.text
    reread = LoadedDocument.from_text(invoice.text)
    pages = {line.text: line.page for line in reread.lines}
    assert all(pages[line.text] == line.page for line in invoice.lines)


def test_pdf_boxes_are_points_from_the_top_left(invoice: LoadedDocument) -> None:
    """Boxes are in points, origin top-left: x matches the 20 mm margin, y grows downwards."""
    first, second, third = invoice.lines[:3]
    assert first.box is not None and second.box is not None and third.box is not None
    assert first.box[0] == pytest.approx(20 * MM, abs=1.5)
    assert first.box[1] < 30 * MM < first.box[3] + 2
    assert first.box[3] < second.box[1] < third.box[1]
    assert second.box[2] == pytest.approx(90 * MM + 75, abs=20)  # spans the value column


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_pdf_boxes_follow_page_rotation(rotation: int) -> None:
    """On a rotated page, each box covers the ink of its text as the page is displayed."""
    doc = pdfium.PdfDocument(make_pdf([[(20, 30, "Rotated text"), (120, 200, "Second")]]))
    doc[0].set_rotation(rotation)
    buffer = io.BytesIO()
    doc.save(buffer)
    data = buffer.getvalue()
    loaded = load_document(data, limits=LIMITS)
    page = pdfium.PdfDocument(data)[0]
    ink = np.asarray(page.render(scale=1).to_pil().convert("L")) < 128
    inked = 0
    for line in loaded.lines:
        assert line.box is not None
        x0, y0, x1, y1 = (round(v) for v in line.box)
        inked += int(ink[max(y0, 0) : y1 + 1, max(x0, 0) : x1 + 1].sum())
    assert inked >= 0.95 * ink.sum()


def test_pdf_with_more_pages_than_allowed_is_refused() -> None:
    """A PDF over max_pages fails with the page count and the limit in the message."""
    data = make_pdf([[(20, 30, f"Page {n}")] for n in range(1, 4)])
    with pytest.raises(DocumentError, match="3 pages; at most 2 allowed"):
        load_document(data, limits=DocumentLimits(max_pages=2, ocr_enabled=False))


def test_password_protected_pdf_is_refused_with_that_reason() -> None:
    """A PDF that needs a password to open is reported as password-protected."""
    data = make_pdf([[(20, 30, "Secret")]], user_password="letmein")
    with pytest.raises(DocumentError, match="password-protected"):
        load_document(data, filename="locked.pdf", limits=LIMITS)


def test_corrupt_pdf_is_refused_as_corrupt() -> None:
    """Bytes that start like a PDF but are not one fail as a corrupt PDF."""
    data = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> broken beyond repair"
    with pytest.raises(DocumentError, match="corrupt"):
        load_document(data, filename="broken.pdf", limits=LIMITS)


def test_truncated_pdf_is_refused_or_read_but_never_leaks_library_errors() -> None:
    """A PDF cut in half either still yields text or fails with a DocumentError."""
    data = make_pdf(INVOICE_PAGES)
    try:
        loaded = load_document(data[: len(data) // 2], limits=LIMITS)
    except DocumentError:
        return
    assert loaded.text


def test_pdf_without_text_layer_and_ocr_disabled_says_so() -> None:
    """A scan-only PDF with OCR switched off fails, naming OCR as the missing piece."""
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 30, style="F")
    with pytest.raises(DocumentError, match="OCR is disabled"):
        load_document(bytes(pdf.output()), limits=LIMITS)


@pytest.mark.datasets
def test_real_invoice_pdfs_load_with_boxed_lines(datasets_dir: Path) -> None:
    """Every dev-set PDF loads (or, lacking a usable text layer, asks for OCR) with boxed lines."""
    paths = sorted(datasets_dir.glob("*/dev/*.pdf"))
    if not paths:
        pytest.skip("no PDFs in the datasets")
    loaded_pages = 0
    for path in paths:
        try:
            document = load_document(path.read_bytes(), filename=path.name, limits=NO_OCR)
        except DocumentError as exc:
            assert "OCR is disabled" in exc.message, path.name
            continue
        loaded_pages += document.pages
        assert document.lines, path.name
        for line in document.lines:
            assert line.box is not None and line.box[0] < line.box[2], path.name
            assert document.text[line.start : line.end] == line.text
    assert loaded_pages >= len(paths) // 2
