"""Scoring rules of datasets/README.md "Scoring", one rule per test."""

from __future__ import annotations

import pytest

from myloware.evaluation.scoring import (
    FieldScore,
    normalise_amount,
    normalise_date,
    normalise_text,
    score_field,
    token_f1,
)
from myloware.normalize.kinds import FieldKind, Kind, field_kinds
from myloware.records import DocumentType

TEXT = FieldKind(Kind.TEXT)
DATE = FieldKind(Kind.DATE)
AMOUNT = FieldKind(Kind.AMOUNT)
NUMBER = FieldKind(Kind.NUMBER)
TAGS = FieldKind(Kind.STRING_LIST)


def test_text_ignores_case_and_all_whitespace() -> None:
    """'BOOK TA .K (TAMAN DAYA)' equals 'book ta .k(taman  daya)'."""
    assert normalise_text("BOOK TA .K (TAMAN DAYA)\n") == normalise_text("book ta .k(taman  daya)")
    assert score_field(TEXT, "book ta .k(taman  daya)", "BOOK TA .K (TAMAN DAYA)") == FieldScore(
        True, 1.0
    )


def test_text_punctuation_still_counts() -> None:
    """Only case and whitespace are ignored: a missing comma is a mismatch."""
    score = score_field(TEXT, "12 JALAN TAMPOI", "12, JALAN TAMPOI")
    assert score is not None and not score.correct


def test_token_f1_gives_partial_credit() -> None:
    """Token-F1 is reported alongside exact match."""
    assert token_f1("ACME SDN BHD", "ACME SDN BHD (M)") == pytest.approx(2 * 1 * 0.75 / 1.75)
    assert token_f1("", "X") == 0.0
    score = score_field(TEXT, "ACME SDN", "ACME SDN BHD")
    assert score is not None and not score.correct and score.f1 == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("predicted", "truth"),
    [
        ("2018-12-25", "25/12/2018"),
        ("2018-03-05", "05 MAR 2018"),
        ("2019-01-12", "12-01-19"),
        ("2018-03-04", "20180304"),
        ("2023-03-14", "14. März 2023"),
        ("2020-03-01", "1 mars 2020"),
        ("2021-05-04", "4 mei 2021"),
    ],
)
def test_dates_compare_as_iso_day_first(predicted: str, truth: str) -> None:
    """Dates are parsed to ISO (day-first; en/de/fr/nl month names) before comparing."""
    assert score_field(DATE, predicted, truth) == FieldScore(True, 1.0)


def test_unparseable_dates_fall_back_to_text() -> None:
    """A ground truth that is not a date is compared as normalised text."""
    assert normalise_date("n/a") == "n/a"
    assert score_field(DATE, "N/A", "n/a") == FieldScore(True, 1.0)


@pytest.mark.parametrize(
    ("predicted", "truth"),
    [
        ("9.00", "RM9.00"),
        ("60.30", "RM 60.30"),
        ("1234.50", "1,234.50"),
        ("1234.50", "1.234,50 €"),
        ("47.90", "47.9"),
        ("319.00", 319.0),
        ("7.10", "$7.10"),
    ],
)
def test_amounts_compare_to_two_places(predicted: object, truth: object) -> None:
    """Amounts ignore currency signs and thousands separators; decimal comma accepted."""
    assert score_field(AMOUNT, predicted, truth) == FieldScore(True, 1.0)


def test_percentages_compare_as_numbers() -> None:
    """'19%' equals 19.0 and '0%' equals 0 for percent fields."""
    assert normalise_amount("19%") == "19.00"
    assert score_field(NUMBER, 19.0, "19%") == FieldScore(True, 1.0)
    assert score_field(NUMBER, 0.0, "0%") == FieldScore(True, 1.0)
    score = score_field(NUMBER, 19.01, "19%")
    assert score is not None and not score.correct


def test_lists_compare_as_sets() -> None:
    """Order and case do not matter for lists; F1 is the set overlap."""
    assert score_field(TAGS, ["bug", "Crash"], ["Crash", "Bug"]) == FieldScore(True, 1.0)
    score = score_field(TAGS, ["Bug"], ["Bug", "Crash"])
    assert score is not None and not score.correct and score.f1 == pytest.approx(2 / 3)


def test_line_items_compare_whole_each_key_by_its_kind() -> None:
    """Quantity "3" equals 3.0 and amount "43.2" equals "43.20"; one wrong value fails the set."""
    kind = field_kinds(DocumentType.INVOICE)["line_items"]
    truth = [
        {"description": "TGA Monteur", "quantity": "3", "unit_price": "43.2", "amount": "129.6"}
    ]
    same = [
        {"description": "TGA  monteur", "quantity": 3.0, "unit_price": "43.20", "amount": "129.60"}
    ]
    off = [
        {"description": "TGA Monteur", "quantity": 4.0, "unit_price": "43.20", "amount": "129.60"}
    ]
    assert score_field(kind, same, truth) == FieldScore(True, 1.0)
    assert score_field(kind, off, truth) == FieldScore(False, 0.0)


def test_line_items_are_compared_on_the_keys_the_truth_labels() -> None:
    """An extracted line tax rate does not fail a set that labels none; a wrong one fails a
    set that does."""
    kind = field_kinds(DocumentType.INVOICE)["line_items"]
    truth = [{"description": "Desk", "quantity": "1", "amount": "150"}]
    extracted = [{"description": "Desk", "quantity": 1.0, "amount": "150.00", "tax_rate": 19.0}]
    assert score_field(kind, extracted, truth) == FieldScore(True, 1.0)
    labelled = [{**truth[0], "tax_rate": "7"}]
    assert score_field(kind, extracted, labelled) == FieldScore(False, 0.0)


@pytest.mark.parametrize("truth", [None, "", "   ", []])
def test_empty_ground_truth_is_skipped(truth: object) -> None:
    """Empty ground truth is not scored at all."""
    assert score_field(TEXT, "anything", truth) is None


def test_missing_prediction_is_wrong() -> None:
    """A field the extractor did not produce scores as wrong with F1 0."""
    assert score_field(AMOUNT, None, "9.00") == FieldScore(False, 0.0)
