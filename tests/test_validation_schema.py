"""SchemaGuard's JSON Schema checks: valid records pass, bad values get clear issues."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from myloware.errors import ValidationFailed
from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.schemas import current_version, load_builtin_schema
from myloware.validation import (
    Issue,
    ValidationOptions,
    ValidationReport,
    compiled_validator,
    validate,
)

OPTIONS = ValidationOptions(today=date(2024, 6, 1))

VALID_VALUES: dict[DocumentType, dict[str, Any]] = {
    DocumentType.INVOICE: {
        "vendor_name": "Acme Supplies GmbH",
        "vendor_address": "Hauptstr. 1, 10115 Berlin",
        "vendor_tax_id": "DE123456789",
        "buyer_name": "Globex Ltd",
        "buyer_address": "1 Market St, London",
        "invoice_number": "INV-2024-0042",
        "invoice_date": "2024-05-02",
        "due_date": "2024-06-01",
        "po_number": "PO-7",
        "currency": "EUR",
        "subtotal": "100.00",
        "tax_amount": "19.00",
        "tax_rate": 19,
        "total_amount": "119.00",
        "payment_terms": "30 days net",
        "line_items": [
            {"description": "Widget", "quantity": 2, "unit_price": "25.00", "amount": "50.00"},
            {"description": "Gadget", "quantity": 1, "unit_price": "50.00", "amount": "50.00"},
        ],
    },
    DocumentType.TICKET: {
        "subject": "Cannot log in",
        "summary": "User locked out after password reset",
        "customer_name": "Jane Roe",
        "customer_email": "jane@example.com",
        "ticket_type": "INCIDENT",
        "queue": "Technical Support",
        "priority": "HIGH",
        "category": "Access",
        "language": "en",
        "tags": ["login", "password"],
        "sentiment": "NEGATIVE",
    },
    DocumentType.STATUS_REPORT: {
        "project_name": "Apollo",
        "reporting_period_start": "2024-05-01",
        "reporting_period_end": "2024-05-31",
        "author": "Sam Lee",
        "overall_status": "AMBER",
        "percent_complete": 62.5,
        "accomplishments": ["API shipped"],
        "next_steps": ["Load test"],
        "risks": [{"description": "Vendor delay", "severity": "HIGH", "mitigation": "Backup"}],
        "budget_status": "On budget",
    },
}


def _record(doc_type: DocumentType, **overrides: Any) -> CanonicalRecord:
    values = {**VALID_VALUES[doc_type], **overrides}
    return CanonicalRecord(
        document_type=doc_type,
        fields={name: FieldValue(value=value, confidence=0.95) for name, value in values.items()},
    )


def _check(record: CanonicalRecord) -> ValidationReport:
    return validate(record, load_builtin_schema(record.document_type), options=OPTIONS)


def _only_error(report: ValidationReport) -> Issue:
    assert len(report.errors) == 1, report.errors
    return report.errors[0]


@pytest.mark.parametrize("doc_type", list(DocumentType))
def test_fully_valid_record_passes(doc_type: DocumentType) -> None:
    """A complete, consistent record of each type is valid with no issues."""
    report = _check(_record(doc_type))
    assert report.valid
    assert report.errors == [] and report.warnings == []
    assert report.schema_version == current_version(doc_type)
    assert 0.9 < report.quality_score <= 1.0


def test_wrong_enum_is_rejected_with_allowed_values() -> None:
    """A lower-case enum value is rejected and the message lists the allowed values."""
    issue = _only_error(_check(_record(DocumentType.TICKET, priority="high")))
    assert (issue.code, issue.field) == ("invalid_enum", "priority")
    assert "LOW, MEDIUM, HIGH, URGENT" in issue.message and "'high'" in issue.message


@pytest.mark.parametrize("bad", ["2024-02-30", "02/05/2024", "20240502"])
def test_bad_date_is_rejected(bad: str) -> None:
    """A date that is not a real ISO YYYY-MM-DD date is rejected."""
    issue = _only_error(_check(_record(DocumentType.INVOICE, due_date=bad)))
    assert (issue.code, issue.field) == ("invalid_format", "due_date")
    assert "ISO date" in issue.message and bad in issue.message


@pytest.mark.parametrize("bad", ["119", "119.0", "1,119.00", "€119.00"])
def test_bad_amount_is_rejected(bad: str) -> None:
    """An amount not written as a two-place decimal string is rejected."""
    report = _check(_record(DocumentType.INVOICE, total_amount=bad))
    issue = next(i for i in report.errors if i.field == "total_amount")
    assert issue.code == "invalid_format"
    assert '"12.50"' in issue.message


def test_amount_as_number_is_a_type_error() -> None:
    """An amount given as a JSON number rather than a string is rejected by type."""
    issue = _only_error(_check(_record(DocumentType.INVOICE, tax_amount=19.0)))
    assert (issue.code, issue.field) == ("invalid_type", "tax_amount")
    assert "must be a string or null, not number" in issue.message


def test_bad_line_item_amount_has_indexed_path() -> None:
    """A bad value inside a line item is reported with its list index."""
    items = [{"description": "Widget", "amount": "100.0"}]
    report = _check(_record(DocumentType.INVOICE, line_items=items))
    assert [i.field for i in report.errors] == ["line_items[0].amount"]


def test_extra_field_is_rejected() -> None:
    """A field the schema does not define is an unknown_field error."""
    issue = _only_error(_check(_record(DocumentType.INVOICE, fax_number="0800 123")))
    assert (issue.code, issue.field) == ("unknown_field", "fax_number")
    assert "fax_number is not a field" in issue.message


def test_extra_field_in_nested_object_is_rejected() -> None:
    """An unknown key inside a risk is reported at its nested path."""
    risks = [{"description": "Delay", "owner": "Sam"}]
    issue = _only_error(_check(_record(DocumentType.STATUS_REPORT, risks=risks)))
    assert (issue.code, issue.field) == ("unknown_field", "risks[0].owner")


def test_missing_required_field_is_reported_once() -> None:
    """A missing required field yields a single required error, not one per checker."""
    record = _record(DocumentType.INVOICE)
    del record.fields["total_amount"]
    issue = _only_error(_check(record))
    assert (issue.code, issue.field) == ("required", "total_amount")
    assert issue.message == "total_amount is required"


def test_null_required_field_is_reported() -> None:
    """A required field present but null is a required error."""
    issue = _only_error(_check(_record(DocumentType.STATUS_REPORT, project_name=None)))
    assert (issue.code, issue.field) == ("required", "project_name")


def test_optional_fields_may_be_null() -> None:
    """Null is accepted for every optional field."""
    nulls = {
        name: None
        for name in VALID_VALUES[DocumentType.TICKET]
        if name not in ("subject", "summary")
    }
    assert _check(_record(DocumentType.TICKET, **nulls)).valid


def test_ticket_needs_subject_or_summary() -> None:
    """A ticket with only a summary is valid; with neither, one required error names both."""
    only_summary = _record(DocumentType.TICKET, subject=None)
    assert _check(only_summary).valid
    neither = _record(DocumentType.TICKET, subject=None, summary="  ")
    issue = _only_error(_check(neither))
    assert issue.code == "required"
    assert issue.message == "one of subject, summary is required"


def test_bad_email_and_language_are_rejected() -> None:
    """A malformed e-mail and a non ISO 639-1 language are format errors."""
    report = _check(_record(DocumentType.TICKET, customer_email="jane", language="EN"))
    assert {(i.code, i.field) for i in report.errors} == {
        ("invalid_format", "customer_email"),
        ("invalid_format", "language"),
    }


def test_bad_currency_is_rejected() -> None:
    """A currency that is not three upper-case letters is rejected."""
    issue = _only_error(_check(_record(DocumentType.INVOICE, currency="€")))
    assert (issue.code, issue.field) == ("invalid_format", "currency")
    assert "ISO 4217" in issue.message


def test_percent_complete_out_of_range_is_reported_once() -> None:
    """percent_complete above 100 is one out_of_range error (schema and rule agree)."""
    issue = _only_error(_check(_record(DocumentType.STATUS_REPORT, percent_complete=150)))
    assert (issue.code, issue.field) == ("out_of_range", "percent_complete")


def test_schema_for_another_type_is_refused() -> None:
    """Validating a ticket against the invoice schema raises ValidationFailed."""
    with pytest.raises(ValidationFailed, match="TICKET record"):
        validate(_record(DocumentType.TICKET), load_builtin_schema(DocumentType.INVOICE))


def test_invalid_schema_is_refused() -> None:
    """A schema that is not valid JSON Schema raises ValidationFailed."""
    with pytest.raises(ValidationFailed, match="not a valid JSON Schema"):
        validate(_record(DocumentType.TICKET), {"type": "no-such-type"})


def test_equal_schemas_share_one_compiled_validator() -> None:
    """Two separately loaded copies of a schema reuse the same compiled validator."""
    first = compiled_validator(load_builtin_schema(DocumentType.INVOICE))
    second = compiled_validator(load_builtin_schema(DocumentType.INVOICE))
    assert first is second


def test_schema_version_absent_when_schema_has_none() -> None:
    """A schema without x-schema-version yields a report with schema_version None."""
    schema = {"type": "object", "properties": {"subject": {"type": "string"}}}
    report = validate(_record(DocumentType.TICKET), schema, options=OPTIONS)
    assert report.schema_version is None
