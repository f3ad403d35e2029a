"""Amounts: money text → :class:`~decimal.Decimal`, and the canonical two-place string.

Accepted: currency symbols and codes around the number (``RM 9.00``, ``$7.10``, ``€ 99,00``,
``1939 INR``), thousands separators (``1,234.50``, ``1.234,50``, ``1 234,50``, ``1'234.50``),
a decimal comma, a leading or trailing minus and accounting parentheses (``(12.00)``).

Separator rules: with both ``.`` and ``,`` present the later one is the decimal separator;
a lone separator followed by exactly three digits after a 1–3 digit group (``1,234``) is a
thousands separator when it is a comma and a decimal point when it is a dot (receipts print
unit prices as ``9.000``); repeated separators are thousands separators.

The canonical JSON form of an amount is a string with exactly two decimals: ``"12.50"``
(rounded half-up), so that no binary floating point ever touches money.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from myloware.normalize.currency import CURRENCY_TOKEN_RE

_CENT = Decimal("0.01")

# A number as printed on a document (digits with optional separators and decimals).
NUMBER_RE = re.compile(
    r"\d{1,3}(?:[,.' ’\u00a0]\d{3})+(?:[.,]\d{1,4})?|\d+(?:[.,]\d{1,4})?|[.,]\d{1,2}"
)

_CURRENCY_WORDS_RE = re.compile(r"[A-Za-zÀ-ÿ$€£¥₹₩₱₺₽₫฿]+\.?")


def decimal_point_form(number: str) -> str:
    """Rewrite a printed number with ``.`` as decimal point and no thousands separators."""
    compact = re.sub(r"[' ’\u00a0]", "", number)
    last_dot, last_comma = compact.rfind("."), compact.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal_sep = "." if last_dot > last_comma else ","
        thousands = "," if decimal_sep == "." else "."
        return compact.replace(thousands, "").replace(decimal_sep, ".")
    sep = "." if last_dot >= 0 else "," if last_comma >= 0 else ""
    if not sep:
        return compact
    if compact.count(sep) > 1:
        return compact.replace(sep, "")
    head, tail = compact.split(sep)
    if sep == "," and len(tail) == 3 and 1 <= len(head) <= 3:
        return head + tail
    return f"{head}.{tail}"


#: No business document states an amount this large; beyond it a "number" is noise (an id,
#: an OCR run of digits) and would overflow two-decimal arithmetic.
MAX_AMOUNT = Decimal("1e15")


def plausible_amount(amount: Decimal) -> bool:
    """Finite and below :data:`MAX_AMOUNT` in size."""
    return amount.is_finite() and abs(amount) < MAX_AMOUNT


def parse_amount(value: object) -> Decimal | None:
    """The amount in ``value`` (text or number) as a Decimal, or None when there is none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value if plausible_amount(value) else None
    if isinstance(value, int | float):
        number = Decimal(str(value))
        return number if plausible_amount(number) else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    negative = (
        text.startswith("-") or text.endswith("-") or (text.startswith("(") and text.endswith(")"))
    )
    text = CURRENCY_TOKEN_RE.sub(" ", text)
    text = _CURRENCY_WORDS_RE.sub(" ", text).strip(" ()-+:\t")
    if "-" in text.lstrip("-"):
        return None
    m = NUMBER_RE.fullmatch(text.strip())
    if m is None:
        return None
    try:
        amount = Decimal(decimal_point_form(m.group(0)))
    except InvalidOperation:
        return None
    if not plausible_amount(amount):
        return None
    return -amount if negative else amount


def format_amount(amount: Decimal) -> str:
    """The canonical string of an amount: two decimals, half-up (``7.1`` → ``"7.10"``)."""
    return str(amount.quantize(_CENT, rounding=ROUND_HALF_UP))


def to_amount_string(value: object) -> str | None:
    """``value`` as a canonical amount string (``"RM 1,234.5"`` → ``"1234.50"``), or None."""
    amount = parse_amount(value)
    return None if amount is None else format_amount(amount)
