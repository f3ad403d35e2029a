"""PDF loading with pypdfium2: the text layer with line boxes, OCR for pages without one.

Each page's text layer (see :mod:`myloware.documents.pdftext`) is regrouped into visual
lines. A page whose text layer is missing or undecodable (a scan, or glyphs without a Unicode
map) is rendered at about 2000 px and read by OCR when OCR is enabled; its boxes are scaled
back to points. PDFium is not thread-safe, so every PDFium call runs under one process-wide
lock; OCR runs outside it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import structlog
from PIL import Image

from myloware.documents.layout import Segment, build_document, group_lines, scale_box
from myloware.documents.limits import DocumentLimits
from myloware.documents.model import LoadedDocument
from myloware.documents.ocr import recognize
from myloware.documents.pdftext import text_segments
from myloware.errors import DocumentError

log = structlog.get_logger(__name__)

MEDIA_TYPE = "application/pdf"
RENDER_LONGEST_SIDE = 2000.0  # pixels; the OCR engine works at this size anyway
RENDER_MAX_SCALE = 300 / 72  # never above 300 dpi
_PDFIUM_LOCK = threading.RLock()
_WORD_RE = re.compile(r"[^\W_]")
_JUNK_RE = re.compile("[\ufffd\ue000-\uf8ff]")


def load_pdf(data: bytes, *, limits: DocumentLimits, name: str | None = None) -> LoadedDocument:
    """Read every page of a PDF: text layer where usable, OCR for the rest (if enabled)."""
    with _opened(data) as doc:
        with _PDFIUM_LOCK:
            count = len(doc)
        if count == 0:
            raise DocumentError("the PDF has no pages")
        if count > limits.max_pages:
            raise DocumentError(f"the PDF has {count} pages; at most {limits.max_pages} allowed")
        pages = [_read_page(doc, index, limits) for index in range(count)]
    unreadable = [n for n, page in enumerate(pages, start=1) if page is None]
    result = [page or [] for page in pages]
    if not any(seg.text.strip() for page in result for seg in page):
        if unreadable and not limits.ocr_enabled:
            raise DocumentError(
                "the PDF has no readable text layer (scanned pages?) and OCR is disabled"
            )
        raise DocumentError("no text found in the PDF")
    if unreadable and not limits.ocr_enabled:
        log.warning("pdf_pages_skipped", pages=unreadable, reason="no text layer, OCR disabled")
    return build_document(result, media_type=MEDIA_TYPE, name=name)


@contextmanager
def _opened(data: bytes) -> Iterator[pdfium.PdfDocument]:
    """Open the PDF, translating PDFium's load errors into user-facing reasons."""
    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise DocumentError(_load_error(exc.err_code)) from None
    try:
        yield doc
    finally:
        with _PDFIUM_LOCK:
            doc.close()


def _load_error(code: int | None) -> str:
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return "the PDF is password-protected"
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return "the PDF uses an unsupported encryption scheme"
    return "the PDF is corrupt or not a PDF (it could not be opened)"


def _read_page(doc: pdfium.PdfDocument, index: int, limits: DocumentLimits) -> list[Segment] | None:
    """Lines of one page, or ``None`` when it has no usable text and OCR is off."""
    with _PDFIUM_LOCK:
        try:
            page = doc[index]
        except pdfium.PdfiumError:
            raise DocumentError(f"page {index + 1} of the PDF is damaged") from None
        try:
            segments = text_segments(page)
            if _usable(segments):
                return group_lines(segments) if _all_boxed(segments) else segments
            if not limits.ocr_enabled:
                return None
            image, scale = _render(page)
        except pdfium.PdfiumError:
            raise DocumentError(f"page {index + 1} of the PDF is damaged") from None
        finally:
            page.close()
    lines = recognize(image)
    return [Segment(line.text, line.box and scale_box(line.box, scale)) for line in lines]


def _usable(segments: list[Segment]) -> bool:
    """Whether a text layer carries real words (not nothing, not undecodable glyph codes)."""
    text = "".join(seg.text for seg in segments)
    if not _WORD_RE.search(text):
        return False
    junk = len(_JUNK_RE.findall(text))
    return junk <= 0.25 * len(text.replace(" ", ""))


def _all_boxed(segments: list[Segment]) -> bool:
    return all(seg.box is not None for seg in segments)


def _render(page: pdfium.PdfPage) -> tuple[Image.Image, float]:
    """Render a page for OCR at about 2000 px on its longest side (at most 300 dpi)."""
    width, height = page.get_size()
    scale = min(RENDER_LONGEST_SIDE / max(width, height, 1.0), RENDER_MAX_SCALE)
    bitmap = page.render(scale=scale)
    try:
        image = bitmap.to_pil().convert("RGB")
    finally:
        bitmap.close()
    return image, scale
