"""Images and scanned PDFs read by OCR (RapidOCR, models from the wheel, no network)."""

from __future__ import annotations

import io
import json
import threading

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from myloware.agents.context import document_from, layout_of
from myloware.documents import DocumentLimits, LoadedDocument, load_document
from myloware.documents.ocr import engine
from myloware.errors import DocumentError

LIMITS = DocumentLimits(max_bytes=2_000_000, max_pages=3, ocr_enabled=True)
NO_OCR = DocumentLimits(ocr_enabled=False)
RECEIPT = [("ACME STORE", None), ("Coffee", "4.50"), ("TOTAL", "12.00")]


def receipt_image() -> Image.Image:
    """A small receipt: a title line and two label/amount lines in two columns."""
    image = Image.new("RGB", (480, 160), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=24)
    for row, (label, amount) in enumerate(RECEIPT):
        draw.text((16, 16 + row * 48), label, fill="black", font=font)
        if amount:
            draw.text((340, 16 + row * 48), amount, fill="black", font=font)
    return image


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def png_receipt() -> LoadedDocument:
    return load_document(encoded(receipt_image(), "PNG"), filename="r.png", limits=LIMITS)


def test_image_text_is_read_into_visual_lines(png_receipt: LoadedDocument) -> None:
    """OCR boxes on one row form one line, left to right, TAB between boxes."""
    assert png_receipt.media_type == "image/png"
    assert png_receipt.read_by_ocr and png_receipt.ocr_pages == (1,)
    assert [line.text for line in png_receipt.lines] == [
        "ACME STORE",
        "Coffee\t4.50",
        "TOTAL\t12.00",
    ]


def test_image_lines_carry_pixel_boxes(png_receipt: LoadedDocument) -> None:
    """Each line's box is in image pixels and covers both columns of its row."""
    title, coffee, total = (line.box for line in png_receipt.lines)
    assert title is not None and coffee is not None and total is not None
    assert title[3] < coffee[1] < total[1]
    assert total[0] == pytest.approx(16, abs=6)
    assert 400 < total[2] < 480
    assert all(line.page == 1 for line in png_receipt.lines)


def test_scanned_pdf_page_is_read_by_ocr_with_boxes_in_points() -> None:
    """A PDF page without a text layer is rendered and OCR'd; boxes come back in points."""
    pdf = FPDF(unit="pt", format=(400, 300))
    pdf.add_page()
    pdf.image(io.BytesIO(encoded(receipt_image(), "PNG")), x=40, y=50, w=240)
    loaded = load_document(bytes(pdf.output()), filename="scan.pdf", limits=LIMITS)
    assert [line.text for line in loaded.lines] == ["ACME STORE", "Coffee\t4.50", "TOTAL\t12.00"]
    total = loaded.lines[-1].box
    assert total is not None
    assert total[0] == pytest.approx(40 + 16 / 2, abs=4)  # image drawn at half size
    assert 50 < total[1] < total[3] < 50 + 80


def test_mixed_pdf_ocrs_only_the_page_without_a_text_layer() -> None:
    """A page with a text layer is read from it even when it shows a picture; a scan page is OCR'd.

    Page 1 carries a text line and the receipt picture: had it been OCR'd, the receipt's words
    would appear on it. Page 2 is the picture alone and can only be read by OCR.
    """
    picture = io.BytesIO(encoded(receipt_image(), "PNG"))
    pdf = FPDF(unit="pt", format=(400, 300))
    pdf.set_font("helvetica", size=14)
    pdf.add_page()
    pdf.text(40, 30, "Cover letter 42")
    pdf.image(picture, x=40, y=50, w=240)
    pdf.add_page()
    pdf.image(picture, x=40, y=50, w=240)
    loaded = load_document(bytes(pdf.output()), filename="mixed.pdf", limits=LIMITS)
    pages = {page: [line.text for line in loaded.lines if line.page == page] for page in (1, 2)}
    assert pages[1] == ["Cover letter 42"]
    assert pages[2] == ["ACME STORE", "Coffee\t4.50", "TOTAL\t12.00"]
    assert loaded.ocr_pages == (2,)  # what learning may take as possibly misread


def test_upside_down_scan_is_read_the_right_way_round() -> None:
    """A scan fed in upside down reads as the upright one, lines in reading order."""
    turned = receipt_image().rotate(180)
    loaded = load_document(encoded(turned, "PNG"), filename="turned.png", limits=LIMITS)
    assert [line.text for line in loaded.lines] == ["ACME STORE", "Coffee\t4.50", "TOTAL\t12.00"]


def test_scan_at_two_percent_contrast_still_reads() -> None:
    """Ink only 2 % darker than the paper is stretched to full contrast before reading."""
    faint = receipt_image().convert("L").point(lambda value: 250 + value * 5 // 255)
    loaded = load_document(encoded(faint, "PNG"), filename="faint.png", limits=LIMITS)
    assert [line.text for line in loaded.lines] == ["ACME STORE", "Coffee\t4.50", "TOTAL\t12.00"]


def test_images_need_ocr_enabled() -> None:
    """With OCR off, an image fails with a reason that names OCR."""
    with pytest.raises(DocumentError, match="needs OCR, which is disabled"):
        load_document(encoded(receipt_image(), "JPEG"), filename="r.jpg", limits=NO_OCR)


def test_truncated_image_is_reported_unreadable() -> None:
    """An image cut short fails as truncated or corrupt, not with a Pillow error."""
    data = encoded(receipt_image(), "PNG")
    with pytest.raises(DocumentError, match="truncated or corrupt"):
        load_document(data[: len(data) // 3], filename="r.png", limits=LIMITS)


def test_multipage_tiff_over_the_page_limit_is_refused() -> None:
    """A TIFF with more frames than max_pages fails before any OCR runs."""
    frames = [Image.new("L", (32, 32), 255) for _ in range(4)]
    data = encoded(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(DocumentError, match="4 pages; at most 3 allowed"):
        load_document(data, filename="scan.tiff", limits=LIMITS)


def test_blank_image_has_no_text() -> None:
    """An image in which OCR finds nothing fails with 'no text found'."""
    blank = encoded(Image.new("RGB", (200, 80), "white"), "PNG")
    with pytest.raises(DocumentError, match="no text found in the image"):
        load_document(blank, limits=LIMITS)


def test_ocr_engine_is_created_once_across_threads() -> None:
    """Concurrent first uses of the OCR engine all get the same instance."""
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(engine())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 4 and all(item is seen[0] for item in seen)


def test_pages_read_by_ocr_survive_the_stored_context(png_receipt: LoadedDocument) -> None:
    """Later stages rebuild the document from its stored CONTEXT metadata: what was read by
    OCR stays known (learning tolerates misread characters only there); a document stored
    before this was recorded counts as OCR'd when it is an image."""
    meta = json.loads(json.dumps(layout_of(png_receipt)))
    assert document_from(png_receipt.text, meta).ocr_pages == (1,)
    del meta["ocr_pages"]
    assert document_from(png_receipt.text, meta).read_by_ocr
    text = LoadedDocument.from_text("Invoice 7")
    assert not document_from(text.text, layout_of(text)).read_by_ocr
