"""WorkOrderWorkflow: fan out one child WorkItemWorkflow per item, then settle the order."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from myloware.contracts import (
        ApprovalTicket,
        DecisionOutcome,
        FinishItemInput,
        FinishOrderInput,
        HumanDecision,
        OrderPlan,
        WorkItemInput,
        WorkItemResult,
        WorkOrderInput,
        work_item_workflow_id,
    )
    from myloware.workflows.work_item import ItemPipeline, WorkItemWorkflow

BOOKKEEPING_TIMEOUT = timedelta(seconds=60)
BOOKKEEPING_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


# How a one-item order runs its item, by the patch its history carries (replays keep theirs):
# none — as a child workflow, like every item (v1); INLINE_ITEM_V1 — inline, settling the item
# in an activity of its own; INLINE_ITEM_V2 — inline, the item settled in the order's last
# activity (one activity less). New orders record only V2: one patch marker, not two.
INLINE_ITEM_V1 = "inline-single-item-v1"
INLINE_ITEM_V2 = "inline-single-item-v2"


@workflow.defn(name="WorkOrderWorkflow")
class WorkOrderWorkflow:
    def __init__(self) -> None:
        self._inline: ItemPipeline | None = None

    @workflow.query
    def pending_approval(self) -> ApprovalTicket | None:
        return self._inline.approval.ticket if self._inline else None

    @workflow.update(name="decide")
    async def decide(self, inp: HumanDecision) -> DecisionOutcome:
        """The decide update of a one-item order's inline item (see WorkItemWorkflow)."""
        assert self._inline is not None
        return await self._inline.approval.decide(inp)

    @decide.validator
    def _check_decide(self, inp: HumanDecision) -> None:
        if self._inline is None:
            raise ApplicationError(
                "decisions go to the item's own workflow", type="ApprovalConflict"
            )
        self._inline.approval.check(inp)

    @workflow.run
    async def run(self, inp: WorkOrderInput) -> str:
        plan = await workflow.execute_local_activity(
            "plan_work_order",
            inp,
            result_type=OrderPlan,
            start_to_close_timeout=BOOKKEEPING_TIMEOUT,
            retry_policy=BOOKKEEPING_RETRY,
        )
        if len(plan.items) == 1 and (
            workflow.patched(INLINE_ITEM_V2) or workflow.patched(INLINE_ITEM_V1)
        ):
            only = plan.items[0]
            self._inline = ItemPipeline(settle_item=not workflow.patched(INLINE_ITEM_V2))
            results = [
                await self._inline.run(
                    WorkItemInput(
                        item=only.item,
                        fast_path=only.fast_path,
                        local_load=only.local_load,
                    )
                )
            ]
            settle = [] if self._inline.settle_item else [self._inline.finished]
            return await self._finish(inp, results, settle)
        children = [
            workflow.execute_child_workflow(
                WorkItemWorkflow.run,
                WorkItemInput(item=p.item, fast_path=p.fast_path, local_load=p.local_load),
                id=work_item_workflow_id(p.item.work_item_id),
            )
            for p in plan.items
        ]
        outcomes = await asyncio.gather(*children, return_exceptions=True)
        results = [
            outcome
            if isinstance(outcome, WorkItemResult)
            else WorkItemResult(
                work_item_id=p.item.work_item_id, status="FAILED", error=str(outcome)
            )
            for p, outcome in zip(plan.items, outcomes, strict=True)
        ]
        return await self._finish(inp, results)

    async def _finish(
        self,
        inp: WorkOrderInput,
        results: list[WorkItemResult],
        settle: list[FinishItemInput | None] | None = None,
    ) -> str:
        status: str = await workflow.execute_local_activity(
            "finish_work_order",
            FinishOrderInput(
                work_order_id=inp.work_order_id,
                tenant_id=inp.tenant_id,
                results=results,
                settle=[s for s in settle or [] if s is not None],
            ),
            result_type=str,
            start_to_close_timeout=BOOKKEEPING_TIMEOUT,
            retry_policy=BOOKKEEPING_RETRY,
        )
        return status
