"""Rules that apply to every document type."""

from __future__ import annotations

from datetime import timedelta

from myloware.validation._report import Issue
from myloware.validation._schema import required_groups
from myloware.validation._values import as_date, is_filled
from myloware.validation.rules.context import RuleContext


def required_fields_present(ctx: RuleContext) -> list[Issue]:
    """Error for each required field (or group of alternatives) with no value.

    Required fields come from the schema (``required`` and an ``anyOf`` of single-field
    ``required`` branches); null, blank text and empty lists count as missing.
    """
    issues = []
    for group in required_groups(ctx.schema):
        if not any(is_filled(ctx.values.get(name)) for name in group):
            what = group[0] if len(group) == 1 else "one of " + ", ".join(group)
            issues.append(Issue(code="required", field=group[0], message=f"{what} is required"))
    return issues


def low_confidence_required(ctx: RuleContext) -> list[Issue]:
    """Warning for each filled required field read with a confidence below the threshold."""
    threshold = ctx.options.low_confidence_threshold
    issues = []
    for group in required_groups(ctx.schema):
        for name in group:
            confidence = ctx.confidence(name)
            if confidence is None or not is_filled(ctx.values.get(name)):
                continue
            if confidence < threshold:
                issues.append(
                    Issue(
                        code="low_confidence",
                        field=name,
                        message=f"{name} was read with confidence {confidence:.2f}, "
                        f"below {threshold:.2f}",
                        severity="warning",
                    )
                )
    return issues


def dates_not_far_future(ctx: RuleContext) -> list[Issue]:
    """Warning for each ISO date field lying more than ``max_future_days`` after today."""
    horizon = ctx.today + timedelta(days=ctx.options.max_future_days)
    issues = []
    for name, value in ctx.values.items():
        when = as_date(value)
        if when is not None and when > horizon:
            issues.append(
                Issue(
                    code="future_date",
                    field=name,
                    message=f"{name} {when.isoformat()} is more than "
                    f"{ctx.options.max_future_days} days in the future",
                    severity="warning",
                )
            )
    return issues


def extractor_findings(ctx: RuleContext) -> list[Issue]:
    """The extractor's findings about the document (e.g. ``einvoice_mismatch``), as issues of
    the severity the extractor gave them."""
    return [
        Issue(code=f.code, field=f.field, message=f.message, severity=f.severity)
        for f in ctx.record.findings
    ]
