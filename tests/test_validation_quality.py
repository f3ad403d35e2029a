"""The quality score: more complete, surer, cleaner records score higher."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.schemas import load_builtin_schema
from myloware.validation import ValidationOptions, quality_score, validate

INVOICE = load_builtin_schema(DocumentType.INVOICE)
OPTIONS = ValidationOptions(today=date(2024, 6, 1))

RECEIPT = {
    "vendor_name": "Corner Shop",
    "vendor_address": "2 High St",
    "invoice_date": "2024-05-02",
    "total_amount": "12.50",
}
FULL_INVOICE = {
    **RECEIPT,
    "invoice_number": "A-1",
    "due_date": "2024-06-01",
    "currency": "EUR",
    "subtotal": "10.50",
    "tax_amount": "2.00",
    "total_amount": "12.50",
    "line_items": [{"description": "Tea", "quantity": 1, "unit_price": "10.50", "amount": "10.50"}],
}


def _record(values: dict[str, Any], confidence: float = 0.9) -> CanonicalRecord:
    return CanonicalRecord(
        document_type=DocumentType.INVOICE,
        fields={n: FieldValue(value=v, confidence=confidence) for n, v in values.items()},
    )


def _score(values: dict[str, Any], confidence: float = 0.9) -> float:
    return validate(_record(values, confidence), INVOICE, options=OPTIONS).quality_score


def test_more_complete_record_scores_higher() -> None:
    """A full invoice outscores a bare receipt read with the same confidence."""
    assert _score(FULL_INVOICE) > _score(RECEIPT)


def test_surer_record_scores_higher() -> None:
    """The same values read with higher confidence score higher."""
    assert _score(RECEIPT, confidence=0.95) > _score(RECEIPT, confidence=0.7)


def test_errors_lower_the_score() -> None:
    """A record whose totals do not add up scores lower than the consistent one."""
    broken = {**FULL_INVOICE, "total_amount": "99.00"}
    assert _score(broken) < _score(FULL_INVOICE)


def test_warnings_lower_the_score_less_than_errors() -> None:
    """One warning costs less than one error."""
    clean = quality_score(_record(RECEIPT), INVOICE, errors=0, warnings=0)
    warned = quality_score(_record(RECEIPT), INVOICE, errors=0, warnings=1)
    failed = quality_score(_record(RECEIPT), INVOICE, errors=1, warnings=0)
    assert clean > warned > failed


def test_missing_required_field_scores_lower() -> None:
    """Dropping a required field lowers the score even before counting the error."""
    without_vendor = {k: v for k, v in RECEIPT.items() if k != "vendor_name"}
    assert quality_score(_record(without_vendor), INVOICE, errors=0, warnings=0) < quality_score(
        _record(RECEIPT), INVOICE, errors=0, warnings=0
    )


def test_score_follows_the_documented_formula() -> None:
    """Receipt: required 1, coverage 4/19 (INVOICE 2 has 19 fields), confidence 0.9 →
    0.4·(1 + 4/19)/2 + 0.6·0.9 = 0.7821."""
    assert len(INVOICE["properties"]) == 19
    assert quality_score(_record(RECEIPT), INVOICE, errors=0, warnings=0) == pytest.approx(0.7821)
    assert quality_score(_record(RECEIPT), INVOICE, errors=2, warnings=1) == pytest.approx(
        round(0.7821 * 0.75**2 * 0.95, 4), abs=1e-4
    )


def test_empty_values_do_not_count_as_filled() -> None:
    """Null, blank and empty-list values add nothing to the score."""
    padded: dict[str, Any] = {**RECEIPT, "po_number": None, "buyer_name": "  ", "line_items": []}
    assert quality_score(_record(padded), INVOICE, errors=0, warnings=0) == quality_score(
        _record(RECEIPT), INVOICE, errors=0, warnings=0
    )


def test_score_stays_within_bounds() -> None:
    """An empty record scores 0 and a perfect one at most 1."""
    assert quality_score(_record({}), INVOICE, errors=5, warnings=5) == 0.0
    assert 0.0 < _score(FULL_INVOICE, confidence=1.0) <= 1.0
