"""Each policy condition type, alone: when it holds, when it does not, and odd values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter

from myloware.policy import (
    AllOf,
    AmountAbove,
    AnyOf,
    Condition,
    ConfidenceBelow,
    DocumentTypeIs,
    FieldEquals,
    FieldIn,
    NewVendor,
    Not,
    PolicyContext,
    QualityBelow,
    SamplePercent,
    Scope,
    TokenBudgetExhausted,
    ValidationErrors,
    sample_bucket,
)
from myloware.records import DocumentType

CONDITION = TypeAdapter(Condition)


def scope(rule_id: str = "r1", version: str = "1", **fields: Any) -> Scope:
    fields.setdefault("document_type", "INVOICE")
    fields.setdefault("work_item_id", "item-1")
    return Scope(ctx=PolicyContext(**fields), rule_id=rule_id, policy_version=version)


def holds(condition: Any, **fields: Any) -> bool:
    outcome = condition.check(scope(**fields))
    assert outcome.detail  # every outcome explains itself
    return bool(outcome.hit)


# --- amount_above -------------------------------------------------------------------------


def test_amount_above_fires_only_strictly_above_the_threshold() -> None:
    """amount_above compares decimal strings as Decimal and needs the amount to exceed it."""
    rule = AmountAbove(threshold=Decimal("10000"))
    assert holds(rule, values={"total_amount": "10000.01"})
    assert not holds(rule, values={"total_amount": "10000.00"})
    assert not holds(rule, values={"total_amount": "9999.99"})


def test_amount_above_reads_the_named_field_and_exact_decimals() -> None:
    """amount_above uses its field and avoids float rounding (0.1 + 0.2 style errors)."""
    rule = AmountAbove(field="tax_amount", threshold=Decimal("0.3"))
    assert not holds(rule, values={"tax_amount": "0.30", "total_amount": "99999"})
    assert holds(rule, values={"tax_amount": "0.3000000001"})


def test_amount_above_ignores_missing_or_unreadable_amounts() -> None:
    """A missing, textual or boolean amount never matches (validation reports those)."""
    rule = AmountAbove(threshold=Decimal("1"))
    for value in (None, "", "twelve", True, [5], "NaN", "Infinity"):
        assert not holds(rule, values={"total_amount": value})


def test_amount_above_with_currency_only_matches_that_currency() -> None:
    """With a currency, amount_above matches only records stated in that currency."""
    rule = AmountAbove(threshold=Decimal("500"), currency="USD")
    assert holds(rule, values={"total_amount": "600", "currency": "USD"})
    assert not holds(rule, values={"total_amount": "600", "currency": "EUR"})
    assert not holds(rule, values={"total_amount": "600"})


# --- confidence_below ---------------------------------------------------------------------


def test_confidence_below_required_uses_the_schema_required_fields() -> None:
    """fields: required checks the built-in schema's required fields of the document type."""
    rule = ConfidenceBelow(fields="required", threshold=0.6)
    values = {"vendor_name": "ACME", "total_amount": "10.00", "notes": "x"}
    assert holds(rule, values=values, confidences={"vendor_name": 0.5, "total_amount": 0.9})
    assert not holds(rule, values=values, confidences={"vendor_name": 0.9, "notes": 0.1})


def test_confidence_below_prefers_the_callers_required_fields() -> None:
    """A context's required_fields (the active schema's) replace the built-in ones."""
    rule = ConfidenceBelow(fields="required", threshold=0.6)
    values = {"vendor_name": "ACME", "po_number": "PO-1"}
    confidences = {"vendor_name": 0.1, "po_number": 0.9}
    assert not holds(rule, values=values, confidences=confidences, required_fields=("po_number",))


def test_confidence_below_listed_fields_skips_empty_and_unscored_fields() -> None:
    """Listed fields are judged only when they have a value and a confidence."""
    rule = ConfidenceBelow(fields=["due_date", "po_number"], threshold=0.7)
    assert holds(rule, values={"due_date": "2024-01-01"}, confidences={"due_date": 0.69})
    assert not holds(rule, values={"due_date": None}, confidences={"due_date": 0.1})
    assert not holds(rule, values={"due_date": "2024-01-01"}, confidences={})


