"""PDF loading with pypdfium2: the text layer with line boxes, OCR for pages without one.

Each page's text layer (see :mod:`myloware.documents.pdftext`) is regrouped into visual
lines. A page whose text layer is missing or undecodable (a scan, or glyphs without a Unicode
map) is rendered at about 2000 px and read by OCR when OCR is enabled; its boxes are scaled
back to points. PDFium is not thread-safe, so every PDFium call runs under one process-wide
lock; OCR runs outside it.

A PDF that carries an e-invoice (Factur-X, ZUGFeRD, XRechnung: the XML attached to a
PDF/A-3) keeps it in ``LoadedDocument.einvoice``. An attached XML that cannot be read costs
the document nothing but a warning: it is still read from its text layer. A PDF without a
usable text layer but with an e-invoice is read from the e-invoice alone.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import structlog
from PIL import Image

from myloware.documents.layout import Segment, build_document, group_lines, scale_box
from myloware.documents.limits import DocumentLimits
from myloware.documents.model import LoadedDocument
from myloware.documents.ocr import recognize
from myloware.documents.pdftext import text_segments
from myloware.einvoice import EInvoice, attached_xml, read_einvoice, render_text
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
        attached = _attached(doc, limits)
        read = [_read_page(doc, index, limits) for index in range(count)]
    pages = [page for page, _ in read]
    ocr_pages = tuple(n for n, (_, ocr) in enumerate(read, start=1) if ocr)
    einvoice, warnings = _einvoice(attached)
    unreadable = [n for n, page in enumerate(pages, start=1) if page is None]
    result = [page or [] for page in pages]
    if not any(seg.text.strip() for page in result for seg in page):
        if einvoice is not None:
            return _einvoice_only(einvoice, name, count)
        if unreadable and not limits.ocr_enabled:
            raise DocumentError(
                "the PDF has no readable text layer (scanned pages?) and OCR is disabled"
            )
        raise DocumentError("no text found in the PDF")
    if unreadable and not limits.ocr_enabled:
        log.warning("pdf_pages_skipped", pages=unreadable, reason="no text layer, OCR disabled")
    loaded = build_document(result, media_type=MEDIA_TYPE, name=name)
    return replace(loaded, einvoice=einvoice, warnings=warnings, ocr_pages=ocr_pages)


def _attached(doc: pdfium.PdfDocument, limits: DocumentLimits) -> tuple[str, bytes | str] | None:
    """The attached e-invoice XML (name, bytes), or (name, why it is unreadable); under the
    PDFium lock."""
    with _PDFIUM_LOCK:
        try:
            return attached_xml(doc, max_bytes=limits.max_bytes)
        except DocumentError as exc:
            return "attached XML", exc.message
        except pdfium.PdfiumError:
            return "attached XML", "PDFium could not list the attachments"


def _einvoice(attached: tuple[str, bytes | str] | None) -> tuple[EInvoice | None, tuple[str, ...]]:
    """The attached e-invoice, or a warning saying why it could not be read."""
    if attached is None:
        return None, ()
    source, data = attached
    reason = data if isinstance(data, str) else None
    if isinstance(data, bytes):
        try:
            return read_einvoice(data, source=source), ()
        except DocumentError as exc:
            reason = exc.message
    log.warning("pdf_einvoice_unreadable", attachment=source, reason=reason)
    return None, (f"the e-invoice attached to the PDF ({source}) was not used: {reason}",)


def _einvoice_only(einvoice: EInvoice, name: str | None, pages: int) -> LoadedDocument:
    """A PDF without a text layer: its e-invoice, rendered as text, stands in for it."""
    doc = LoadedDocument.from_text(render_text(einvoice), name=name)
    note = "the PDF has no readable text layer: the text is a rendering of its e-invoice"
    return replace(doc, media_type=MEDIA_TYPE, pages=pages, einvoice=einvoice, warnings=(note,))


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


def _read_page(
    doc: pdfium.PdfDocument, index: int, limits: DocumentLimits
) -> tuple[list[Segment] | None, bool]:
    """Lines of one page (``None`` when it has no usable text and OCR is off), and whether
    they were read by OCR."""
    with _PDFIUM_LOCK:
        try:
            page = doc[index]
        except pdfium.PdfiumError:
            raise DocumentError(f"page {index + 1} of the PDF is damaged") from None
        try:
            segments = text_segments(page)
            if _usable(segments):
                return (group_lines(segments) if _all_boxed(segments) else segments), False
            if not limits.ocr_enabled:
                return None, False
            image, scale = _render(page)
        except pdfium.PdfiumError:
            raise DocumentError(f"page {index + 1} of the PDF is damaged") from None
        finally:
            page.close()
    lines = recognize(image)
    return [Segment(line.text, line.box and scale_box(line.box, scale)) for line in lines], True


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
