"""Human corrections: applied as certain, span-less values on a copy of the record."""

from __future__ import annotations

from datetime import date

from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.schemas import load_builtin_schema
from myloware.validation import HUMAN_CORRECTION, ValidationOptions, apply_corrections, validate


def _record() -> CanonicalRecord:
    return CanonicalRecord(
        document_type=DocumentType.INVOICE,
        fields={
            "vendor_name": FieldValue(value="Acme", confidence=0.8, span=(0, 4), raw="ACME"),
            "total_amount": FieldValue(value="11.90", confidence=0.4, span=(50, 55), page=1),
        },
        extractor="rules",
    )


def test_corrected_field_is_certain_and_has_no_span() -> None:
    """A corrected field gets confidence 1.0, raw 'human correction' and no location."""
    corrected = apply_corrections(_record(), {"total_amount": "119.00"})
    fv = corrected.fields["total_amount"]
    assert (fv.value, fv.confidence, fv.raw) == ("119.00", 1.0, HUMAN_CORRECTION)
    assert fv.span is None and fv.page is None and fv.box is None


def test_uncorrected_fields_and_metadata_are_kept() -> None:
    """Fields not corrected, the type and the extractor are unchanged."""
    corrected = apply_corrections(_record(), {"total_amount": "119.00"})
    assert corrected.fields["vendor_name"] == _record().fields["vendor_name"]
    assert (corrected.document_type, corrected.extractor) == (DocumentType.INVOICE, "rules")


def test_original_record_is_not_changed() -> None:
    """Applying corrections leaves the input record as it was."""
    record = _record()
    apply_corrections(record, {"total_amount": "119.00", "currency": "EUR"})
    assert record == _record()


def test_correction_can_add_and_clear_fields() -> None:
    """A correction may set a field the extractor missed, or clear one to null."""
    corrected = apply_corrections(_record(), {"currency": "EUR", "vendor_name": None})
    assert corrected.get("currency") == "EUR"
    assert corrected.fields["vendor_name"].value is None
    assert corrected.fields["vendor_name"].confidence == 1.0


def test_corrected_record_revalidates() -> None:
    """Correcting the field an error pointed at makes the record valid again."""
    schema = load_builtin_schema(DocumentType.INVOICE)
    options = ValidationOptions(today=date(2024, 6, 1))
    record = apply_corrections(_record(), {"total_amount": "11.9"})
    assert not validate(record, schema, options=options).valid
    fixed = apply_corrections(record, {"total_amount": "11.90"})
    assert validate(fixed, schema, options=options).valid
