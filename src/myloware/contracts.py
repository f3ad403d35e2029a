"""The contract between the workflows, their activities and the clients that start and
decide them: one typed input (and output) per workflow and activity, so fields can be added
safely, the workflow ids, and the names a system decision is recorded under."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from myloware.models.base import Usage
from myloware.pipeline_template import ExtractorStage, TemplateRef
from myloware.records import CanonicalRecord, DocumentType

#: who decides when an approval's SLA runs out (escalation, the fail-closed default)
SLA_SYSTEM = "system:sla"


def workflow_id_for(work_order_id: uuid.UUID) -> str:
    """The id of a work order's WorkOrderWorkflow (one per order: starts are idempotent)."""
    return f"work-order-{work_order_id}"


def work_item_workflow_id(work_item_id: object) -> str:
    """The id of an item's child WorkItemWorkflow (orders of several items)."""
    return f"work-item-{work_item_id}"


class WorkOrderInput(BaseModel):
    work_order_id: uuid.UUID
    tenant_id: uuid.UUID


class ItemRef(BaseModel):
    """Identifies the work item a stage works on; the attempt recorder reads it."""

    work_item_id: uuid.UUID
    work_order_id: uuid.UUID
    tenant_id: uuid.UUID


class ItemPlan(BaseModel):
    item: ItemRef
    fast_path: bool = Field(
        description="inline text with the offline extractor: every stage runs as a local activity"
    )
    # inline text with a model extractor: RecordGen runs as a local activity, ExtractorLLM
    # (seconds) as a regular one. A field of its own, so that code from before it, which
    # ignores it, still runs such a plan with regular activities only.
    local_load: bool = False


class OrderPlan(BaseModel):
    items: list[ItemPlan]


class WorkItemInput(BaseModel):
    item: ItemRef
    fast_path: bool = False
    local_load: bool = False


class WorkItemResult(BaseModel):
    work_item_id: uuid.UUID
    status: str  # COMPLETED | FAILED | REJECTED
    error: str | None = None


class RecordGenInput(BaseModel):
    item: ItemRef


class RecordGenOutput(BaseModel):
    document_type: DocumentType
    type_confidence: float
    language: str | None
    media_type: str
    pages: int
    chars: int
    # the workflow template the item runs with (None in histories from before templates)
    template: TemplateRef | None = None


class ExtractInput(BaseModel):
    item: ItemRef
    document_type: DocumentType
    # the template's extractor settings (None: as the platform is configured) and the tools
    # its agent gets (None: before templates, every built-in tool the tenant allows)
    settings: ExtractorStage | None = None
    tools: list[str] | None = None


class ModelExtractInput(ExtractInput):
    """What ExtractorLLM hands to its model stage on the model task queue: the rules'
    record (``hybrid`` asks the model only for what it misses)."""

    rules: CanonicalRecord


class RelatedUse(BaseModel):
    """A past document whose approved record the model was shown as a guide."""

    work_item_id: uuid.UUID
    similarity: float


class LearnedUse(BaseModel):
    """A field whose value an earlier approval taught (see docs/memory.md, "Learning")."""

    field: str
    work_item_id: str  # the approved document's work item
    provenance: str  # "memory: learned from the approval of <document> by <person>, <date>"


class AgentPlan(BaseModel):
    """What the workflow needs to run the extractor agent itself (``record`` of the
    :class:`ExtractOutput` carrying it is the rules' record, the fallback). ``model``: the
    chain as the model name the model activity reads (:mod:`myloware.agents.turns`)."""

    instructions: str
    prompt: str  # the document's text in it: in the history once per model call
    model: str
    schema_name: str
    output_schema: dict[str, Any]
    max_turns: int
    # the whole run's limit, model and tool calls together (None: a plan handed before
    # there was one)
    deadline_s: float | None = None


class ExtractOutput(BaseModel):
    record: CanonicalRecord
    usage: Usage | None = None
    tools: list[str] = Field(default_factory=list)  # the tools the agent was given
    budget_exhausted: bool = False  # a token budget was spent: no model was asked
    related: list[RelatedUse] = Field(default_factory=list)  # memory shown to the model
    learned: list[LearnedUse] = Field(default_factory=list)  # values taught by approvals
    # the fields whose value a model gave (hybrid: those the rules missed; model: all of them)
    from_model: list[str] = Field(default_factory=list)
    # set when the model is still to be asked, on this task queue (ExtractorModel)
    model_queue: str | None = None
    # set when the agent is to run in the workflow, one activity per model and tool call
    agent: AgentPlan | None = None


class ToolCallInput(BaseModel):
    """One tool call of an agent run in the workflow (ExtractorTool)."""

    item: ItemRef
    document_type: DocumentType
    tools: list[str]  # the tools the template and the tenant allow
    name: str  # the tool's catalogue name (``check.arithmetic``)
    arguments: str  # the JSON text the model sent


