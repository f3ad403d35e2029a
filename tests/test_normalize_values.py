"""Small normalisers: text, enums, percentages, language codes, e-mail addresses."""

from __future__ import annotations

import pytest

from myloware.normalize.values import (
    clean_text,
    to_email,
    to_enum,
    to_language_code,
    to_number,
    to_percent,
)

PRIORITIES = ("LOW", "MEDIUM", "HIGH", "URGENT")


def test_clean_text_trims_and_collapses_whitespace() -> None:
    """Runs of whitespace become one space and the ends are trimmed; blank becomes None."""
    assert clean_text("  ACME \t SDN\nBHD  ") == "ACME SDN BHD"
    assert clean_text("   ") is None
    assert clean_text(None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("high", "HIGH"),
        ("High", "HIGH"),
        ("hoch", "HIGH"),
        ("normal", "MEDIUM"),
        ("p1", "URGENT"),
        ("critical", "URGENT"),
        ("whenever", None),
    ],
)
def test_priority_enum_accepts_synonyms(value: str, expected: str | None) -> None:
    """Priorities are upper-cased and synonyms (also German) map onto the enum."""
    assert to_enum(value, PRIORITIES) == expected


def test_status_and_type_enums() -> None:
    """RAG colours and ticket types normalise ('yellow' → AMBER, 'Änderung' → CHANGE)."""
    assert to_enum("yellow", ("GREEN", "AMBER", "RED")) == "AMBER"
    assert to_enum("on track", ("GREEN", "AMBER", "RED")) == "GREEN"
    assert to_enum("Änderung", ("INCIDENT", "REQUEST", "PROBLEM", "CHANGE")) == "CHANGE"
    assert to_enum("incident", ("INCIDENT", "REQUEST", "PROBLEM", "CHANGE")) == "INCIDENT"


def test_percentages_are_numbers_in_range() -> None:
    """'19%' is 19.0, decimal commas work, and values outside 0..100 are rejected."""
    assert to_percent("19%") == 19.0
    assert to_percent("7,5 %") == 7.5
    assert to_percent(150) is None
    assert to_number("2") == 2.0


def test_language_codes_from_codes_and_names() -> None:
    """Locale tags and language names reduce to ISO 639-1."""
    assert to_language_code("de-DE") == "de"
    assert to_language_code("German") == "de"
    assert to_language_code("EN") == "en"
    assert to_language_code("Klingon") is None


def test_email_is_extracted_from_a_display_name() -> None:
    """'Ann <ann@x.org>' gives the bare address."""
    assert to_email("Ann <ann@example.org>") == "ann@example.org"
    assert to_email("no address") is None
