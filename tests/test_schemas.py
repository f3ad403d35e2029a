"""The built-in canonical document schemas and their loader."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from myloware.records import DocumentType
from myloware.schemas import (
    SCHEMA_VERSION,
    builtin_schema_rows,
    load_builtin_schema,
    load_builtin_schemas,
)

# The public field contract of ARCHITECTURE.md "Canonical document schemas (version 1)".
CONTRACT = {
    DocumentType.INVOICE: {
        "vendor_name", "vendor_address", "vendor_tax_id", "buyer_name", "buyer_address",
        "invoice_number", "invoice_date", "due_date", "po_number", "currency", "subtotal",
        "tax_amount", "tax_rate", "total_amount", "payment_terms", "line_items",
    },
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
    assert schema["x-schema-version"] == SCHEMA_VERSION == "1"


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
    """Seeding rows carry name, version, document type and the definition."""
    rows = {row.document_type: row for row in builtin_schema_rows()}
    assert set(rows) == set(DocumentType)
    invoice = rows[DocumentType.INVOICE]
    name, version, doc_type, definition = invoice
    assert (name, version, doc_type) == ("invoice", "1", DocumentType.INVOICE)
    assert definition == load_builtin_schema(DocumentType.INVOICE)
    assert rows[DocumentType.STATUS_REPORT].name == "status_report"
