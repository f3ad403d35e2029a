"""Lenient readers for canonical values, shared by the rules and the quality score.

Rules run even when the schema already rejected a value, so they read values defensively:
anything unreadable is ``None`` and the rule that needed it stays silent (the schema error
already says what is wrong).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

CENT = Decimal("0.01")


def as_amount(value: Any) -> Decimal | None:
    """A finite decimal from an amount string or number, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def as_number(value: Any) -> float | None:
    """A plain number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def as_date(value: Any) -> date | None:
    """A date from an ISO ``YYYY-MM-DD`` string, else ``None``."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def is_filled(value: Any) -> bool:
    """Whether a value carries information: not null, not blank text, not an empty list."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return True


def describe(path: str) -> str:
    """A field path for messages; the record itself when the path is empty."""
    return path or "the record"
