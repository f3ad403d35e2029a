"""Workflow templates and the tool catalogue: what a document's pipeline runs with.

A template says, for one document type (``*``: any) and tenant, how the stages run: the
extractor's mode, model providers and model, the tools its agent may call, and the
Verifier's pass threshold. A setting left out (``None``) means "as the platform is
configured" (:class:`myloware.settings.Settings`), so the :data:`BUILTIN_TEMPLATE`, all
``None``, runs today's pipeline unchanged. Templates are stored versioned in
``workflow_templates`` (:mod:`myloware.services.templates`); RecordGen resolves the active
one when a work item starts and the workflow passes its settings to the later stages.

:data:`BUILTIN_TOOLS` is the catalogue of the tools built into the platform: a name, what it
does, the capabilities it needs (rows of ``capabilities``, linked in ``tool_capabilities``)
and its arguments as JSON Schema. Their callables are in :mod:`myloware.agents.tools`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from myloware.records import DocumentType

ANY_TYPE = "*"
#: the built-in tools' names (the catalogue below; a test checks the two agree)
ToolName = Literal["memory.sender_lookup", "check.arithmetic", "document.read", "schema.active"]
ExtractorMode = Literal["rules", "model", "hybrid", "agent"]
ProviderName = Literal["openai", "anthropic", "local"]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    capabilities: tuple[str, ...]
    parameters: dict[str, Any] = field(default_factory=dict)

    def as_schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": self.parameters, "additionalProperties": False}


#: capability name -> (scope, description)
CAPABILITIES: dict[str, tuple[str, str]] = {
    "memory:read": ("memory", "read the tenant's memory of past documents and records"),
    "document:read": ("document", "read the work item's loaded document"),
    "schema:read": ("schema", "read the active JSON Schema of a document type"),
    "compute": ("compute", "pure computation on values given to it; reads nothing"),
}

BUILTIN_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "memory.sender_lookup",
        "The tenant's approved records from the same sender (vendor name or tax id): how "
        "often seen and the values they had.",
        ("memory:read",),
        {"sender": {"type": "string"}},
    ),
    ToolSpec(
        "check.arithmetic",
        "Check an invoice's arithmetic: line amounts against quantity × unit price, the "
        "lines against the subtotal, subtotal + tax against the total.",
        ("compute",),
        {
            "line_items": {"type": "array"},
            "subtotal": {"type": ["number", "null"]},
            "tax_amount": {"type": ["number", "null"]},
            "total_amount": {"type": ["number", "null"]},
        },
    ),
    ToolSpec(
        "document.read",
        "The text of one page of the work item's document, or of a region of it (a line range).",
        ("document:read",),
        {
            "page": {"type": "integer", "minimum": 1},
            "first_line": {"type": "integer", "minimum": 0},
            "last_line": {"type": "integer", "minimum": 0},
        },
    ),
    ToolSpec(
        "schema.active",
        "The active JSON Schema (and its version) of the work item's document type.",
        ("schema:read",),
        {},
    ),
)
BUILTIN_TOOL_NAMES: tuple[str, ...] = tuple(t.name for t in BUILTIN_TOOLS)
assert set(get_args(ToolName)) == set(BUILTIN_TOOL_NAMES), "ToolName lists every built-in tool"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ExtractorStage(_Strict):
    mode: ExtractorMode | None = Field(default=None, description="default: MYLOWARE_EXTRACTOR")
    providers: list[ProviderName] | None = Field(
        default=None, description="the model chain; default: MYLOWARE_MODEL_PROVIDERS"
    )
    model: str | None = Field(
        default=None, max_length=200, description="the model of the chain's first provider"
    )
    tools: list[ToolName] | None = Field(
        default=None, description="tools the agent may call; default: every built-in tool"
    )


class VerifierStage(_Strict):
    enabled: bool = Field(
        default=True, description="false: the Verifier does not run (no verification result)"
    )
    pass_threshold: float | None = Field(
        default=None, ge=0.0, le=1.0, description="least score to pass; default 0.7"
    )


class TemplateSettings(_Strict):
    """The stage settings of a workflow template (``workflow_definition``)."""

    extractor: ExtractorStage = Field(default_factory=ExtractorStage)
    verifier: VerifierStage = Field(default_factory=VerifierStage)


class TemplateRef(BaseModel):
    """The template a work item runs with, as RecordGen resolved it (kept in its history)."""

    id: uuid.UUID | None = None  # None: the built-in template
    name: str
    version: str
    document_type: str
    scope: str  # builtin | platform | tenant
    settings: TemplateSettings = Field(default_factory=TemplateSettings)
    tools: list[str] = Field(default_factory=list)  # the tools the extractor agent gets

    def label(self) -> str:
        return f"{self.name} v{self.version}"


BUILTIN_TEMPLATE_NAME = "builtin"
BUILTIN_TEMPLATE_VERSION = "1"


def builtin_template(document_type: DocumentType | str, tools: list[str]) -> TemplateRef:
    """Today's pipeline: every setting as the platform is configured."""
    doc_type = document_type.value if isinstance(document_type, DocumentType) else document_type
    return TemplateRef(
        name=BUILTIN_TEMPLATE_NAME,
        version=BUILTIN_TEMPLATE_VERSION,
        document_type=doc_type,
        scope="builtin",
        tools=tools,
    )


def allowed_tools(wanted: Sequence[str] | None, enabled_for_tenant: set[str]) -> list[str]:
    """The tools an agent gets: those its template asks for (None: every built-in tool) that
    its tenant allows, in catalogue order."""
    asked = set(BUILTIN_TOOL_NAMES if wanted is None else wanted)
    return [n for n in BUILTIN_TOOL_NAMES if n in asked and n in enabled_for_tenant]


def template_digest(settings: TemplateSettings) -> str:
    text = json.dumps(settings.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