# --- validation_errors --------------------------------------------------------------------


def errors(*codes: str) -> dict[str, Any]:
    return {
        "valid": not codes,
        "errors": [{"code": c, "field": "total_amount", "message": c} for c in codes],
    }


def test_validation_errors_counts_errors_against_min_count() -> None:
    """validation_errors fires once at least min_count errors were reported."""
    assert holds(ValidationErrors(), validation=errors("required"))
    assert not holds(ValidationErrors(), validation=errors())
    assert not holds(ValidationErrors(min_count=2), validation=errors("required"))
    assert holds(ValidationErrors(min_count=2), validation=errors("required", "totals_mismatch"))


def test_validation_errors_filters_by_code() -> None:
    """With codes, only errors of those codes count."""
    rule = ValidationErrors(codes=["totals_mismatch", "line_items_mismatch"])
    assert holds(rule, validation=errors("required", "totals_mismatch"))
    assert not holds(rule, validation=errors("required"))


def test_validation_errors_ignores_warnings_unless_asked() -> None:
    """Warnings count only with include_warnings."""
    report = {"valid": True, "warnings": [{"code": "low_confidence", "field": "vendor_name"}]}
    assert not holds(ValidationErrors(), validation=report)
    assert holds(ValidationErrors(include_warnings=True), validation=report)


def test_validation_errors_fails_closed_on_an_invalid_report_without_errors() -> None:
    """A report marked invalid but listing no error still counts as an error."""
    assert holds(ValidationErrors(), validation={"valid": False})
    assert not holds(ValidationErrors(codes=["required"]), validation={"valid": False})


# --- new_vendor, token budget, document type, quality ---------------------------------------


def test_new_vendor_fires_only_for_a_vendor_known_to_be_new() -> None:
    """new_vendor fires when known_vendor is False, not when True or unchecked."""
    assert holds(NewVendor(), known_vendor=False)
    assert not holds(NewVendor(), known_vendor=True)
    assert not holds(NewVendor(), known_vendor=None)
    assert holds(NewVendor(treat_unknown_as_new=True), known_vendor=None)


def test_token_budget_exhausted_reads_the_context_flag() -> None:
    """token_budget_exhausted mirrors the caller's flag."""
    assert holds(TokenBudgetExhausted(), token_budget_exhausted=True)
    assert not holds(TokenBudgetExhausted())


def test_document_type_is_matches_the_record_type() -> None:
    """document_type_is matches only its own document type."""
    rule = DocumentTypeIs(document_type=DocumentType.TICKET)
    assert holds(rule, document_type="TICKET")
    assert not holds(rule, document_type="INVOICE")


def test_quality_below_compares_the_quality_score() -> None:
    """quality_below fires under the threshold and not without a score."""
    assert holds(QualityBelow(threshold=0.5), validation={"quality_score": 0.4})
    assert not holds(QualityBelow(threshold=0.5), validation={"quality_score": 0.5})
    assert not holds(QualityBelow(threshold=0.5))


# --- field_equals / field_in --------------------------------------------------------------


def test_field_equals_compares_text_ignoring_case_and_spaces() -> None:
    """field_equals matches enum text regardless of case unless case_sensitive."""
    rule = FieldEquals(field="priority", value="URGENT")
    assert holds(rule, document_type="TICKET", values={"priority": " urgent"})
    assert not holds(rule, document_type="TICKET", values={"priority": "HIGH"})
    assert not holds(rule, document_type="TICKET", values={})
    strict = FieldEquals(field="priority", value="URGENT", case_sensitive=True)
    assert not holds(strict, document_type="TICKET", values={"priority": "urgent"})


