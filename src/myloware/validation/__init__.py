"""SchemaGuard's domain logic: validate a canonical record, score it, apply corrections.

Pure functions, no I/O::

    from myloware.schemas import load_builtin_schemas
    from myloware.validation import validate

    report = validate(record, load_builtin_schemas()[record.document_type])
    report.valid, report.errors, report.warnings, report.quality_score

Business rules live in :mod:`myloware.validation.rules` (one small function each, listed
per document type in ``DEFAULT_RULES``).
"""

from myloware.validation._corrections import HUMAN_CORRECTION, apply_corrections
from myloware.validation._quality import quality_score
from myloware.validation._report import Issue, Severity, ValidationReport
from myloware.validation._schema import compiled_validator, required_groups
from myloware.validation._validate import validate
from myloware.validation.rules import DEFAULT_RULES, Rule, RuleContext, ValidationOptions

__all__ = [
    "DEFAULT_RULES",
    "HUMAN_CORRECTION",
    "Issue",
    "Rule",
    "RuleContext",
    "Severity",
    "ValidationOptions",
    "ValidationReport",
    "apply_corrections",
    "compiled_validator",
    "quality_score",
    "required_groups",
    "validate",
]
