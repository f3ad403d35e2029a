"""Rules of project status reports."""

from __future__ import annotations

from myloware.validation._report import Issue
from myloware.validation._values import as_date, as_number
from myloware.validation.rules.context import RuleContext


def period_end_not_before_start(ctx: RuleContext) -> list[Issue]:
    """Error when the reporting period ends before it starts."""
    start = as_date(ctx.values.get("reporting_period_start"))
    end = as_date(ctx.values.get("reporting_period_end"))
    if start is None or end is None or end >= start:
        return []
    return [
        Issue(
            code="period_reversed",
            field="reporting_period_end",
            message=f"reporting_period_end {end.isoformat()} is before "
            f"reporting_period_start {start.isoformat()}",
        )
    ]


def percent_complete_in_range(ctx: RuleContext) -> list[Issue]:
    """Error when percent_complete lies outside 0..100."""
    percent = as_number(ctx.values.get("percent_complete"))
    if percent is None or 0 <= percent <= 100:
        return []
    return [
        Issue(
            code="out_of_range",
            field="percent_complete",
            message=f"percent_complete {percent:g} is outside 0..100",
        )
    ]
