"""The leaf conditions a rule's ``when`` can test, each a small pure check over a
:class:`~myloware.policy.PolicyContext`.

Every condition is a frozen pydantic model tagged by ``type`` and has one method,
``check(scope) -> Outcome``: whether it holds, and a short sentence of the facts it saw
(``"total_amount 12500.00 > 10000"``) that the decision's explanation quotes. Checks never
raise on odd record values; a value that cannot be read does not match. The combinators
``all``/``any``/``not`` and the union of every condition type live in
:mod:`myloware.policy._combinators`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from myloware.policy._context import PolicyContext, PolicyIssue
from myloware.policy._values import as_decimal, is_filled, same_value, show
from myloware.records import DocumentType

SAMPLE_BUCKETS = 10_000
"""Sampling resolution: a work item falls in one of 10,000 buckets (0.01 % steps)."""


def _normalize(number: Decimal) -> Decimal:
    return number.normalize()


def _plain(number: Decimal) -> str:
    return format(number, "f")


Amount = Annotated[
    Decimal,
    AfterValidator(_normalize),
    PlainSerializer(_plain, return_type=str),
]
"""A decimal written as a number or a string; canonical form without trailing zeros."""

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Scope:
    """What a condition is checked against: the context and the rule it belongs to."""

    ctx: PolicyContext
    rule_id: str
    policy_version: str


@dataclass(frozen=True)
class Outcome:
    """Whether a condition holds, and the facts it saw, in a few words."""

    hit: bool
    detail: str


class _Leaf(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AmountAbove(_Leaf):
    """An amount field (``total_amount`` unless named) is strictly above ``threshold``;
    with ``currency``, only records in that currency can match."""

    type: Literal["amount_above"] = "amount_above"
    field: str = "total_amount"
    threshold: Amount
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None

    def check(self, scope: Scope) -> Outcome:
        amount = as_decimal(scope.ctx.lookup(self.field))
        if amount is None:
            return Outcome(False, f"{self.field} is missing or not a number")
        if self.currency is not None:
            currency = scope.ctx.values.get("currency")
            if not same_value(currency, self.currency):
                return Outcome(False, f"currency {show(currency)} is not {self.currency}")
        unit = f" {self.currency}" if self.currency else ""
        limit = format(self.threshold, "f")
        if amount > self.threshold:
            return Outcome(True, f"{self.field} {amount} > {limit}{unit}")
        return Outcome(False, f"{self.field} {amount} ≤ {limit}{unit}")


class ConfidenceBelow(_Leaf):
    """Some filled field of ``fields`` (or of the schema's required fields, the default)
    was extracted with a confidence below ``threshold``. Fields without a confidence or
    without a value are not judged (a missing required field is a validation error)."""

    type: Literal["confidence_below"] = "confidence_below"
    fields: list[str] | Literal["required"] = "required"
    threshold: float = Field(ge=0.0, le=1.0)

    def check(self, scope: Scope) -> Outcome:
        ctx = scope.ctx
        names = required_fields(ctx) if self.fields == "required" else tuple(self.fields)
        low = [
            f"{name} {confidence:.2f}"
            for name in names
            if is_filled(ctx.values.get(name))
            and (confidence := ctx.confidences.get(name)) is not None
            and confidence < self.threshold
        ]
        if low:
            return Outcome(True, f"confidence below {self.threshold:g}: {', '.join(low)}")
        return Outcome(
            False, f"confidence of {', '.join(names) or 'no field'} ≥ {self.threshold:g}"
        )


class ValidationErrors(_Leaf):
    """SchemaGuard reported at least ``min_count`` errors (only those with one of
    ``codes``, when given; warnings count too with ``include_warnings``). A report marked
    invalid without any error listed counts as one error, unless ``codes`` are given."""

    type: Literal["validation_errors"] = "validation_errors"
    codes: list[str] | None = Field(default=None, min_length=1)
    min_count: int = Field(default=1, ge=1)
    include_warnings: bool = False

    def check(self, scope: Scope) -> Outcome:
        report = scope.ctx.validation
        issues = [*report.errors, *(report.warnings if self.include_warnings else [])]
        if self.codes is not None:
            issues = [issue for issue in issues if issue.code in self.codes]
        elif not report.valid and not report.errors:
            return Outcome(True, "validation failed (no error listed)")
        if len(issues) >= self.min_count:
            return Outcome(True, f"{len(issues)} validation issue(s): {_list_issues(issues)}")
        return Outcome(False, f"{len(issues)} matching validation issue(s)")


def _list_issues(issues: list[PolicyIssue], limit: int = 5) -> str:
    shown = [f"{issue.code} ({issue.field})" if issue.field else issue.code for issue in issues]
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more


class NewVendor(_Leaf):
    """The caller says the vendor was never seen before for this tenant
    (``known_vendor`` is False); with ``treat_unknown_as_new``, also when it did not check."""

    type: Literal["new_vendor"] = "new_vendor"
    treat_unknown_as_new: bool = False

    def check(self, scope: Scope) -> Outcome:
        known = scope.ctx.known_vendor
        if known is None:
            return Outcome(self.treat_unknown_as_new, "vendor history not checked")
        if known:
            return Outcome(False, "vendor seen before")
        return Outcome(True, "vendor never seen before for this tenant")


class FieldEquals(_Leaf):
    """A field (or ``metadata.<key>``) equals ``value``; text compares trimmed and,
    unless ``case_sensitive``, ignoring case."""

    type: Literal["field_equals"] = "field_equals"
    field: str = Field(min_length=1)
    value: Scalar
    case_sensitive: bool = False

    def check(self, scope: Scope) -> Outcome:
        actual = scope.ctx.lookup(self.field)
        if same_value(actual, self.value, case_sensitive=self.case_sensitive):
            return Outcome(True, f"{self.field} is {show(actual)}")
        return Outcome(False, f"{self.field} is {show(actual)}, not {show(self.value)}")


class FieldIn(_Leaf):
    """A field (or ``metadata.<key>``) equals one of ``values`` (compared as in
    ``field_equals``)."""

    type: Literal["field_in"] = "field_in"
    field: str = Field(min_length=1)
    values: list[Scalar] = Field(min_length=1)
    case_sensitive: bool = False

    def check(self, scope: Scope) -> Outcome:
        actual = scope.ctx.lookup(self.field)
        if any(same_value(actual, v, case_sensitive=self.case_sensitive) for v in self.values):
            return Outcome(True, f"{self.field} is {show(actual)}")
        return Outcome(False, f"{self.field} is {show(actual)}, not one of the listed values")


class SamplePercent(_Leaf):
    """A deterministic ``percent`` % sample of work items, for quality control: the same
    work item, rule and policy version always give the same answer."""

    type: Literal["sample_percent"] = "sample_percent"
    percent: Amount = Field(ge=0, le=100)

    def check(self, scope: Scope) -> Outcome:
        bucket = sample_bucket(scope.ctx.work_item_id, scope.rule_id, scope.policy_version)
        share = format(self.percent, "f")
        if bucket < self.percent * SAMPLE_BUCKETS / 100:
            return Outcome(True, f"work item drawn in the {share}% sample")
        return Outcome(False, f"work item not in the {share}% sample")


def sample_bucket(work_item_id: str, rule_id: str, policy_version: str) -> int:
    """The work item's bucket in ``[0, SAMPLE_BUCKETS)``: sha256 of the three ids."""
    key = "\x1f".join((work_item_id, rule_id, policy_version)).encode("utf-8")
    digest = hashlib.sha256(key).digest()
    return int.from_bytes(digest[:8], "big") % SAMPLE_BUCKETS


class TokenBudgetExhausted(_Leaf):
    """The caller says the model token budget ran out while processing the item."""

    type: Literal["token_budget_exhausted"] = "token_budget_exhausted"

    def check(self, scope: Scope) -> Outcome:
        if scope.ctx.token_budget_exhausted:
            return Outcome(True, "token budget exhausted")
        return Outcome(False, "token budget not exhausted")


class DocumentTypeIs(_Leaf):
    """The record is of ``document_type``."""

    type: Literal["document_type_is"] = "document_type_is"
    document_type: DocumentType

    def check(self, scope: Scope) -> Outcome:
        actual = scope.ctx.document_type
        if actual == self.document_type:
            return Outcome(True, f"document type is {actual.value}")
        return Outcome(False, f"document type is {actual.value}, not {self.document_type.value}")


class QualityBelow(_Leaf):
    """SchemaGuard's quality score is below ``threshold`` (no score: no match)."""

    type: Literal["quality_below"] = "quality_below"
    threshold: float = Field(ge=0.0, le=1.0)

    def check(self, scope: Scope) -> Outcome:
        score = scope.ctx.validation.quality_score
        if score is None:
            return Outcome(False, "no quality score")
        if score < self.threshold:
            return Outcome(True, f"quality score {score:.2f} < {self.threshold:g}")
        return Outcome(False, f"quality score {score:.2f} ≥ {self.threshold:g}")


def required_fields(ctx: PolicyContext) -> tuple[str, ...]:
    """The context's required fields, or those of the built-in schema of its type."""
    if ctx.required_fields is not None:
        return ctx.required_fields
    return _builtin_required(ctx.document_type)


@cache
def _builtin_required(document_type: DocumentType) -> tuple[str, ...]:
    from myloware.schemas import load_builtin_schema
    from myloware.validation import required_groups

    groups = required_groups(load_builtin_schema(document_type))
    return tuple(name for group in groups for name in group)
