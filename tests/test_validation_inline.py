"""Inlining local $refs before compiling keeps a schema's meaning."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from myloware.records import DocumentType
from myloware.schemas import load_builtin_schema
from myloware.validation._inline import inline_local_refs


def _errors(schema: dict[str, Any], instance: Any) -> set[tuple[str, str]]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return {
        ("/".join(map(str, e.absolute_path)), str(e.validator))
        for e in validator.iter_errors(instance)
    }


def test_local_refs_are_replaced_by_their_targets() -> None:
    """A #/$defs reference becomes the referenced subschema, annotations kept."""
    schema = {
        "$defs": {"amount": {"type": "string", "pattern": "^\\d+$"}},
        "properties": {"total": {"$ref": "#/$defs/amount", "description": "due"}},
    }
    inlined = inline_local_refs(schema)
    assert inlined["properties"]["total"] == {
        "type": "string",
        "pattern": "^\\d+$",
        "description": "due",
    }


def test_builtin_schemas_have_no_refs_left() -> None:
    """Every reference in the built-in schemas is local and gets inlined."""
    for doc_type in DocumentType:
        assert '"$ref"' not in repr(inline_local_refs(load_builtin_schema(doc_type))).replace(
            "'", '"'
        )


def test_recursive_ref_is_kept() -> None:
    """A self-referencing definition keeps its $ref instead of expanding forever."""
    schema = {
        "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}},
        "$ref": "#/$defs/node",
    }
    inlined = inline_local_refs(schema)
    assert inlined["properties"]["next"] == {"$ref": "#/$defs/node"}
    assert _errors(inlined, {"next": {"next": 3}}) == _errors(schema, {"next": {"next": 3}})


def test_conflicting_sibling_keywords_are_combined_with_all_of() -> None:
    """A $ref whose siblings constrain the same keyword keeps both constraints."""
    schema = {
        "$defs": {"small": {"type": "integer", "maximum": 10}},
        "properties": {"n": {"$ref": "#/$defs/small", "maximum": 5}},
    }
    inlined = inline_local_refs(schema)
    assert _errors(inlined, {"n": 7}) == _errors(schema, {"n": 7}) != set()
    assert _errors(inlined, {"n": 12}) == {("n", "maximum")}


def test_enum_data_is_not_treated_as_schema() -> None:
    """An object inside enum that looks like a reference is left untouched."""
    schema = {"$defs": {"x": {"type": "string"}}, "enum": [{"$ref": "#/$defs/x"}]}
    assert inline_local_refs(schema)["enum"] == [{"$ref": "#/$defs/x"}]


@pytest.mark.parametrize(
    "instance",
    [
        {"vendor_name": "A", "total_amount": "1.0"},
        {"vendor_name": "", "total_amount": "1.00", "line_items": [{"amount": 3}]},
        {"total_amount": None, "currency": "eur", "invoice_date": "2024-13-01", "x": 1},
    ],
)
def test_inlined_invoice_schema_reports_the_same_errors(instance: dict[str, Any]) -> None:
    """The inlined invoice schema rejects exactly what the original rejects."""
    schema = load_builtin_schema(DocumentType.INVOICE)
    assert _errors(inline_local_refs(schema), instance) == _errors(schema, instance)
