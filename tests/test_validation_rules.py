"""SchemaGuard's business rules, each on its own: what passes, what it reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.schemas import load_builtin_schema
from myloware.validation import DEFAULT_RULES, Issue, RuleContext, ValidationOptions, validate
from myloware.validation.rules import (
    amounts_non_negative,
    dates_not_far_future,
    due_date_not_before_invoice_date,
    line_items_sum_to_subtotal,
    low_confidence_required,
    percent_complete_in_range,
    period_end_not_before_start,
    required_fields_present,
    tax_rate_consistent,
    totals_add_up,
)

TODAY = date(2024, 6, 1)


def _ctx(
    doc_type: DocumentType,
    *,
    confidence: float = 0.9,
    options: ValidationOptions | None = None,
    **values: Any,
) -> RuleContext:
    record = CanonicalRecord(
        document_type=doc_type,
        fields={n: FieldValue(value=v, confidence=confidence) for n, v in values.items()},
    )
    return RuleContext(
        record=record,
        schema=load_builtin_schema(doc_type),
        today=TODAY,
        options=options or ValidationOptions(),
    )


def _invoice(**values: Any) -> RuleContext:
    return _ctx(DocumentType.INVOICE, **values)


def _codes(issues: list[Issue]) -> list[tuple[str, str, str]]:
    return [(i.severity, i.code, i.field) for i in issues]


def _items(*amounts: str) -> list[dict[str, Any]]:
    return [{"description": f"item {n}", "amount": a} for n, a in enumerate(amounts)]


# --- required fields -------------------------------------------------------------------


def test_required_fields_present_passes_when_filled() -> None:
    """An invoice with vendor and total satisfies the required-fields rule."""
    assert required_fields_present(_invoice(vendor_name="Acme", total_amount="1.00")) == []


@pytest.mark.parametrize("vendor", [None, "", "   "])
def test_required_fields_present_flags_missing_and_blank(vendor: str | None) -> None:
    """Absent, null and blank required fields are each a required error."""
    issues = required_fields_present(_invoice(vendor_name=vendor))
    assert _codes(issues) == [
        ("error", "required", "vendor_name"),
        ("error", "required", "total_amount"),
    ]


def test_required_group_is_satisfied_by_any_member() -> None:
    """A ticket needs a subject or a summary, not both."""
    assert required_fields_present(_ctx(DocumentType.TICKET, summary="Printer on fire")) == []
    issues = required_fields_present(_ctx(DocumentType.TICKET, queue="IT"))
    assert [i.message for i in issues] == ["one of subject, summary is required"]


# --- low confidence --------------------------------------------------------------------


def test_low_confidence_required_passes_above_threshold() -> None:
    """Required fields read with confidence at or above the threshold draw no warning."""
    ctx = _invoice(confidence=0.6, vendor_name="Acme", total_amount="1.00")
    assert low_confidence_required(ctx) == []


def test_low_confidence_required_warns_below_threshold() -> None:
    """Required fields read with confidence below the threshold are warnings."""
    options = ValidationOptions(low_confidence_threshold=0.8)
    ctx = _invoice(confidence=0.7, options=options, vendor_name="Acme", total_amount="1.00")
    issues = low_confidence_required(ctx)
    assert _codes(issues) == [
        ("warning", "low_confidence", "vendor_name"),
        ("warning", "low_confidence", "total_amount"),
    ]
    assert "0.70, below 0.80" in issues[0].message


def test_low_confidence_ignores_optional_and_empty_fields() -> None:
    """Unsure optional fields and empty required fields draw no low-confidence warning."""
    ctx = _invoice(confidence=0.1, po_number="7", vendor_name="")
    assert low_confidence_required(ctx) == []


# --- dates in the future ---------------------------------------------------------------


def test_dates_within_horizon_pass() -> None:
    """Dates up to max_future_days after today are accepted."""
    assert dates_not_far_future(_invoice(invoice_date="2024-06-01", due_date="2025-06-01")) == []


def test_dates_far_in_the_future_warn() -> None:
    """A date beyond the horizon is a future_date warning naming the field."""
    options = ValidationOptions(max_future_days=30)
    ctx = _invoice(options=options, invoice_date="2024-06-20", due_date="2024-08-01")
    assert _codes(dates_not_far_future(ctx)) == [("warning", "future_date", "due_date")]


def test_unreadable_dates_are_left_to_the_schema() -> None:
    """A malformed date is not judged by the future-date rule."""
    assert dates_not_far_future(_invoice(invoice_date="01/01/2999")) == []


# --- line items ------------------------------------------------------------------------


def test_line_items_summing_to_subtotal_pass() -> None:
    """Line items that add up to the subtotal within a cent pass."""
    ctx = _invoice(subtotal="100.00", line_items=_items("33.33", "33.33", "33.33"))
    assert line_items_sum_to_subtotal(ctx) == []


def test_line_items_not_summing_to_subtotal_fail() -> None:
    """Line items off by more than a cent are a line_items_mismatch error."""
    ctx = _invoice(subtotal="100.00", line_items=_items("50.00", "49.98"))
    issues = line_items_sum_to_subtotal(ctx)
    assert _codes(issues) == [("error", "line_items_mismatch", "line_items")]
    assert "99.98" in issues[0].message and "100.00" in issues[0].message


def test_line_items_rule_needs_both_sides() -> None:
    """Without a subtotal, or with an item lacking an amount, line items are not summed."""
    assert line_items_sum_to_subtotal(_invoice(line_items=_items("1.00"))) == []
    items = [*_items("1.00"), {"description": "note"}]
    assert line_items_sum_to_subtotal(_invoice(subtotal="9.00", line_items=items)) == []


def test_line_items_tolerance_is_configurable() -> None:
    """A wider amount tolerance accepts a larger drift."""
    options = ValidationOptions(amount_tolerance=Decimal("0.05"))
    ctx = _invoice(options=options, subtotal="10.00", line_items=_items("9.96"))
    assert line_items_sum_to_subtotal(ctx) == []


# --- totals ----------------------------------------------------------------------------


def test_totals_adding_up_pass() -> None:
    """subtotal + tax equal to total, or a cent off, passes."""
    for total in ("119.00", "119.01", "118.99"):
        ctx = _invoice(subtotal="100.00", tax_amount="19.00", total_amount=total)
        assert totals_add_up(ctx) == []


def test_totals_not_adding_up_fail() -> None:
    """subtotal + tax differing from total is a totals_mismatch error on total_amount."""
    issues = totals_add_up(_invoice(subtotal="100.00", tax_amount="19.00", total_amount="120.00"))
    assert _codes(issues) == [("error", "totals_mismatch", "total_amount")]
    assert "119.00" in issues[0].message and "120.00" in issues[0].message


def test_totals_rule_skips_when_a_part_is_missing() -> None:
    """Without a tax amount the totals are not checked."""
    assert totals_add_up(_invoice(subtotal="100.00", total_amount="150.00")) == []


# --- due date --------------------------------------------------------------------------


def test_due_date_on_or_after_invoice_date_passes() -> None:
    """A due date on or after the invoice date passes."""
    ctx = _invoice(invoice_date="2024-05-01", due_date="2024-05-01")
    assert due_date_not_before_invoice_date(ctx) == []


def test_due_date_before_invoice_date_fails() -> None:
    """A due date before the invoice date is an error on due_date."""
    ctx = _invoice(invoice_date="2024-05-01", due_date="2024-04-30")
    issues = due_date_not_before_invoice_date(ctx)
    assert _codes(issues) == [("error", "due_before_invoice", "due_date")]


# --- negative amounts ------------------------------------------------------------------


def test_non_negative_amounts_pass() -> None:
    """Zero and positive amounts pass."""
    ctx = _invoice(
        subtotal="0.00", tax_amount="0.00", total_amount="5.00", line_items=_items("5.00")
    )
    assert amounts_non_negative(ctx) == []


def test_negative_totals_are_errors_and_negative_lines_warnings() -> None:
    """A negative total is an error; a negative (discount) line amount is only a warning."""
    items = [{"description": "Discount", "quantity": 1, "unit_price": "-2.00", "amount": "-2.00"}]
    issues = amounts_non_negative(_invoice(total_amount="-1.00", line_items=items))
    assert _codes(issues) == [
        ("error", "negative_amount", "total_amount"),
        ("warning", "negative_amount", "line_items[0].unit_price"),
        ("warning", "negative_amount", "line_items[0].amount"),
    ]


# --- tax rate --------------------------------------------------------------------------


def test_consistent_tax_rate_passes() -> None:
    """A tax rate matching tax/subtotal (allowing rounding) passes."""
    assert tax_rate_consistent(_invoice(subtotal="84.03", tax_amount="15.97", tax_rate=19)) == []


def test_inconsistent_tax_rate_warns() -> None:
    """A tax rate that does not match tax/subtotal is a warning with the implied rate."""
    issues = tax_rate_consistent(_invoice(subtotal="100.00", tax_amount="7.00", tax_rate=19))
    assert _codes(issues) == [("warning", "tax_rate_mismatch", "tax_rate")]
    assert "7.00 %" in issues[0].message


def test_tax_rate_rule_skips_zero_or_missing_subtotal() -> None:
    """With no usable subtotal the tax rate is not checked."""
    assert tax_rate_consistent(_invoice(subtotal="0.00", tax_amount="1.00", tax_rate=19)) == []
    assert tax_rate_consistent(_invoice(tax_amount="1.00", tax_rate=19)) == []


# --- status reports --------------------------------------------------------------------


def _report(**values: Any) -> RuleContext:
    return _ctx(DocumentType.STATUS_REPORT, **values)


def test_period_in_order_passes() -> None:
    """A reporting period ending on or after its start passes."""
    ctx = _report(reporting_period_start="2024-05-01", reporting_period_end="2024-05-31")
    assert period_end_not_before_start(ctx) == []


def test_reversed_period_fails() -> None:
    """A reporting period that ends before it starts is an error on its end."""
    ctx = _report(reporting_period_start="2024-05-31", reporting_period_end="2024-05-01")
    assert _codes(period_end_not_before_start(ctx)) == [
        ("error", "period_reversed", "reporting_period_end")
    ]


@pytest.mark.parametrize("percent", [0, 42.5, 100])
def test_percent_complete_in_range_passes(percent: float) -> None:
    """percent_complete from 0 to 100 inclusive passes."""
    assert percent_complete_in_range(_report(percent_complete=percent)) == []


@pytest.mark.parametrize("percent", [-1, 100.5])
def test_percent_complete_out_of_range_fails(percent: float) -> None:
    """percent_complete outside 0..100 is an out_of_range error."""
    assert _codes(percent_complete_in_range(_report(percent_complete=percent))) == [
        ("error", "out_of_range", "percent_complete")
    ]


# --- registry --------------------------------------------------------------------------


def test_every_document_type_has_rules() -> None:
    """The default registry lists the required-fields rule for every document type."""
    assert all(required_fields_present in DEFAULT_RULES[t] for t in DocumentType)


def test_custom_rule_can_be_added() -> None:
    """A caller-supplied rule runs alongside the defaults and its errors invalidate."""

    def no_test_vendors(ctx: RuleContext) -> list[Issue]:
        if ctx.values.get("vendor_name") == "TEST":
            return [Issue(code="test_vendor", field="vendor_name", message="test vendor")]
        return []

    rules = {
        **DEFAULT_RULES,
        DocumentType.INVOICE: (*DEFAULT_RULES[DocumentType.INVOICE], no_test_vendors),
    }
    record = _invoice(vendor_name="TEST", total_amount="1.00").record
    report = validate(
        record,
        load_builtin_schema(DocumentType.INVOICE),
        options=ValidationOptions(today=TODAY),
        rules=rules,
    )
    assert not report.valid
    assert [i.code for i in report.errors] == ["test_vendor"]


def test_warnings_alone_keep_a_record_valid() -> None:
    """A record with only warnings is still valid."""
    record = _invoice(
        confidence=0.3,
        vendor_name="Acme",
        subtotal="100.00",
        tax_amount="7.00",
        tax_rate=19,
        total_amount="107.00",
    ).record
    report = validate(
        record, load_builtin_schema(DocumentType.INVOICE), options=ValidationOptions(today=TODAY)
    )
    assert report.valid
    assert {i.code for i in report.warnings} == {"low_confidence", "tax_rate_mismatch"}
