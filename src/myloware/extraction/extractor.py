"""The ``rules`` extractor: deterministic, offline, no model.

``extract(doc)`` detects the document type (unless given), reads that type's canonical
fields with the heuristics of :mod:`invoice`, :mod:`ticket` and :mod:`status_report`, and
returns a :class:`~myloware.records.CanonicalRecord` whose every field carries a confidence
and, where it was read from one place, the source span (character offsets into ``doc.text``,
with page and box when the document had layout) and the raw source text.

A document that carries an e-invoice (``doc.einvoice``) is an INVOICE read from that
structured data instead (:mod:`myloware.extraction.einvoice`), unless the caller declared
another type. An invoice or receipt read by OCR has two typical misreadings undone in its
names and addresses (:mod:`myloware.extraction.ocr_repair`).
"""

from __future__ import annotations

from collections.abc import Callable

from myloware.documents.model import LoadedDocument
from myloware.errors import ExtractionError
from myloware.extraction.calibration import shipped
from myloware.extraction.detect import detect_type_of_text
from myloware.extraction.einvoice import document_findings, einvoice_record
from myloware.extraction.invoice import extract_invoice
from myloware.extraction.language import detect_language
from myloware.extraction.layout import Line, document_lines, repaired_text
from myloware.extraction.ocr_repair import repair_ocr_fields
from myloware.extraction.status_report import extract_status_report
from myloware.extraction.ticket import extract_ticket
from myloware.records import CanonicalRecord, DocumentType, FieldValue

EXTRACTOR_NAME = "rules"

_EXTRACTORS: dict[DocumentType, Callable[[list[Line], str], dict[str, FieldValue]]] = {
    DocumentType.INVOICE: extract_invoice,
    DocumentType.TICKET: extract_ticket,
    DocumentType.STATUS_REPORT: extract_status_report,
}


def extract(
    doc: LoadedDocument, document_type: DocumentType | None = None, *, calibrated: bool = True
) -> CanonicalRecord:
    """Extract the canonical fields of ``doc`` (of ``document_type``, detected when None).

    Confidences are calibrated (:mod:`myloware.extraction.calibration`) unless
    ``calibrated`` is False, as when the calibration itself is fitted.

    Raises :class:`~myloware.errors.ExtractionError` when the document has no text at all.
    """
    if doc.einvoice is not None and document_type in (None, DocumentType.INVOICE):
        return einvoice_record(doc, doc.einvoice)
    if not doc.text.strip():
        raise ExtractionError(
            "the document has no text to extract from", details={"name": doc.name}
        )
    lines = document_lines(doc)
    repaired = repaired_text(lines)
    if document_type is None:
        document_type, _ = detect_type_of_text(repaired)
    fields = _EXTRACTORS[document_type](lines, repaired)
    if doc.read_by_ocr and document_type is DocumentType.INVOICE:
        fields = repair_ocr_fields(fields, repaired)
    record = CanonicalRecord(
        document_type=document_type,
        fields=fields,
        extractor=EXTRACTOR_NAME,
        language=detect_language(repaired),
        findings=document_findings(doc),
    )
    return shipped().apply(record, ocr=doc.read_by_ocr) if calibrated else record
