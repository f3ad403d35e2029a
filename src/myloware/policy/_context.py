"""What a policy is evaluated over: :class:`PolicyContext`, one record with its validation
result and the facts only the caller knows (is the vendor known? is the token budget spent?).

Build one from a :class:`~myloware.records.CanonicalRecord` and SchemaGuard's report with
:meth:`PolicyContext.from_record`, or directly from plain values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from myloware.records import CanonicalRecord, DocumentType


class PolicyIssue(BaseModel):
    """One validation error or warning as the policy sees it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str
    field: str = ""
    message: str = ""


class ValidationSummary(BaseModel):
    """SchemaGuard's verdict on the record (the shape of ``ValidationReport``)."""

    model_config = ConfigDict(extra="ignore")

    valid: bool = True
    errors: list[PolicyIssue] = Field(default_factory=list)
    warnings: list[PolicyIssue] = Field(default_factory=list)
    quality_score: float | None = Field(default=None, ge=0.0, le=1.0)


class PolicyContext(BaseModel):
    """Everything a policy may look at; nothing else is consulted (no clock, no I/O)."""

    model_config = ConfigDict(extra="forbid")

    document_type: DocumentType
    values: dict[str, Any] = Field(
        default_factory=dict, description="the canonical record values ({field: value})"
    )
    confidences: dict[str, float] = Field(
        default_factory=dict, description="per-field extraction confidence in 0..1"
    )
    validation: ValidationSummary = Field(default_factory=ValidationSummary)
    work_item_id: str = Field(description="seeds deterministic sampling")
    known_vendor: bool | None = Field(
        default=None, description="False: vendor never seen for this tenant; None: not checked"
    )
    token_budget_exhausted: bool = False
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="caller facts, readable as 'metadata.<key>' fields"
    )
    required_fields: tuple[str, ...] | None = Field(
        default=None,
        description="the active schema's required fields; None: the built-in schema's",
    )

    @classmethod
    def from_record(
        cls,
        record: CanonicalRecord,
        *,
        work_item_id: str,
        validation: BaseModel | Mapping[str, Any] | None = None,
        known_vendor: bool | None = None,
        token_budget_exhausted: bool = False,
        metadata: Mapping[str, Any] | None = None,
        required_fields: tuple[str, ...] | None = None,
    ) -> PolicyContext:
        """A context for ``record``; ``validation`` is a ``ValidationReport``, SchemaGuard's
        activity output or a plain mapping of the same shape."""
        if isinstance(validation, BaseModel):
            validation = validation.model_dump()
        return cls(
            document_type=record.document_type,
            values=record.values(),
            confidences={name: fv.confidence for name, fv in record.fields.items()},
            validation=ValidationSummary.model_validate(validation or {}),
            work_item_id=work_item_id,
            known_vendor=known_vendor,
            token_budget_exhausted=token_budget_exhausted,
            metadata=dict(metadata or {}),
            required_fields=required_fields,
        )

    def lookup(self, field: str) -> Any:
        """A record value, or a caller fact when ``field`` is ``metadata.<key>``."""
        if field.startswith("metadata."):
            return self.metadata.get(field.removeprefix("metadata."))
        return self.values.get(field)
