"""The built-in canonical document schemas and their loader."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.schemas import (
    BUILTIN_VERSIONS,
    builtin_schema_rows,
    current_version,
    load_builtin_schema,
    load_builtin_schemas,
)
from myloware.validation import validate

# The public field contract of ARCHITECTURE.md "Canonical document schemas (version 1)".
INVOICE_V1 = {
    "vendor_name", "vendor_address", "vendor_tax_id", "buyer_name", "buyer_address",
    "invoice_number", "invoice_date", "due_date", "po_number", "currency", "subtotal",
    "tax_amount", "tax_rate", "total_amount", "payment_terms", "line_items",
}  # fmt: skip
# INVOICE version 2: what accounts payable pays by (docs/accuracy.md, issue 10 item 5).
INVOICE_V2_ADDS = {"buyer_tax_id", "iban", "bic"}
CONTRACT = {
    DocumentType.INVOICE: INVOICE_V1 | INVOICE_V2_ADDS,
    DocumentType.TICKET: {
        "subject", "summary", "customer_name", "customer_email", "ticket_type", "queue",
        "priority", "category", "language", "tags", "sentiment",
    },
    DocumentType.STATUS_REPORT: {
        "project_name", "reporting_period_start", "reporting_period_end", "author",
        "overall_status", "percent_complete", "accomplishments", "next_steps", "risks",
        "budget_status",
    },
}  # fmt: skip


def test_one_schema_per_document_type() -> None:
    """The loader returns a schema for every document type."""
    assert set(load_builtin_schemas()) == set(DocumentType)


@pytest.mark.parametrize("doc_type", list(DocumentType))
def test_schema_is_valid_draft_2020_12(doc_type: DocumentType) -> None:
    """Each built-in schema is itself a valid draft 2020-12 JSON Schema."""
    schema = load_builtin_schema(doc_type)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("doc_type", list(DocumentType))
def test_schema_fields_match_the_public_contract(doc_type: DocumentType) -> None:
    """Each schema defines exactly the canonical fields and forbids others."""
    schema = load_builtin_schema(doc_type)
    assert set(schema["properties"]) == CONTRACT[doc_type]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("doc_type", list(DocumentType))
def test_schema_annotations_name_type_and_version(doc_type: DocumentType) -> None:
    """Each schema declares its document type and the current version."""
    schema = load_builtin_schema(doc_type)
    assert schema["x-document-type"] == doc_type.value
    assert schema["x-schema-version"] == current_version(doc_type)
    assert current_version(doc_type) == ("2" if doc_type is DocumentType.INVOICE else "1")


def test_invoice_version_1_stays_loadable_and_version_2_only_adds_optional_fields() -> None:
    """Version 2 keeps every field of version 1 as it was and adds optional ones only."""
    v1 = load_builtin_schema(DocumentType.INVOICE, "1")
    v2 = load_builtin_schema(DocumentType.INVOICE, "2")
    assert set(v1["properties"]) == INVOICE_V1 and v1["x-schema-version"] == "1"
    assert set(v2["properties"]) - set(v1["properties"]) == INVOICE_V2_ADDS
    assert {k: v2["properties"][k] for k in ("invoice_number", "total_amount", "po_number")} == {
        k: v1["properties"][k] for k in ("invoice_number", "total_amount", "po_number")
    }
    assert v2["required"] == v1["required"]
    v1_item, v2_item = (s["$defs"]["line_item"] for s in (v1, v2))
    assert set(v2_item["properties"]) - set(v1_item["properties"]) == {"tax_rate"}
    with pytest.raises(KeyError):
        load_builtin_schema(DocumentType.INVOICE, "3")


def _invoice(**values: object) -> CanonicalRecord:
    """A version 1 invoice record, with ``values`` added or replaced."""
    base: dict[str, object] = {
        "vendor_name": "Lieferant GmbH",
        "invoice_number": "R-1",
        "invoice_date": "2024-02-12",
        "po_number": "PO-7",
        "payment_terms": "14 Tage netto",
        "subtotal": "150.00",
        "tax_amount": "28.50",
        "total_amount": "178.50",
        "line_items": [{"description": "Desk", "quantity": 1, "unit_price": "150.00",
                        "amount": "150.00"}],
    }  # fmt: skip
    fields = {k: FieldValue(value=v, confidence=0.9) for k, v in {**base, **values}.items()}
    return CanonicalRecord(document_type=DocumentType.INVOICE, fields=fields)


def test_a_version_1_invoice_record_is_valid_under_version_2() -> None:
    """Records written under version 1 validate against version 2 unchanged."""
    record = _invoice()
    assert validate(record, load_builtin_schema(DocumentType.INVOICE, "1")).valid
    report = validate(record, load_builtin_schema(DocumentType.INVOICE, "2"))
    assert report.valid and report.schema_version == "2"


def test_version_2_checks_the_new_fields() -> None:
    """An IBAN with spaces and a line tax rate over 100 are refused by version 2."""
    schema = load_builtin_schema(DocumentType.INVOICE, "2")
    good = _invoice(iban="DE89370400440532013000", bic="COBADEFFXXX", buyer_tax_id="FR40303265045")
    assert validate(good, schema).valid
    item = {"description": "Desk", "quantity": 1, "amount": "150.00", "tax_rate": 190}
    bad = _invoice(iban="DE89 3704", line_items=[item])
    errors = {issue.field for issue in validate(bad, schema).errors}
    assert "iban" in errors and any(f.startswith("line_items") for f in errors), errors


@pytest.mark.parametrize(
    ("doc_type", "required"),
    [
        (DocumentType.INVOICE, ["vendor_name", "total_amount"]),
        (DocumentType.TICKET, ["subject", "summary"]),
        (DocumentType.STATUS_REPORT, ["project_name"]),
    ],
)
def test_schema_description_documents_required_fields(
    doc_type: DocumentType, required: list[str]
) -> None:
    """Each schema's description names its required fields."""
    description = load_builtin_schema(doc_type)["description"]
    assert "Required" in description
    assert all(name in description for name in required)


def test_loader_returns_fresh_copies() -> None:
    """Mutating a loaded schema does not change what the next caller gets."""
    first = load_builtin_schemas()[DocumentType.INVOICE]
    first["properties"].clear()
    assert load_builtin_schemas()[DocumentType.INVOICE]["properties"]


def test_rows_for_seeding_the_schemas_table() -> None:
    """Seeding rows carry name, version, document type and the definition of every version."""
    rows = builtin_schema_rows()
    assert {(r.document_type, r.version) for r in rows} == {
        (doc_type, version)
        for doc_type, versions in BUILTIN_VERSIONS.items()
        for version in versions
    }
    invoice = [r for r in rows if r.document_type is DocumentType.INVOICE]
    assert [(r.name, r.version) for r in invoice] == [("invoice", "1"), ("invoice", "2")]
    assert invoice[-1].definition == load_builtin_schema(DocumentType.INVOICE)
    assert invoice[0].definition == load_builtin_schema(DocumentType.INVOICE, "1")
    assert {r.name for r in rows if r.document_type is DocumentType.STATUS_REPORT} == {
        "status_report"
    }
