"""JsonRestyler: whole records to the canonical form of the JSON Schemas."""

from __future__ import annotations

from typing import Any

import jsonschema

from myloware.normalize import restyle, restyle_with_report
from myloware.normalize.kinds import Kind, field_kinds
from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.schemas import load_builtin_schema


def _record(document_type: DocumentType, **values: Any) -> CanonicalRecord:
    return CanonicalRecord(
        document_type=document_type,
        fields={name: FieldValue(value=value, confidence=0.9) for name, value in values.items()},
        extractor="test",
    )


def test_field_kinds_come_from_the_schemas() -> None:
    """Kinds are derived from the JSON Schemas (dates, amounts, enums, lists)."""
    invoice = field_kinds(DocumentType.INVOICE)
    assert invoice["invoice_date"].kind is Kind.DATE
    assert invoice["total_amount"].kind is Kind.AMOUNT
    assert invoice["currency"].kind is Kind.CURRENCY
    assert invoice["line_items"].kind is Kind.OBJECT_LIST
    ticket = field_kinds(DocumentType.TICKET)
    assert ticket["priority"].choices == ("LOW", "MEDIUM", "HIGH", "URGENT")
    assert ticket["tags"].kind is Kind.STRING_LIST


def test_invoice_values_are_restyled_and_validate_against_the_schema() -> None:
    """A messy invoice becomes ISO dates, two-place strings, ISO currency and valid JSON."""
    record = _record(
        DocumentType.INVOICE,
        vendor_name="  ACME   SDN BHD ",
        invoice_date="25/12/2018",
        due_date="Jan 8, 2019",
        currency="RM",
        subtotal="1.234,50",
        tax_amount="RM 74.07",
        tax_rate="6 %",
        total_amount=1308.57,
        line_items=[
            {"name": "Widget", "qty": "2", "price": "617,25", "total": "1234.50", "sku": "X1"}
        ],
    )
    restyled = restyle(record)
    values = restyled.values()
    assert values == {
        "vendor_name": "ACME SDN BHD",
        "invoice_date": "2018-12-25",
        "due_date": "2019-01-08",
        "currency": "MYR",
        "subtotal": "1234.50",
        "tax_amount": "74.07",
        "tax_rate": 6.0,
        "total_amount": "1308.57",
        "line_items": [
            {"description": "Widget", "quantity": 2.0, "unit_price": "617.25", "amount": "1234.50"}
        ],
    }
    jsonschema.validate(values, load_builtin_schema(DocumentType.INVOICE))


def test_values_that_cannot_be_normalised_are_left_out_and_reported() -> None:
    """Unreadable values and unknown fields are removed, each with a reason."""
    record = _record(
        DocumentType.INVOICE,
        vendor_name="ACME",
        invoice_date="someday",
        total_amount="n/a",
        colour="red",
    )
    restyled, rejected = restyle_with_report(record)
    assert restyled.values() == {"vendor_name": "ACME"}
    assert {r.field: r.reason for r in rejected} == {
        "invoice_date": "cannot be read as date",
        "total_amount": "cannot be read as amount",
        "colour": "not a field of the schema",
    }


def test_ticket_enums_lists_and_language_are_restyled() -> None:
    """Enums are upper-cased, tags de-duplicated and the language reduced to ISO 639-1."""
    record = _record(
        DocumentType.TICKET,
        subject="Login broken",
        priority="hoch",
        ticket_type="incident",
        language="German",
        tags=["Login", " login ", "", "Security"],
        sentiment="negative",
        customer_email="Ann <ann@example.org>",
    )
    values = restyle(record).values()
    assert values == {
        "subject": "Login broken",
        "priority": "HIGH",
        "ticket_type": "INCIDENT",
        "language": "de",
        "tags": ["Login", "Security"],
        "sentiment": "NEGATIVE",
        "customer_email": "ann@example.org",
    }
    jsonschema.validate(values, load_builtin_schema(DocumentType.TICKET))


def test_status_report_risks_and_percent_are_restyled() -> None:
    """Risks keep schema keys with upper-case severity; percent_complete is a number."""
    record = _record(
        DocumentType.STATUS_REPORT,
        project_name="Phoenix",
        overall_status="yellow",
        percent_complete="65%",
        reporting_period_start="1. März 2024",
        risks=[
            {"description": "Vendor delay", "impact": "high", "owner": "Kim"},
            {"severity": "low"},
        ],
    )
    values = restyle(record).values()
    assert values == {
        "project_name": "Phoenix",
        "overall_status": "AMBER",
        "percent_complete": 65.0,
        "reporting_period_start": "2024-03-01",
        "risks": [{"description": "Vendor delay", "severity": "HIGH"}],
    }
    jsonschema.validate(values, load_builtin_schema(DocumentType.STATUS_REPORT))


def test_restyle_is_idempotent_and_keeps_provenance() -> None:
    """Restyling twice changes nothing; confidence and span survive, raw keeps the source."""
    record = CanonicalRecord(
        document_type=DocumentType.INVOICE,
        fields={"total_amount": FieldValue(value="RM 9.00", confidence=0.8, span=(10, 17))},
    )
    once = restyle(record)
    assert restyle(once) == once
    fv = once.fields["total_amount"]
    assert (fv.value, fv.confidence, fv.span, fv.raw) == ("9.00", 0.8, (10, 17), "RM 9.00")


def test_empty_values_are_dropped_silently() -> None:
    """Empty strings and lists are simply absent, not reported as rejections."""
    record = _record(DocumentType.TICKET, subject="", tags=[])
    restyled, rejected = restyle_with_report(record)
    assert restyled.fields == {} and rejected == []
