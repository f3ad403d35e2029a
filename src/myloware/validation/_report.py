"""The result types of validation: an :class:`Issue` and the :class:`ValidationReport`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

Severity = Literal["error", "warning"]


class Issue(BaseModel):
    """One problem found in a record.

    ``code`` is a stable machine-readable identifier (``required``, ``invalid_enum``,
    ``totals_mismatch`` ...), ``field`` the path of the offending value
    (``total_amount``, ``line_items[2].amount``; empty for the record as a whole) and
    ``message`` a sentence for people.
    """

    model_config = {"frozen": True}

    code: str
    field: str
    message: str
    severity: Severity = "error"


class ValidationReport(BaseModel):
    """What SchemaGuard concluded about one record."""

    valid: bool
    errors: list[Issue] = Field(default_factory=list)
    warnings: list[Issue] = Field(default_factory=list)
    quality_score: float = Field(ge=0.0, le=1.0)
    schema_version: str | None = None


def dedupe(issues: Iterable[Issue]) -> list[Issue]:
    """Issues in order, keeping only the first of those with the same severity, code and field.

    The schema and a business rule may both notice the same thing (a missing required
    field, a percentage out of range); the report says it once.
    """
    seen: set[tuple[str, str, str]] = set()
    kept: list[Issue] = []
    for issue in issues:
        key = (issue.severity, issue.code, issue.field)
        if key not in seen:
            seen.add(key)
            kept.append(issue)
    return kept
