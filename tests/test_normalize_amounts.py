"""Amount and currency normalisation: separators, decimal commas, signs, symbols."""

from __future__ import annotations

from decimal import Decimal

import pytest

from myloware.normalize.amounts import format_amount, parse_amount, to_amount_string
from myloware.normalize.currency import currency_in_text, to_currency_code


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("9.00", "9.00"),
        ("RM 9.00", "9.00"),
        ("$7.10", "7.10"),
        ("€ 99,00", "99.00"),
        ("56,02 €", "56.02"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1 234,50", "1234.50"),
        ("1'234.50", "1234.50"),
        ("1,234", "1234.00"),
        ("1.234.567", "1234567.00"),
        ("9.000", "9.00"),
        (".14", "0.14"),
        ("1939 INR", "1939.00"),
        ("USD 47.90", "47.90"),
        ("-0.01", "-0.01"),
        ("0.01-", "-0.01"),
        ("(12.00)", "-12.00"),
        ("7.125", "7.13"),
    ],
)
def test_amount_strings_normalise(text: str, canonical: str) -> None:
    """Currency signs, thousands separators, decimal commas and signs are understood."""
    assert to_amount_string(text) == canonical


@pytest.mark.parametrize("text", ["abc", "", "12-01-19", "6%x"])
def test_non_amounts_are_rejected(text: str) -> None:
    """Text that is not a single amount gives None."""
    assert to_amount_string(text) is None


def test_numbers_are_amounts_without_float_noise() -> None:
    """JSON numbers become exact decimals (0.1 + 0.2 style errors cannot appear)."""
    assert parse_amount(262.9) == Decimal("262.9")
    assert to_amount_string(279.84) == "279.84"
    assert parse_amount(True) is None


def test_format_amount_rounds_half_up_to_two_places() -> None:
    """The canonical form has exactly two decimals, rounded half-up."""
    assert format_amount(Decimal("2.005")) == "2.01"
    assert format_amount(Decimal("7.1")) == "7.10"


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("RM", "MYR"),
        ("€", "EUR"),
        ("£", "GBP"),
        ("Rs", "INR"),
        ("zł", "PLN"),
        ("eur", "EUR"),
        ("euros", "EUR"),
        ("US$", "USD"),
        ("S$", "SGD"),
        ("ringgit", "MYR"),
        ("XXY", None),
    ],
)
def test_currency_symbols_and_names_map_to_iso_codes(token: str, code: str | None) -> None:
    """Symbols, local abbreviations, names and ISO codes map to ISO 4217."""
    assert to_currency_code(token) == code


def test_bare_dollar_uses_the_context_dollar() -> None:
    """A bare $ is USD unless the caller knows the document's dollar."""
    assert to_currency_code("$") == "USD"
    assert to_currency_code("$", dollar_code="SGD") == "SGD"


def test_currency_in_text_skips_words_that_are_rare_codes() -> None:
    """'ALL' or 'PEN' in prose are not currencies; RM next to an amount is."""
    assert currency_in_text("ALL PEN PRICES INCLUDE TAX") is None
    assert currency_in_text("TOTAL RM 12.00") == "MYR"


@pytest.mark.parametrize(
    "value",
    [1e308, 10**29, float("nan"), float("inf"), Decimal("NaN"), "99999999999999999999999999999"],
)
def test_absurd_amounts_are_no_amount_rather_than_a_crash(value: object) -> None:
    """Non-finite or astronomically large values (model output, OCR digit runs) read as None."""
    assert parse_amount(value) is None and to_amount_string(value) is None


def test_a_digit_run_is_not_taken_for_a_total() -> None:
    """The rules extractor skips a 29-digit "amount" instead of failing the whole document."""
    from myloware.documents.model import LoadedDocument
    from myloware.extraction import extract

    text = "ACME Ltd\nTOTAL 99999999999999999999999999999.00\nTOTAL 12.50\n"
    record = extract(LoadedDocument.from_text(text))
    assert record.fields["total_amount"].value == "12.50"
