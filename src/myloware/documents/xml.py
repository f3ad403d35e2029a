"""An XML upload: a UBL or CII e-invoice (XRechnung, Factur-X/ZUGFeRD XML, Peppol BIS).

The document's text is a readable rendering of the invoice (so memory, search and the Run
Trace have something to show) and ``einvoice`` holds its structured data. Any other XML is
refused with the reason: MyloWare reads no other XML vocabulary.
"""

from __future__ import annotations

from dataclasses import replace

from myloware.documents.model import LoadedDocument
from myloware.einvoice import read_einvoice, render_text

MEDIA_TYPE = "application/xml"


def load_xml(data: bytes, *, name: str | None = None) -> LoadedDocument:
    """An e-invoice XML as a document; :class:`DocumentError` for unsafe or other XML."""
    invoice = read_einvoice(data, source=name)
    doc = LoadedDocument.from_text(render_text(invoice), name=name)
    return replace(doc, media_type=MEDIA_TYPE, einvoice=invoice)
