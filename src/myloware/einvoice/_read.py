"""From XML bytes to an :class:`EInvoice`: safe parsing, then the reader for the syntax."""

from __future__ import annotations

from myloware.einvoice import _cii, _ubl
from myloware.einvoice._model import EInvoice
from myloware.einvoice._xml import local_name, namespace, parse_xml
from myloware.errors import DocumentError

#: namespaces whose presence near the start of a text file makes it an e-invoice candidate
MARKERS = (
    _cii.CII_NAMESPACE.encode(),
    _cii.ZUGFERD1_NAMESPACE.encode(),
    _ubl.INVOICE_NAMESPACE.encode(),
    _ubl.CREDIT_NOTE_NAMESPACE.encode(),
)


def read_einvoice(data: bytes, *, source: str | None = None) -> EInvoice:
    """The e-invoice in ``data`` (CII or UBL XML).

    Raises :class:`~myloware.errors.DocumentError` for XML that is unsafe (a DTD),
    not well-formed, or not a UBL or CII invoice (the message names the root it found).
    """
    root = parse_xml(data)
    key = (namespace(root), local_name(root))
    if key in _cii.ROOTS:
        invoice = _cii.read_cii(root, source=source)
    elif key in _ubl.ROOTS:
        invoice = _ubl.read_ubl(root, source=source)
    else:
        found = f"{{{key[0]}}}{key[1]}" if key[0] else key[1]
        raise DocumentError(
            f"an XML document that is not a UBL or CII invoice (its root element is {found})",
            details={"root": found},
        )
    if invoice.invoice_number is None and invoice.total_amount is None:
        raise DocumentError(
            f"the {invoice.syntax} invoice has neither an invoice number nor a total"
        )
    return invoice


def looks_like_einvoice(head: bytes) -> bool:
    """Whether the start of a text file names a CII or UBL invoice namespace."""
    return any(marker in head for marker in MARKERS)
