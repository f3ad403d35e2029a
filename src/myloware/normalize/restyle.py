"""JsonRestyler: turn any extractor's record into the canonical form of the JSON Schemas.

Canonical JSON representation (what :func:`restyle` produces, per ``myloware/schemas``):

* dates: ISO ``"YYYY-MM-DD"`` strings (day-first when ambiguous);
* amounts (``subtotal``, ``tax_amount``, ``total_amount``, line ``unit_price``/``amount``):
  decimal strings with exactly two places, ``"12.50"``, never floats;
* ``tax_rate`` and ``percent_complete``: JSON numbers in percent (``19.0`` for 19 %);
  line-item ``quantity``: a JSON number;
* ``currency``: ISO 4217 code (``"RM"`` → ``"MYR"``, ``"€"`` → ``"EUR"``, ``"$"`` →
  ``dollar_code``, default ``"USD"``);
* enums upper-case (``"high"`` → ``"HIGH"``, ``"hoch"`` → ``"HIGH"``, ``"yellow"`` →
  ``"AMBER"``); ``language`` ISO 639-1 lower-case;
* text trimmed with whitespace collapsed; string lists cleaned, empty and duplicate entries
  dropped; line items and risks keep only their schema keys (with common aliases such as
  ``qty``/``price``/``total`` mapped) and are dropped when a required key is missing.

Values that cannot be normalised are **kept out of the record** rather than passed on in a
form that would fail the schema: the field is removed, its confidence is lost, and
:func:`restyle_with_report` lists each removal as a :class:`Rejection` (field, original value,
reason) so the pipeline can record it on the Attempt and SchemaGuard sees a missing field
instead of garbage. Fields the schema does not know are removed the same way. Restyling an
already canonical record returns an equal record (idempotent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from myloware.normalize.amounts import to_amount_string
from myloware.normalize.currency import to_currency_code
from myloware.normalize.dates import to_iso_date
from myloware.normalize.kinds import FieldKind, Kind, field_kinds
from myloware.normalize.values import (
    clean_text,
    to_email,
    to_enum,
    to_language_code,
    to_number,
    to_percent,
)
from myloware.records import CanonicalRecord, FieldValue

# Keys that models and people use for line-item and risk entries, mapped to schema keys.
ITEM_ALIASES: dict[str, str] = {
    "name": "description",
    "item": "description",
    "desc": "description",
    "qty": "quantity",
    "count": "quantity",
    "price": "unit_price",
    "unit price": "unit_price",
    "price_unit": "unit_price",
    "total": "amount",
    "line_total": "amount",
    "price_subtotal": "amount",
    "impact": "severity",
    "level": "severity",
}

_PERCENT_FIELDS = frozenset({"tax_rate", "percent_complete"})


@dataclass(frozen=True, slots=True)
class Rejection:
    """A value restyling kept out of the record, and why."""

    field: str
    value: Any
    reason: str


def _text_of(value: Any) -> Any:
    """Dates/amounts/currencies may arrive as ``{"value": ...}`` or as bare values."""
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


def _string_list(value: Any) -> list[str] | None:
    items = value if isinstance(value, list | tuple) else [value]
    cleaned: list[str] = []
    for item in items:
        text = clean_text(_text_of(item))
        if text is not None and text.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(text)
    return cleaned or None


def _object_list(kind: FieldKind, value: Any, dollar_code: str) -> list[dict[str, Any]] | None:
    if not isinstance(value, list | tuple):
        return None
    result: list[dict[str, Any]] = []
    for entry in value:
        if isinstance(entry, str) and "description" in kind.item_fields:
            entry = {"description": entry}
        if not isinstance(entry, dict):
            continue
        item: dict[str, Any] = {}
        for key, raw in entry.items():
            name = ITEM_ALIASES.get(str(key).lower(), str(key).lower())
            sub = kind.item_fields.get(name)
            if sub is None or name in item:
                continue
            normalised = normalise_value(sub, raw, dollar_code=dollar_code)
            if normalised is not None:
                item[name] = normalised
        if all(req in item for req in kind.required_item_fields):
            result.append(item)
    return result or None


def normalise_value(
    kind: FieldKind, value: Any, *, dollar_code: str = "USD", percent: bool = False
) -> Any:
    """``value`` in the canonical form of ``kind``, or None when it cannot be normalised."""
    if value is None:
        return None
    scalar: dict[Kind, Callable[[Any], Any]] = {
        Kind.TEXT: clean_text,
        Kind.DATE: lambda v: to_iso_date(str(v)),
        Kind.AMOUNT: to_amount_string,
        Kind.CURRENCY: lambda v: to_currency_code(str(v), dollar_code=dollar_code),
        Kind.LANGUAGE: to_language_code,
        Kind.EMAIL: to_email,
        Kind.ENUM: lambda v: to_enum(v, kind.choices),
        Kind.NUMBER: to_percent if percent else to_number,
    }
    if kind.kind is Kind.STRING_LIST:
        return _string_list(value)
    if kind.kind is Kind.OBJECT_LIST:
        return _object_list(kind, value, dollar_code)
    if isinstance(value, list | tuple | dict) and not isinstance(
        _text_of(value), str | int | float
    ):
        return None
    return scalar[kind.kind](_text_of(value))


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and len(value) == 0)


def restyle_with_report(
    record: CanonicalRecord, *, dollar_code: str = "USD"
) -> tuple[CanonicalRecord, list[Rejection]]:
    """The canonical form of ``record`` and the values that had to be left out."""
    kinds = field_kinds(record.document_type)
    fields: dict[str, FieldValue] = {}
    rejected: list[Rejection] = []
    for name, fv in record.fields.items():
        kind = kinds.get(name)
        if kind is None:
            rejected.append(Rejection(name, fv.value, "not a field of the schema"))
            continue
        if _empty(fv.value):
            continue
        value = normalise_value(
            kind, fv.value, dollar_code=dollar_code, percent=name in _PERCENT_FIELDS
        )
        if value is None:
            rejected.append(Rejection(name, fv.value, f"cannot be read as {kind.kind.value}"))
            continue
        raw = fv.raw
        if raw is None and isinstance(fv.value, str) and fv.value != value:
            raw = fv.value  # keep what the extractor read before it was normalised
        fields[name] = fv.model_copy(update={"value": value, "raw": raw})
    language = to_language_code(record.language) if record.language else None
    restyled = record.model_copy(update={"fields": fields, "language": language})
    return restyled, rejected


def restyle(record: CanonicalRecord, *, dollar_code: str = "USD") -> CanonicalRecord:
    """The canonical form of ``record`` (see the module docstring for every rule)."""
    return restyle_with_report(record, dollar_code=dollar_code)[0]
