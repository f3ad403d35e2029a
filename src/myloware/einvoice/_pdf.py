"""The e-invoice XML attached to a PDF (Factur-X, ZUGFeRD 1 and 2, XRechnung in a PDF/A-3).

Read with PDFium, which MyloWare already opens every PDF with for its text layer: the
embedded files of the document's name tree are listed and the invoice is taken by its
standard file name (``factur-x.xml``, ``zugferd-invoice.xml``, ``ZUGFeRD-invoice.xml``,
``xrechnung.xml``), else the first other ``.xml`` attachment. The ``factur-x`` package would
do the same with a second, pure-Python PDF parser and would pull ``pypdf`` in for it; PDFium
is faster, already a dependency, and needs nothing but this one function.

The caller holds the PDFium lock (PDFium is not thread-safe) and parses the bytes after
releasing it.
"""

from __future__ import annotations

import ctypes

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from myloware.errors import DocumentError

STANDARD_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")


def attached_xml(pdf: pdfium.PdfDocument, *, max_bytes: int) -> tuple[str, bytes] | None:
    """``(file name, bytes)`` of the invoice XML attached to ``pdf``, or None without one.

    Raises :class:`~myloware.errors.DocumentError` when that attachment is larger than
    ``max_bytes`` or cannot be read.
    """
    candidates: list[tuple[int, str, pdfium.PdfAttachment]] = []
    for index in range(pdf.count_attachments()):
        attachment = pdf.get_attachment(index)
        try:
            name = attachment.get_name()
        except pdfium.PdfiumError:
            continue
        lowered = name.lower()
        if lowered in STANDARD_NAMES:
            candidates.append((STANDARD_NAMES.index(lowered), name, attachment))
        elif lowered.endswith(".xml"):
            candidates.append((len(STANDARD_NAMES), name, attachment))
    if not candidates:
        return None
    _, name, attachment = min(candidates, key=lambda c: c[0])
    return name, _data(attachment, name, max_bytes)


def _data(attachment: pdfium.PdfAttachment, name: str, max_bytes: int) -> bytes:
    size = ctypes.c_ulong()
    pdfium_c.FPDFAttachment_GetFile(attachment, None, 0, size)
    if size.value > max_bytes:
        raise DocumentError(f"the attached {name} is too big ({size.value} bytes)")
    try:
        return bytes(attachment.get_data())
    except pdfium.PdfiumError:
        raise DocumentError(f"the attached {name} could not be read") from None