def test_field_equals_compares_numbers_by_value_and_reads_metadata() -> None:
    """A number matches an equal decimal string; metadata.<key> reads caller facts."""
    assert holds(FieldEquals(field="tax_rate", value=20), values={"tax_rate": "20.00"})
    assert not holds(FieldEquals(field="tax_rate", value=20), values={"tax_rate": "19.5"})
    channel = FieldEquals(field="metadata.channel", value="slack")
    assert holds(channel, metadata={"channel": "slack"})
    assert not holds(channel, values={"metadata.channel": "slack"})


def test_field_in_matches_any_listed_value() -> None:
    """field_in fires when the value is one of the listed values."""
    rule = FieldIn(field="priority", values=["HIGH", "URGENT"])
    assert holds(rule, document_type="TICKET", values={"priority": "high"})
    assert not holds(rule, document_type="TICKET", values={"priority": "LOW"})


# --- sample_percent -----------------------------------------------------------------------


def test_sample_percent_is_deterministic_per_item_rule_and_version() -> None:
    """The same work item, rule id and policy version always give the same answer."""
    rule = SamplePercent(percent=Decimal(50))

    def drawn(version: str) -> list[bool]:
        return [rule.check(scope(work_item_id=f"w{i}", version=version)).hit for i in range(200)]

    first = drawn("1")
    assert drawn("1") == first
    assert any(first) and not all(first)
    assert drawn("2") != first  # a new policy version draws a new sample
    assert sample_bucket("w1", "qc", "1") == sample_bucket("w1", "qc", "1")
    assert all(0 <= sample_bucket(f"w{i}", "qc", "1") < 10_000 for i in range(100))


@pytest.mark.parametrize("percent", [0, 5, 50, 100])
def test_sample_percent_samples_about_n_percent_of_items(percent: int) -> None:
    """Over 10,000 work ids, the sample holds percent % of them within 1 point."""
    rule = SamplePercent(percent=Decimal(percent))
    hits = sum(rule.check(scope(work_item_id=f"wi-{i:05d}")).hit for i in range(10_000))
    assert abs(hits / 100 - percent) <= 1.0
    if percent in (0, 100):
        assert hits == percent * 100


def test_sample_percent_draws_independent_samples_per_rule() -> None:
    """Two sampling rules pick different items (the rule id seeds the hash)."""
    rule = SamplePercent(percent=Decimal(10))
    picks = [
        {i for i in range(2_000) if rule.check(scope(rule_id=r, work_item_id=str(i))).hit}
        for r in ("qc-a", "qc-b")
    ]
    assert picks[0] != picks[1]
    assert len(picks[0] & picks[1]) < len(picks[0]) / 2


# --- combinators --------------------------------------------------------------------------

BIG = {"type": "amount_above", "threshold": "100"}
URGENT = {"type": "field_equals", "field": "priority", "value": "URGENT"}


def test_all_needs_every_condition() -> None:
    """all holds only when each of its conditions holds, and quotes them all."""
    rule = CONDITION.validate_python({"type": "all", "conditions": [BIG, {"type": "new_vendor"}]})
    assert isinstance(rule, AllOf)
    outcome = rule.check(scope(values={"total_amount": "101"}, known_vendor=False))
    assert outcome.hit and "total_amount 101 > 100" in outcome.detail
    assert "never seen" in outcome.detail
    assert not holds(rule, values={"total_amount": "101"}, known_vendor=True)


def test_any_needs_one_condition() -> None:
    """any holds when at least one of its conditions holds."""
    rule = CONDITION.validate_python({"type": "any", "conditions": [BIG, URGENT]})
    assert isinstance(rule, AnyOf)
    assert holds(rule, values={"priority": "URGENT"})
    assert holds(rule, values={"total_amount": "500"})
    assert not holds(rule, values={"total_amount": "5", "priority": "LOW"})


def test_not_inverts_and_nests() -> None:
    """not inverts its condition, also around other combinators."""
    rule = CONDITION.validate_python(
        {"type": "not", "condition": {"type": "any", "conditions": [BIG, URGENT]}}
    )
    assert isinstance(rule, Not)
    assert holds(rule, values={"total_amount": "5"})
    assert not holds(rule, values={"total_amount": "500"})
