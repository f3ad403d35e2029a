"""European e-invoices read from their structured data: CII and UBL, in a PDF or alone.

Public API (the modules behind it are implementation detail)::

    read_einvoice(xml_bytes, source=None) -> EInvoice      # DocumentError if unsafe/not one
    looks_like_einvoice(head_bytes) -> bool                # sniffing a text upload
    attached_xml(pdfium_document, max_bytes=...) -> (name, bytes) | None
    render_text(einvoice) -> str                           # the text of a standalone XML
    EInvoice, LineItem                                     # frozen dataclasses

Syntaxes: UN/CEFACT CII (Factur-X, ZUGFeRD 2.x, XRechnung CII; ZUGFeRD 1.0's CII D12) and
OASIS UBL 2.x (XRechnung UBL, Peppol BIS; invoices and credit notes). Parsing is plain
lxml with element paths written out per syntax (:mod:`._cii`, :mod:`._ubl`): ``drafthorse``
covers CII only, and one small reader per syntax into one dataclass keeps CII and UBL, and
ZUGFeRD 1 beside 2, in the same shape.

Names are imported on first use, so ``import myloware.einvoice`` from the document model
(loaded by workflow code too) does not pull in lxml or PDFium.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from myloware.lazy import lazy_exports

if TYPE_CHECKING:
    from myloware.einvoice._model import EInvoice, LineItem
    from myloware.einvoice._pdf import attached_xml
    from myloware.einvoice._read import looks_like_einvoice, read_einvoice
    from myloware.einvoice._render import render_text

_EXPORTS = {
    "EInvoice": "_model",
    "LineItem": "_model",
    "attached_xml": "_pdf",
    "looks_like_einvoice": "_read",
    "read_einvoice": "_read",
    "render_text": "_render",
}

__all__ = ["EInvoice", "LineItem", "attached_xml", "looks_like_einvoice", "read_einvoice",
           "render_text"]  # fmt: skip


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
