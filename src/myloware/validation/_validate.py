"""SchemaGuard's check of one record: schema, business rules, quality score."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from myloware.errors import ValidationFailed
from myloware.records import CanonicalRecord, DocumentType
from myloware.validation._quality import quality_score
from myloware.validation._report import ValidationReport, dedupe
from myloware.validation._schema import check_schema, schema_version
from myloware.validation.rules import DEFAULT_RULES, Rule, RuleContext, run_rules
from myloware.validation.rules.context import ValidationOptions


def validate(
    record: CanonicalRecord,
    schema: Mapping[str, Any],
    *,
    options: ValidationOptions | None = None,
    rules: Mapping[DocumentType, tuple[Rule, ...]] | None = None,
) -> ValidationReport:
    """Validate ``record.values()`` against ``schema`` and the record type's business rules.

    The record is valid when neither the schema nor a rule reports an error; warnings do
    not make it invalid. Issues found by both the schema and a rule (same severity, code
    and field) are reported once. ``schema_version`` is the schema's ``x-schema-version``.

    Raises :class:`~myloware.errors.ValidationFailed` when ``schema`` is not a valid JSON
    Schema or is declared (``x-document-type``) for another document type.
    """
    options = options or ValidationOptions()
    _check_document_type(record, schema)
    today = options.today or datetime.now(UTC).date()
    ctx = RuleContext(record=record, schema=schema, today=today, options=options)
    issues = dedupe(
        [
            *check_schema(ctx.values, schema),
            *run_rules(ctx, (rules or DEFAULT_RULES).get(record.document_type, ())),
        ]
    )
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    return ValidationReport(
        valid=not errors,
        errors=errors,
        warnings=warnings,
        quality_score=quality_score(record, schema, errors=len(errors), warnings=len(warnings)),
        schema_version=schema_version(schema),
    )


def _check_document_type(record: CanonicalRecord, schema: Mapping[str, Any]) -> None:
    declared = schema.get("x-document-type")
    if declared is not None and declared != record.document_type.value:
        raise ValidationFailed(
            f"a {record.document_type.value} record cannot be validated "
            f"against a {declared} schema",
            details={"document_type": record.document_type.value, "schema_type": declared},
        )
