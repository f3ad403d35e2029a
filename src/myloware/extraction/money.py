"""Money tokens inside a line of text: ``RM 9.00``, ``$7.10``, ``-0.01``, ``1.234,50 €``.

A number counts as money when it has two decimals (``9.00``, ``45,93``), or a currency
symbol/code directly before or after it (``Rs 1939``, ``USD 47.90``). Numbers that belong
to dates, times, codes or percentages (``25/12/2018``, ``8:13``, ``TD0116``, ``6%``) are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from myloware.normalize.amounts import decimal_point_form, plausible_amount
from myloware.normalize.currency import to_currency_code

_NUMBER_RE = re.compile(
    r"(?<![\d.,/:])(?:\d{1,3}(?:[,.']\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,3})?|"
    r"[.,]\d{2})(?![\d/:])"
)
_CURRENCY_BEFORE_RE = re.compile(
    r"(?:(?<![A-Za-z])(?P<code>RM|Rs\.?|INR|USD|EUR|GBP|MYR|PLN|CHF|SGD|AUD|CAD)|"
    r"(?P<sym>US\$|S\$|[$€£₹¥]))"
    r"\s?(?P<sign>-)?\s?$"
)
_CURRENCY_AFTER_RE = re.compile(
    r"^\s?(?P<cur>€|\$|zł|(?:EUR|USD|PLN|MYR|INR|GBP|CHF|RM)(?![A-Za-z]))"
)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount found at ``text[start:end]`` of a line (currency sign and minus included)."""

    value: Decimal
    start: int
    end: int
    currency: str | None
    decimals: bool


def _currency_before(text: str, start: int) -> tuple[str | None, int, bool]:
    """The currency (ISO), the start of its token and a minus sign just before ``start``."""
    window_start = max(0, start - 8)
    m = _CURRENCY_BEFORE_RE.search(text[window_start:start])
    if m is None:
        negative = text[max(0, start - 1) : start] == "-" or text[max(0, start - 2) : start] == "- "
        return None, start - (1 if text[max(0, start - 1) : start] == "-" else 0), negative
    token = m.group("code") or m.group("sym")
    return to_currency_code(token), window_start + m.start(), m.group("sign") is not None


@lru_cache(maxsize=8192)
def find_money(text: str) -> tuple[Money, ...]:
    """Every money token in ``text``, left to right (cached: lines are asked repeatedly)."""
    found: list[Money] = []
    for m in _NUMBER_RE.finditer(text):
        start, end = m.span()
        following = text[end : end + 1]
        if following == "%" or (following.isalpha() and not _CURRENCY_AFTER_RE.match(text[end:])):
            continue
        before = text[max(0, start - 1) : start]
        currency, token_start, negative = _currency_before(text, start)
        if before.isalpha() and currency is None:
            continue
        after = _CURRENCY_AFTER_RE.match(text[end:])
        if currency is None and after is not None:
            currency = to_currency_code(after.group("cur"))
            end += after.end()
        if (
            not negative
            and text[end : end + 1] == "-"
            and text[end + 1 : end + 2] in ("", " ", "\t")
        ):
            negative, end = True, end + 1
        number = m.group(0)
        decimals = bool(re.search(r"[.,]\d{2}$", number)) and not re.search(r"[.,]\d{3}$", number)
        if not decimals and currency is None:
            continue
        try:
            value = Decimal(decimal_point_form(number))
        except InvalidOperation:
            continue
        if not plausible_amount(value):
            continue
        found.append(Money(-value if negative else value, token_start, end, currency, decimals))
    return tuple(found)


def last_money(text: str) -> Money | None:
    """The rightmost money token of ``text`` (totals are printed right of their label)."""
    found = find_money(text)
    return found[-1] if found else None
