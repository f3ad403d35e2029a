"""WorkItemWorkflow: one document through the six agents and the policy step.

RecordGen → ExtractorLLM → JsonRestyler → SchemaGuard → Policy → Persister → Verifier.

Server round trips are the throughput limit of a small Temporal deployment, so stages run as
*local* activities (recorded as markers in this workflow's history, no task-queue hop) except
where a stage may run long: loading a file (OCR) and model calls run as regular activities
unless the item is on the fast path (inline text; the extraction only with the offline
extractor, as a model call may take seconds). Every stage is still its
own activity execution, so each gets retries and its own attempt row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from myloware.agents import (
        AgentName,
        ExtractorLLM,
        JsonRestyler,
        Persister,
        PolicyAgent,
        RecordGen,
        SchemaGuard,
        Verifier,
    )
    from myloware.contracts import (
        ApprovalTicket,
        DecisionOutcome,
        ExtractInput,
        ExtractOutput,
        FinishItemInput,
        HumanDecision,
        ModelExtractInput,
        PersistInput,
        PolicyInput,
        RecordGenInput,
        RecordInput,
        VerifyInput,
        WorkItemInput,
        WorkItemResult,
    )
    from myloware.pipeline_template import TemplateRef
    from myloware.workflows.agent_step import AGENT_IN_WORKFLOW_PATCH, AgentStep
    from myloware.workflows.approval_step import ApprovalStep
    from myloware.workflows.failures import failure_reason

A = TypeVar("A")
T = TypeVar("T")
Stage = Callable[[Any, A], Awaitable[T]]  # an agent's activity method, e.g. ``RecordGen.run``

# Unlimited attempts: a transient failure (a dependency down) is retried for as long as it
# lasts, at most a minute apart; permanent errors are non-retryable (worker.failures).
RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=0,
)
LONG_STAGES = {
    AgentName.RECORD_GEN: timedelta(minutes=5),
    AgentName.EXTRACTOR: timedelta(minutes=3),
}
LOCAL_TIMEOUT = timedelta(seconds=60)
# a template whose extractor mode differs from the platform's may move ExtractorLLM between a
# local and a regular activity: a different command than histories from before templates have
TEMPLATE_EXTRACTOR_PATCH = "template-extractor-mode"
# a template may switch the Verifier off: one activity fewer
TEMPLATE_VERIFIER_PATCH = "template-verifier-off"
# ExtractorLLM may hand the model's part to ExtractorModel on the model task queue
MODEL_QUEUE_PATCH = "model-task-queue"
# how long a document waits for a model worker before the rules' record goes on alone
MODEL_QUEUE_WAIT = timedelta(minutes=30)


def _extract_locally(inp: WorkItemInput, template: TemplateRef | None) -> bool:
    """Whether ExtractorLLM runs as a local activity: on the fast path (inline text, offline
    extractor), unless the item's template names another extractor mode than the platform's."""
    mode = template.settings.extractor.mode if template else None
    if mode is None:
        return inp.fast_path
    inline = inp.fast_path or inp.local_load
    wanted = mode == "rules" and inline
    if wanted != inp.fast_path and workflow.patched(TEMPLATE_EXTRACTOR_PATCH):
        return wanted
    return inp.fast_path


def _runs_verifier(template: TemplateRef | None) -> bool:
    """False where the item's template switched the Verifier off (a stage fewer than
    histories from before templates have: behind the patch)."""
    if template is None or template.settings.verifier.enabled:
        return True
    return not workflow.patched(TEMPLATE_VERIFIER_PATCH)


@workflow.defn(name="WorkItemWorkflow")
class WorkItemWorkflow:
    def __init__(self) -> None:
        self._pipeline = ItemPipeline()

    @workflow.query
    def stage(self) -> str:
        return self._pipeline.stage_name

    @workflow.query
    def pending_approval(self) -> ApprovalTicket | None:
        return self._pipeline.approval.ticket

    @workflow.update(name="decide")
    async def decide(self, inp: HumanDecision) -> DecisionOutcome:
        """A person's decision on the pending approval; exactly one wins per request."""
        return await self._pipeline.approval.decide(inp)

    @decide.validator
    def _check_decide(self, inp: HumanDecision) -> None:
        self._pipeline.approval.check(inp)

    @workflow.run
    async def run(self, inp: WorkItemInput) -> WorkItemResult:
        return await self._pipeline.run(inp)