class ToolCallOutput(BaseModel):
    answer: str  # what the model reads: the tool's JSON answer, or its error
    usage: Usage  # the call, on ``tools``: the attempt recorder keeps it


class AgentRecordInput(BaseModel):
    """How the agent run in the workflow ended (ExtractorAgent): its answer, or why none."""

    item: ItemRef
    document_type: DocumentType
    rules: CanonicalRecord
    answer: dict[str, Any] | None = None
    provider: str | None = None  # who gave the last answer
    failure: str | None = None
    budget_spent: bool = False
    tools: list[str] = Field(default_factory=list)
    related: list[RelatedUse] = Field(default_factory=list)


class RecordInput(BaseModel):
    """Input of the stages that transform or check a record (restyle, validate)."""

    item: ItemRef
    record: CanonicalRecord


class ValidationOutput(BaseModel):
    valid: bool
    errors: list[dict[str, Any]] = Field(default_factory=list)
    warnings: list[dict[str, Any]] = Field(default_factory=list)
    quality_score: float = 0.0
    schema_version: str | None = None


class PolicyInput(BaseModel):
    item: ItemRef
    record: CanonicalRecord
    validation: ValidationOutput
    token_budget_exhausted: bool = False


class Tier(BaseModel):
    group: str
    sla_seconds: int


class PolicyDecision(BaseModel):
    action: str  # AUTO_APPROVE | REQUIRE_APPROVAL | REJECT
    policy_version: str
    policy_name: str = "passthrough"
    reasons: list[str] = Field(default_factory=list)
    explanation: str = ""
    approver_group: str | None = None
    escalation: list[Tier] = Field(default_factory=list)
    on_sla_exhausted: str = "REJECT"
    #: the deciding rule in its own words (rule_id, reason, detail); None: no rule decided
    cause: dict[str, str] | None = None


class OpenApprovalInput(BaseModel):
    item: ItemRef
    workflow_id: str
    decision: PolicyDecision


class ApprovalTicket(BaseModel):
    """The open approval request as the workflow tracks it."""

    request_id: uuid.UUID
    tier: int
    group: str
    sla_seconds: int


class HumanDecision(BaseModel):
    """The argument of the ``decide`` update: a person's decision on the pending approval."""

    decision: str  # APPROVED | REJECTED | ESCALATED
    reason: str | None = None
    corrections: dict[str, Any] | None = None
    approver_id: str
    approver_groups: list[str] = Field(default_factory=list)
    is_admin: bool = False
    request_id: uuid.UUID | None = None
    tier: int | None = None  # the tier the person saw; refused when the request moved on
    client_ip: str | None = None
    user_agent: str | None = None


class DecisionOutcome(BaseModel):
    request_id: uuid.UUID
    decision: str
    status: str  # the approval request's status after the decision
    tier: int
    group: str


class SettleApprovalInput(BaseModel):
    """Write one decision (human or SLA) on an approval request."""

    item: ItemRef
    ticket: ApprovalTicket
    decision: str  # APPROVED | REJECTED | ESCALATED | EXPIRED
    decided_by: str
    reason: str | None = None
    corrections: dict[str, Any] | None = None
    policy_version: str
    next_tier: ApprovalTicket | None = None
    client_ip: str | None = None
    user_agent: str | None = None


class CorrectionInput(BaseModel):
    item: ItemRef
    record: CanonicalRecord
    corrections: dict[str, Any]


class CorrectionOutput(BaseModel):
    record: CanonicalRecord
    validation: ValidationOutput


class PersistInput(BaseModel):
    item: ItemRef
    record: CanonicalRecord
    validation: ValidationOutput
    decision: PolicyDecision
    source: str = "pipeline"


class PersistOutput(BaseModel):
    record_id: uuid.UUID
    version: int
    created: bool


class VerifyInput(BaseModel):
    item: ItemRef
    record: CanonicalRecord
    validation: ValidationOutput
    persisted: PersistOutput
    threshold: float | None = None  # the template's pass threshold (None: the default)


class VerifyOutput(BaseModel):
    score: float
    passed: bool
    metrics: dict[str, Any]


class FinishItemInput(BaseModel):
    item: ItemRef
    status: str  # COMPLETED | FAILED | REJECTED
    error: str | None = None
    result: dict[str, Any] | None = None


class FinishOrderInput(BaseModel):
    work_order_id: uuid.UUID
    tenant_id: uuid.UUID
    results: list[WorkItemResult]
    # items whose pipeline ran inline and left settling to the order (same transaction)
    settle: list[FinishItemInput] = []
