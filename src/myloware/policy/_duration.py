"""SLA durations: parse ``"90s"``, ``"30m"``, ``"4h"``, ``"2d"``, ``"1h30m"`` or ISO-8601
``"PT4H"`` into whole seconds, and write seconds back in the shortest exact shorthand.

:data:`Seconds` is the pydantic type policy documents use for durations: it accepts any of
those spellings (or a ``timedelta``) and serialises as shorthand, so a
document's canonical form, and so its digest, does not depend on how a duration was written.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, TypeAdapter, ValidationError, WithJsonSchema

_UNITS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_SHORTHAND = re.compile(r"(?:\d+\s*[wdhms]\s*)+")
_PART = re.compile(r"(\d+)\s*([wdhms])")
_CALENDAR_UNITS = re.compile(r"^P[^T]*[YM]")
_ISO = TypeAdapter(timedelta)


def parse_duration(value: object) -> int:
    """Whole seconds of a duration written as shorthand or ISO-8601 (or a ``timedelta``).

    Raises ``ValueError`` (which pydantic reports against the field) for anything else:
    bare numbers (is ``4`` hours or seconds?), zero or negative durations, fractional
    seconds, and ISO months or years (whose length is not fixed).
    """
    if isinstance(value, timedelta):
        seconds = _whole_seconds(value, value)
    elif isinstance(value, str):
        seconds = _parse_text(value.strip())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f"duration {value!r} has no unit: write e.g. '{value}s', '{value}m' or '{value}h'"
        )
    else:
        raise ValueError(f"expected a duration like '30m', '4h', '2d' or 'PT4H', got {value!r}")
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    return seconds


def _parse_text(text: str) -> int:
    lowered = text.lower()
    if _SHORTHAND.fullmatch(lowered):
        return sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(lowered))
    if text.upper().startswith(("P", "-P")):
        return _parse_iso(text.upper())
    raise ValueError(
        f"invalid duration {text!r}: use a number with a unit (s, m, h, d, w) such as "
        "'30m', '4h', '1h30m', '2d', or ISO-8601 such as 'PT4H'"
    )


def _parse_iso(text: str) -> int:
    if _CALENDAR_UNITS.match(text):
        raise ValueError(f"invalid duration {text!r}: months and years have no fixed length")
    try:
        delta = _ISO.validate_python(text)
    except ValidationError:
        raise ValueError(f"invalid ISO-8601 duration {text!r}") from None
    return _whole_seconds(delta, text)


def _whole_seconds(delta: timedelta, written: object) -> int:
    if delta.microseconds:
        raise ValueError(f"invalid duration {written!r}: use whole seconds")
    return int(delta.total_seconds())


def format_duration(seconds: int) -> str:
    """The shortest shorthand for ``seconds``: ``14400 -> "4h"``, ``5400 -> "1h30m"``."""
    if seconds <= 0:
        return f"{seconds}s"
    parts = []
    rest = seconds
    for unit, size in _UNITS.items():
        if unit == "w" and rest % size:
            continue  # "10d" reads better than "1w3d"
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _validate(value: Any) -> int:
    return parse_duration(value)


Seconds = Annotated[
    int,
    BeforeValidator(_validate),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": "a duration: '90s', '30m', '4h', '1h30m', '2d' or ISO-8601 'PT4H'",
            "examples": ["30m", "4h", "2d", "PT4H"],
        }
    ),
]
"""A positive duration in whole seconds, written in policy documents as text."""
