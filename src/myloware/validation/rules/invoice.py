"""Arithmetic and date rules of invoices and receipts.

Each rule checks only what it can read: when a value it needs is absent or unreadable it
stays silent (the schema or the required-fields rule reports that).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from myloware.validation._report import Issue
from myloware.validation._values import CENT, as_amount, as_date, as_number
from myloware.validation.rules.context import RuleContext

_TOP_LEVEL_AMOUNTS = ("subtotal", "tax_amount", "total_amount")
_TAX_RATE_RELATIVE_TOLERANCE = Decimal("0.01")


def line_items_sum_to_subtotal(ctx: RuleContext) -> list[Issue]:
    """Error when the line-item amounts do not add up to the subtotal (within tolerance).

    Checked only when there is a subtotal and every line item has a readable amount.
    """
    subtotal = as_amount(ctx.values.get("subtotal"))
    amounts = _line_amounts(ctx.values.get("line_items"))
    if subtotal is None or not amounts:
        return []
    total = sum(amounts, Decimal(0))
    if abs(total - subtotal) <= ctx.options.amount_tolerance:
        return []
    return [
        Issue(
            code="line_items_mismatch",
            field="line_items",
            message=f"line items add up to {total:.2f}, but the subtotal is {subtotal:.2f}",
        )
    ]


def totals_add_up(ctx: RuleContext) -> list[Issue]:
    """Error when subtotal + tax_amount differs from total_amount by more than tolerance."""
    subtotal, tax, total = (as_amount(ctx.values.get(n)) for n in _TOP_LEVEL_AMOUNTS)
    if subtotal is None or tax is None or total is None:
        return []
    if abs(subtotal + tax - total) <= ctx.options.amount_tolerance:
        return []
    return [
        Issue(
            code="totals_mismatch",
            field="total_amount",
            message=f"subtotal {subtotal:.2f} + tax {tax:.2f} = {subtotal + tax:.2f}, "
            f"but total_amount is {total:.2f}",
        )
    ]


def due_date_not_before_invoice_date(ctx: RuleContext) -> list[Issue]:
    """Error when the due date lies before the invoice date."""
    issued, due = as_date(ctx.values.get("invoice_date")), as_date(ctx.values.get("due_date"))
    if issued is None or due is None or due >= issued:
        return []
    return [
        Issue(
            code="due_before_invoice",
            field="due_date",
            message=f"due_date {due.isoformat()} is before invoice_date {issued.isoformat()}",
        )
    ]


def amounts_non_negative(ctx: RuleContext) -> list[Issue]:
    """Error for a negative subtotal, tax or total; warning for a negative line amount.

    Negative line amounts and quantities are legitimate on discount and return lines, so
    they only draw a warning.
    """
    issues = []
    for name in _TOP_LEVEL_AMOUNTS:
        amount = as_amount(ctx.values.get(name))
        if amount is not None and amount < 0:
            issues.append(
                Issue(code="negative_amount", field=name, message=f"{name} {amount} is negative")
            )
    for index, item in enumerate(_line_items(ctx.values.get("line_items"))):
        for key in ("quantity", "unit_price", "amount"):
            amount = as_amount(item.get(key))
            if amount is not None and amount < 0:
                path = f"line_items[{index}].{key}"
                issues.append(
                    Issue(
                        code="negative_amount",
                        field=path,
                        message=f"{path} {amount} is negative (a discount or return line?)",
                        severity="warning",
                    )
                )
    return issues


def tax_rate_consistent(ctx: RuleContext) -> list[Issue]:
    """Warning when subtotal × tax_rate % differs from tax_amount.

    Allowed drift: the larger of two cents or 1 % of the expected tax, since tax is often
    rounded per line.
    """
    subtotal, tax = as_amount(ctx.values.get("subtotal")), as_amount(ctx.values.get("tax_amount"))
    rate = as_number(ctx.values.get("tax_rate"))
    if subtotal is None or tax is None or rate is None or subtotal == 0:
        return []
    expected = subtotal * Decimal(str(rate)) / 100
    tolerance = max(2 * CENT, abs(expected) * _TAX_RATE_RELATIVE_TOLERANCE)
    if abs(expected - tax) <= tolerance:
        return []
    implied = tax / subtotal * 100
    return [
        Issue(
            code="tax_rate_mismatch",
            field="tax_rate",
            message=f"tax_rate {rate:g} % of subtotal {subtotal:.2f} is {expected:.2f}, "
            f"but tax_amount is {tax:.2f} (implies {implied:.2f} %)",
            severity="warning",
        )
    ]


def _line_items(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _line_amounts(value: Any) -> list[Decimal]:
    """Every line item's amount, or an empty list if any item lacks a readable one."""
    if not isinstance(value, list) or not value:
        return []
    amounts = [as_amount(item.get("amount")) if isinstance(item, dict) else None for item in value]
    return [a for a in amounts if a is not None] if None not in amounts else []
