"""Date normalisation: many formats and languages to ISO, day-first when ambiguous."""

from __future__ import annotations

from datetime import date

import pytest

from myloware.normalize.dates import (
    expand_year,
    find_dates,
    in_order,
    month_first,
    month_number,
    parse_date,
    to_iso_date,
)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("25/12/2018", "2018-12-25"),
        ("12-01-19", "2019-01-12"),
        ("8.9.2022", "2022-09-08"),
        ("2018-01-05 22:55:25", "2018-01-05"),
        ("2018/03/04", "2018-03-04"),
        ("20180304", "2018-03-04"),
        ("25032018", "2018-03-25"),
        ("05 MAR 2018", "2018-03-05"),
        ("13-JAN-19", "2019-01-13"),
        ("Dec 28, 2022", "2022-12-28"),
        ("December 25th, 2018", "2018-12-25"),
        ("25. Dezember 2018", "2018-12-25"),
        ("12 März 2020", "2020-03-12"),
        ("1er mars 2020", "2020-03-01"),
        ("3 août 2020", "2020-08-03"),
        ("5 févr. 2021", "2021-02-05"),
        ("4 mei 2021", "2021-05-04"),
        ("17 oktober 2022", "2022-10-17"),
        ("9 de enero de 2024", "2024-01-09"),
        ("9 enero 2024", "2024-01-09"),
    ],
)
def test_formats_parse_to_iso(text: str, iso: str | None) -> None:
    """Numeric, ISO, compact and month-name dates in en/de/fr/nl/es normalise to ISO."""
    assert to_iso_date(text) == iso


def test_ambiguous_numeric_dates_are_day_first() -> None:
    """03/04/2021 is the 3rd of April, not March 4th."""
    assert parse_date("03/04/2021") == date(2021, 4, 3)


def test_month_first_only_when_day_first_is_impossible() -> None:
    """03/20/2023 can only be March 20th, so it is read month-first."""
    assert parse_date("03/20/2023") == date(2023, 3, 20)


def test_a_document_is_month_first_only_when_its_dates_prove_it() -> None:
    """11/17/2017 proves month-first; a 17/11/2017 anywhere, or no proof, keeps day-first."""
    assert month_first(["Invoice Date 11/03/2017", "Paid 11/17/2017"])
    assert not month_first(["Invoice Date 11/03/2017", "Paid 11/17/2017", "Due 17/11/2017"])
    assert not month_first(["Invoice Date 11/03/2017", "2017-11-17"])


def test_ambiguous_dates_follow_the_documents_order() -> None:
    """In a month-first document 11/03/2017 is November 3rd; dates that are not ambiguous
    (a month name, 11/11/2017, 11/17/2017) stay as they are."""
    ambiguous, same, named = (find_dates(t)[0] for t in ("11/03/2017", "11/11/2017", "3 Nov 2017"))
    assert in_order(ambiguous, True) == date(2017, 11, 3)
    assert in_order(ambiguous, False) == date(2017, 3, 11)
    assert in_order(same, True) == date(2017, 11, 11)
    assert in_order(named, True) == date(2017, 11, 3)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Date:5/3/201822:52:33", "2018-03-05"),
        ("14/03/20185:57:07PM", "2018-03-14"),
        ("05 Mar201818:24", "2018-03-05"),
        ("Mar 5, 201812:30", "2018-03-05"),
        ("[Sales]2018-01-0522:55:25", "2018-01-05"),
    ],
)
def test_a_clock_time_glued_to_the_date_ends_it(text: str, iso: str) -> None:
    """OCR loses the space between date and time; the time's colon shows where the year
    ends. Digits that are not a time still make no year (``12/05/20191``)."""
    assert to_iso_date(text) == iso
    assert parse_date("12/05/20191") is None


def test_impossible_dates_are_rejected() -> None:
    """31/31/2020 and 30 February are not dates."""
    assert parse_date("31/31/2020") is None
    assert parse_date("30/02/2020") is None


def test_two_digit_years_pivot_at_seventy() -> None:
    """Two-digit years below 70 are 20xx, others 19xx."""
    assert expand_year(19) == 2019
    assert expand_year(85) == 1985
    assert expand_year(2001) == 2001


def test_month_names_fold_accents_and_case() -> None:
    """Month names are matched case- and accent-insensitively."""
    assert month_number("DÉCEMBRE") == 12
    assert month_number("Mrz") == 3
    assert month_number("pcs") is None


def test_find_dates_reports_offsets_and_ignores_times() -> None:
    """find_dates gives each date's span; a time of day is not a date."""
    text = "DATE: 25/12/2018 8:13:39 PM due 1 Jan 2019"
    found = find_dates(text)
    assert [(m.value.isoformat(), text[m.start : m.end]) for m in found] == [
        ("2018-12-25", "25/12/2018"),
        ("2019-01-01", "1 Jan 2019"),
    ]


def test_month_name_glued_to_a_label_is_found() -> None:
    """Collapsed PDF text such as 'Date of issueApril 13, 2023' still yields the date."""
    assert to_iso_date("Date of issueApril 13, 2023") == "2023-04-13"


def test_codes_glued_to_letters_are_not_dates() -> None:
    """'RC11-23-42' and 'HD03-04-06' are codes, not dates."""
    assert to_iso_date("RC11-23-42 - 12/144") is None
    assert to_iso_date("HD03-04-06 - 5/40/160") is None


def test_a_slashed_date_glued_to_a_counter_by_a_hyphen_is_found() -> None:
    """``REG #19-18/03/2018``: after a hyphen a date is read only with slashes; a date
    written with hyphens does not start inside another (``2018-12-25``, ``11-23-42``)."""
    assert to_iso_date("ORD #70 -REG #19-18/03/2018 23:02:16") == "2018-03-18"
    assert [m.raw for m in find_dates("2018-12-25")] == ["2018-12-25"]
    assert to_iso_date("RC11-23-42") is None
    # a two-digit year or a number after the hyphen is an order or article code, not a date
    assert to_iso_date("Auftrag 55-3/4/21 vom 10.05.2021") == "2021-05-10"
    assert to_iso_date("Art.-Nr. 4711-1/2/10") is None


def test_words_that_are_not_months_give_no_date() -> None:
    """'10 PCS 2018' holds no date."""
    assert to_iso_date("10 PCS 2018") is None
