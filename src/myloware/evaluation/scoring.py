"""Field scoring exactly as ``datasets/README.md`` "Scoring" defines it.

* text: equal when equal ignoring case and all whitespace; token-F1 reported alongside;
* dates: both sides parsed to ISO (day-first when ambiguous; English/German/French/Dutch
  month names), then compared; a side that does not parse is compared as text;
* amounts: decimals to 2 places, ignoring currency signs and thousands separators (decimal
  comma accepted); percentages (``tax_rate``) the same after dropping ``%``;
* lists: compared as sets of normalised text; F1 is the set overlap F1; the items of an
  object list (``line_items``) are compared whole, each key by its own kind (a quantity
  ``"3"`` equals ``3.0``, an amount ``"43.2"`` equals ``"43.20"``), empty keys left out, and
  only on the keys the ground truth labels (an extracted line ``tax_rate`` is not held
  against a set that does not label one);
* empty ground truth (None, ``""``, ``[]``) is skipped: :func:`score_field` returns None.

Which rule applies follows the canonical field a dataset field maps to (its schema kind).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from myloware.normalize.amounts import to_amount_string
from myloware.normalize.dates import to_iso_date
from myloware.normalize.kinds import FieldKind, Kind
from myloware.normalize.values import to_number

_WS_RE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class FieldScore:
    """One scored field: exact (normalised) match, and a partial-credit F1 in 0..1."""

    correct: bool
    f1: float


def is_empty(value: Any) -> bool:
    """True for ground truth the scorer skips: None, blank strings, empty lists/dicts."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple | dict | set) and len(value) == 0


def normalise_text(value: Any) -> str:
    """Case-folded text with every whitespace character removed."""
    return _WS_RE.sub("", str(value)).casefold()


def token_f1(predicted: Any, expected: Any) -> float:
    """Token-level F1 of two texts (case-insensitive, whitespace tokens)."""
    pred = str(predicted).casefold().split()
    gold = str(expected).casefold().split()
    if not pred or not gold:
        return float(pred == gold)
    overlap = sum((Counter(pred) & Counter(gold)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred), overlap / len(gold)
    return 2 * precision * recall / (precision + recall)


def normalise_date(value: Any) -> str:
    """ISO form of a date value, or its normalised text when it is not a date."""
    return to_iso_date(str(value)) or normalise_text(value)


def normalise_amount(value: Any) -> str:
    """Two-place decimal string of an amount or percentage, or its normalised text."""
    if isinstance(value, str) and "%" in value:
        number = to_number(value)
        return normalise_text(value) if number is None else to_amount_string(number) or ""
    return to_amount_string(value) or normalise_text(value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


def _normalise_value(kind: FieldKind | None, value: Any) -> str:
    if kind is not None and kind.kind is Kind.DATE:
        return normalise_date(value)
    if kind is not None and kind.kind in (Kind.AMOUNT, Kind.NUMBER):
        return normalise_amount(value)
    return normalise_text(value)


def _normalise_item(kind: FieldKind | None, item: Any, keys: set[str] | None = None) -> str:
    """One list item as comparable text: an object key by key (by the item field's kind),
    only ``keys`` of it where given."""
    if not isinstance(item, dict) or kind is None or kind.kind is not Kind.OBJECT_LIST:
        return normalise_text(item)
    parts = sorted(
        (str(key), _normalise_value(kind.item_fields.get(str(key)), value))
        for key, value in item.items()
        if not is_empty(value) and (keys is None or str(key) in keys)
    )
    return normalise_text(parts)


def _labelled_keys(items: list[Any]) -> set[str] | None:
    """The keys the ground truth's object items give a value for (None: not objects)."""
    objects = [item for item in items if isinstance(item, dict)]
    if not objects:
        return None
    return {str(k) for item in objects for k, v in item.items() if not is_empty(v)}


def _set_score(predicted: Any, expected: Any, kind: FieldKind | None = None) -> FieldScore:
    keys = _labelled_keys(_as_list(expected))
    pred = {_normalise_item(kind, v, keys) for v in _as_list(predicted) if not is_empty(v)}
    gold = {_normalise_item(kind, v) for v in _as_list(expected) if not is_empty(v)}
    overlap = len(pred & gold)
    f1 = 0.0 if overlap == 0 else 2 * overlap / (len(pred) + len(gold))
    return FieldScore(pred == gold, f1)


def score_field(kind: FieldKind | None, predicted: Any, expected: Any) -> FieldScore | None:
    """Score one predicted value against the ground truth, or None when the truth is empty."""
    if is_empty(expected):
        return None
    if isinstance(expected, list | tuple) or (kind is not None and kind.kind is Kind.STRING_LIST):
        return _set_score(predicted, expected, kind)
    if is_empty(predicted):
        return FieldScore(False, 0.0)
    match kind.kind if kind is not None else Kind.TEXT:
        case Kind.DATE:
            correct = normalise_date(predicted) == normalise_date(expected)
            return FieldScore(correct, float(correct))
        case Kind.AMOUNT | Kind.NUMBER:
            correct = normalise_amount(predicted) == normalise_amount(expected)
            return FieldScore(correct, float(correct))
        case _:
            correct = normalise_text(predicted) == normalise_text(expected)
            return FieldScore(correct, 1.0 if correct else token_f1(predicted, expected))
