"""SchemaGuard's business rules and the registry of which apply to which document type.

Add a rule by writing a pure function ``(RuleContext) -> list[Issue]`` next to its peers
and listing it in :data:`DEFAULT_RULES`; or pass your own mapping to
:func:`myloware.validation.validate` (``rules=``), e.g.
``{**DEFAULT_RULES, DocumentType.INVOICE: (*DEFAULT_RULES[DocumentType.INVOICE], my_rule)}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from myloware.records import DocumentType
from myloware.validation._report import Issue
from myloware.validation.rules.common import (
    dates_not_far_future,
    extractor_findings,
    low_confidence_required,
    required_fields_present,
)
from myloware.validation.rules.context import Rule, RuleContext, ValidationOptions
from myloware.validation.rules.invoice import (
    amounts_non_negative,
    due_date_not_before_invoice_date,
    line_items_sum_to_subtotal,
    tax_rate_consistent,
    totals_add_up,
)
from myloware.validation.rules.status_report import (
    percent_complete_in_range,
    period_end_not_before_start,
)

COMMON_RULES: tuple[Rule, ...] = (
    required_fields_present,
    low_confidence_required,
    dates_not_far_future,
    extractor_findings,
)

DEFAULT_RULES: Mapping[DocumentType, tuple[Rule, ...]] = MappingProxyType(
    {
        DocumentType.INVOICE: (
            *COMMON_RULES,
            amounts_non_negative,
            line_items_sum_to_subtotal,
            totals_add_up,
            tax_rate_consistent,
            due_date_not_before_invoice_date,
        ),
        DocumentType.TICKET: COMMON_RULES,
        DocumentType.STATUS_REPORT: (
            *COMMON_RULES,
            period_end_not_before_start,
            percent_complete_in_range,
        ),
    }
)


def run_rules(ctx: RuleContext, rules: tuple[Rule, ...]) -> list[Issue]:
    """Every issue the given rules find, in rule order."""
    return [issue for rule in rules for issue in rule(ctx)]


__all__ = [
    "COMMON_RULES",
    "DEFAULT_RULES",
    "Rule",
    "RuleContext",
    "ValidationOptions",
    "amounts_non_negative",
    "dates_not_far_future",
    "due_date_not_before_invoice_date",
    "extractor_findings",
    "line_items_sum_to_subtotal",
    "low_confidence_required",
    "percent_complete_in_range",
    "period_end_not_before_start",
    "required_fields_present",
    "run_rules",
    "tax_rate_consistent",
    "totals_add_up",
]
