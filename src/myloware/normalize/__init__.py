"""JsonRestyler: canonical forms for extracted values (ISO dates, two-place amounts, ISO 4217
currencies, upper-case enums, clean text).

``restyle(record)`` normalises a whole :class:`~myloware.records.CanonicalRecord`; the pure
normalisers it is built from are exported for other stages (validation, scoring, UI input).
"""

from myloware.normalize.amounts import format_amount, parse_amount, to_amount_string
from myloware.normalize.currency import currency_in_text, find_currency, to_currency_code
from myloware.normalize.dates import DateMatch, find_dates, parse_date, to_iso_date
from myloware.normalize.kinds import FieldKind, Kind, field_kinds
from myloware.normalize.restyle import Rejection, normalise_value, restyle, restyle_with_report
from myloware.normalize.values import (
    clean_text,
    to_email,
    to_enum,
    to_language_code,
    to_number,
    to_percent,
)

__all__ = [
    "DateMatch",
    "FieldKind",
    "Kind",
    "Rejection",
    "clean_text",
    "currency_in_text",
    "field_kinds",
    "find_currency",
    "find_dates",
    "format_amount",
    "normalise_value",
    "parse_amount",
    "parse_date",
    "restyle",
    "restyle_with_report",
    "to_amount_string",
    "to_currency_code",
    "to_email",
    "to_enum",
    "to_iso_date",
    "to_language_code",
    "to_number",
    "to_percent",
]