class ItemPipeline:
    """The stages of one item as workflow code; run by WorkItemWorkflow, or inline by
    WorkOrderWorkflow for a one-item order (one workflow per document: fewer round trips)."""

    def __init__(self, *, settle_item: bool = True) -> None:
        self.stage_name = "queued"
        self.approval = ApprovalStep()
        # False: the caller settles the item (with its order, in one transaction) from
        # ``finished``; the pipeline itself writes nothing at the end
        self.settle_item = settle_item
        self.finished: FinishItemInput | None = None

    async def run(self, inp: WorkItemInput) -> WorkItemResult:
        ref = inp.item
        fast = inp.fast_path
        try:
            gen = await self._run(
                AgentName.RECORD_GEN,
                RecordGen.run,
                RecordGenInput(item=ref),
                local=fast or inp.local_load,
            )
            template = gen.template  # None in histories from before templates
            extracted = await self._run(
                AgentName.EXTRACTOR,
                ExtractorLLM.run,
                ExtractInput(
                    item=ref,
                    document_type=gen.document_type,
                    settings=template.settings.extractor if template else None,
                    tools=template.tools if template else None,
                ),
                local=_extract_locally(inp, template),
            )
            if extracted.model_queue is not None and workflow.patched(MODEL_QUEUE_PATCH):
                extracted = await self._ask_model(
                    extracted,
                    ModelExtractInput(
                        item=ref,
                        document_type=gen.document_type,
                        settings=template.settings.extractor if template else None,
                        tools=template.tools if template else None,
                        rules=extracted.record,
                    ),
                )
            if extracted.agent is not None and workflow.patched(AGENT_IN_WORKFLOW_PATCH):
                self.stage_name = AgentName.EXTRACTOR_AGENT.value
                extracted = await AgentStep(ref, gen.document_type).run(extracted)
            record = await self._run(
                AgentName.RESTYLER,
                JsonRestyler.run,
                RecordInput(item=ref, record=extracted.record),
            )
            validation = await self._run(
                AgentName.SCHEMA_GUARD, SchemaGuard.run, RecordInput(item=ref, record=record)
            )
            decision = await self._run(
                AgentName.POLICY,
                PolicyAgent.run,
                PolicyInput(
                    item=ref,
                    record=record,
                    validation=validation,
                    token_budget_exhausted=extracted.budget_exhausted,
                ),
            )
            if decision.action == "REJECT":
                reason = "; ".join(decision.reasons) or "rejected by policy"
                return await self._finish(ref, "REJECTED", error=f"rejected by policy: {reason}")
            if decision.action == "REQUIRE_APPROVAL":
                outcome = await self.approval.run(ref, record, validation, decision)
                if outcome.failure is not None:  # rejected by a person or at the SLA's end
                    return await self._finish(ref, "REJECTED", error=outcome.failure)
                record, validation = outcome.record, outcome.validation
            persisted = await self._run(
                AgentName.PERSISTER,
                Persister.run,
                PersistInput(item=ref, record=record, validation=validation, decision=decision),
            )
            verified = None
            if _runs_verifier(template):
                verified = await self._run(
                    AgentName.VERIFIER,
                    Verifier.run,
                    VerifyInput(
                        item=ref,
                        record=record,
                        validation=validation,
                        persisted=persisted,
                        threshold=template.settings.verifier.pass_threshold if template else None,
                    ),
                )
        except ActivityError as err:
            return await self._finish(ref, "FAILED", error=failure_reason(err))
        result: dict[str, Any] = {
            "document_type": record.document_type.value,
            "fields": record.values(),
            "confidence": {k: v.confidence for k, v in record.fields.items()},
            "validation": validation.model_dump(mode="json"),
            "decision": decision.model_dump(mode="json"),
            "record": {"id": str(persisted.record_id), "version": persisted.version},
            "verification": (
                {"score": verified.score, "passed": verified.passed} if verified else None
            ),
        }
        if template is not None:
            result["template"] = {
                "id": str(template.id) if template.id else None,
                "name": template.name,
                "version": template.version,
                "scope": template.scope,
            }
        return await self._finish(ref, "COMPLETED", result=result)

    async def _ask_model(self, handed: ExtractOutput, arg: ModelExtractInput) -> ExtractOutput:
        """ExtractorModel on the model task queue, with its own worker slots: documents the
        rules settle never queue behind model calls. No model worker within
        :data:`MODEL_QUEUE_WAIT`: the rules' record goes on, saying why."""
        self.stage_name = AgentName.EXTRACTOR_MODEL.value
        try:
            return await workflow.execute_activity_method(
                ExtractorLLM.model,
                arg,
                task_queue=handed.model_queue,
                schedule_to_start_timeout=MODEL_QUEUE_WAIT,
                start_to_close_timeout=LONG_STAGES[AgentName.EXTRACTOR],
                retry_policy=RETRY,
            )
        except ActivityError as err:
            note = f"rules (no model worker took it: {failure_reason(err)})"
            record = handed.record.model_copy(update={"extractor": note})
            return handed.model_copy(update={"record": record, "model_queue": None})

    async def _run(self, agent: AgentName, stage: Stage[A, T], arg: A, *, local: bool = True) -> T:
        """One agent stage: a local activity, or a regular one where it may run long."""
        self.stage_name = agent.value
        if not local and agent in LONG_STAGES:
            return await workflow.execute_activity_method(
                stage,
                arg,
                start_to_close_timeout=LONG_STAGES[agent],
                retry_policy=RETRY,
            )
        return await workflow.execute_local_activity_method(
            stage,
            arg,
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=RETRY,
        )

    async def _finish(
        self,
        ref: Any,
        status: str,
        *,
        error: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> WorkItemResult:
        self.stage_name = status.lower()
        self.finished = FinishItemInput(item=ref, status=status, error=error, result=result)
        if self.settle_item:
            await workflow.execute_local_activity(
                "finish_work_item",
                self.finished,
                start_to_close_timeout=LOCAL_TIMEOUT,
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
            )
        return WorkItemResult(work_item_id=ref.work_item_id, status=status, error=error)
