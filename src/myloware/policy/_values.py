"""Reading record values the way policy conditions need them: amounts as ``Decimal``,
filled-or-not, and forgiving equality for enum-like text.

Record values are canonical (ARCHITECTURE.md): amounts are decimal strings such as
``"1234.50"``, enums upper-case. Nothing here raises on odd input; a value that cannot be
read simply does not match.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def as_decimal(value: Any) -> Decimal | None:
    """``value`` as a finite ``Decimal`` (from a decimal string or number), else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def is_filled(value: Any) -> bool:
    """Whether a value is present: not ``None``, blank text or an empty collection."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict | set):
        return bool(value)
    return True


def same_value(actual: Any, expected: Any, *, case_sensitive: bool = False) -> bool:
    """Whether a record value equals a value written in a policy.

    Text is compared trimmed and, unless ``case_sensitive``, case-insensitively; a number
    in the policy matches a record's decimal string of equal value (``5`` == ``"5.00"``);
    anything else compares with ``==``.
    """
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, int | float | Decimal):
        number = as_decimal(actual)
        return number is not None and number == as_decimal(expected)
    if isinstance(expected, str) and isinstance(actual, str):
        left, right = actual.strip(), expected.strip()
        return left == right if case_sensitive else left.casefold() == right.casefold()
    return bool(actual == expected)


def show(value: Any, limit: int = 40) -> str:
    """A short printable form of a value for explanations."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
