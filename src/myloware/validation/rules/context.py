"""What a business rule sees (:class:`RuleContext`) and the knobs it obeys
(:class:`ValidationOptions`).

A rule is a pure function ``(RuleContext) -> list[Issue]``: it reads the record's values
(and, where it needs them, confidences or the schema) and returns the problems it found,
errors and warnings alike, or an empty list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from myloware.records import CanonicalRecord
from myloware.validation._report import Issue


class ValidationOptions(BaseModel):
    """Thresholds of the business rules; the defaults suit the built-in schemas."""

    model_config = {"frozen": True}

    low_confidence_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    """Required fields read with a confidence below this get a warning."""
    amount_tolerance: Decimal = Field(default=Decimal("0.01"), ge=0)
    """How far sums may drift from the stated amount (a cent)."""
    max_future_days: int = Field(default=366, ge=0)
    """Dates further than this beyond ``today`` get a warning."""
    today: date | None = None
    """The reference date; ``None`` means the current UTC date at validation time."""


@dataclass(frozen=True)
class RuleContext:
    """One record under validation, with its schema and the options in force."""

    record: CanonicalRecord
    schema: Mapping[str, Any]
    today: date
    options: ValidationOptions = field(default_factory=ValidationOptions)
    values: Mapping[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", self.record.values())

    def confidence(self, name: str) -> float | None:
        """The confidence of field ``name``, or ``None`` when the record lacks it."""
        fv = self.record.fields.get(name)
        return None if fv is None else fv.confidence


Rule = Callable[[RuleContext], list[Issue]]
