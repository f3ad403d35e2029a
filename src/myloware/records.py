"""The canonical record: what every extractor produces and every later stage consumes.

A record is a document type plus a mapping of canonical field name → :class:`FieldValue`.
Field names are the public contract of ARCHITECTURE.md "Canonical document schemas".
List-valued fields (``line_items``, ``tags``, ``risks``, ``accomplishments``, ``next_steps``)
carry their whole list in ``value``. ``findings`` are what the extractor noticed about the
document that a reviewer must see (an e-invoice that disagrees with its visible text);
SchemaGuard reports them with its own issues.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field


class DocumentType(StrEnum):
    INVOICE = "INVOICE"
    TICKET = "TICKET"
    STATUS_REPORT = "STATUS_REPORT"


class FieldValue(BaseModel):
    """One extracted value with how sure we are and where it came from."""

    value: Any
    confidence: float = Field(ge=0.0, le=1.0)
    span: tuple[int, int] | None = None  # character offsets into the document text
    page: int | None = None  # 1-based page, where the input had pages
    box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 on that page
    raw: str | None = None  # the source text the value was read from, before normalisation
    #: where a value came from when not read from this document: ``"memory: learned from the
    #: approval of <document> by <person>, <date>"`` (see docs/memory.md, "Learning")
    source: str | None = None


class Finding(BaseModel):
    """Something the extractor noticed that SchemaGuard reports as an error or a warning."""

    model_config = {"frozen": True}

    code: str  # e.g. einvoice_mismatch
    field: str = ""  # the field concerned; empty for the record as a whole
    message: str
    severity: Literal["error", "warning"] = "warning"


class CanonicalRecord(BaseModel):
    """An extraction result for one document."""

    document_type: DocumentType
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    extractor: str = "rules"
    language: str | None = None
    findings: list[Finding] = Field(default_factory=list)

    def values(self) -> dict[str, Any]:
        """The plain ``{field: value}`` view, without confidences and spans."""
        return {name: fv.value for name, fv in self.fields.items()}

    def get(self, name: str, default: Any = None) -> Any:
        fv = self.fields.get(name)
        return default if fv is None else fv.value
