"""The combinators ``all``, ``any`` and ``not``, and :data:`Condition`, the union of every
condition type a rule's ``when`` may hold (discriminated by its ``type`` key).

``all`` and ``any`` stop at the first condition that settles them; their detail quotes the
conditions that did.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from myloware.policy._conditions import (
    AmountAbove,
    ConfidenceBelow,
    DocumentTypeIs,
    FieldEquals,
    FieldIn,
    NewVendor,
    Outcome,
    QualityBelow,
    SamplePercent,
    Scope,
    TokenBudgetExhausted,
    ValidationErrors,
)


class _Combinator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AllOf(_Combinator):
    """Every condition in ``conditions`` holds."""

    type: Literal["all"] = "all"
    conditions: list[Condition] = Field(min_length=1)

    def check(self, scope: Scope) -> Outcome:
        details = []
        for condition in self.conditions:
            outcome = condition.check(scope)
            if not outcome.hit:
                return Outcome(False, outcome.detail)
            details.append(outcome.detail)
        return Outcome(True, " and ".join(details))


class AnyOf(_Combinator):
    """At least one condition in ``conditions`` holds."""

    type: Literal["any"] = "any"
    conditions: list[Condition] = Field(min_length=1)

    def check(self, scope: Scope) -> Outcome:
        details = []
        for condition in self.conditions:
            outcome = condition.check(scope)
            if outcome.hit:
                return Outcome(True, outcome.detail)
            details.append(outcome.detail)
        return Outcome(False, "; ".join(details))


class Not(_Combinator):
    """``condition`` does not hold."""

    type: Literal["not"] = "not"
    condition: Condition

    def check(self, scope: Scope) -> Outcome:
        outcome = self.condition.check(scope)
        return Outcome(not outcome.hit, f"not ({outcome.detail})")


Condition = Annotated[
    AmountAbove
    | ConfidenceBelow
    | ValidationErrors
    | NewVendor
    | FieldEquals
    | FieldIn
    | SamplePercent
    | TokenBudgetExhausted
    | DocumentTypeIs
    | QualityBelow
    | AllOf
    | AnyOf
    | Not,
    Field(discriminator="type"),
]
"""Any condition; in a document, a mapping whose ``type`` names the condition."""

for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()

CONDITION_TYPES: tuple[str, ...] = tuple(
    str(model.model_fields["type"].default)
    for model in (
        AmountAbove,
        ConfidenceBelow,
        ValidationErrors,
        NewVendor,
        FieldEquals,
        FieldIn,
        SamplePercent,
        TokenBudgetExhausted,
        DocumentTypeIs,
        QualityBelow,
        AllOf,
        AnyOf,
        Not,
    )
)
"""The ``type`` names a condition may have, in documentation order."""
