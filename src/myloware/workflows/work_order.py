"""WorkOrderWorkflow: fan out one child WorkItemWorkflow per item, then settle the order."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from myloware.workflows.types import (
        FinishOrderInput,
        OrderPlan,
        WorkItemInput,
        WorkItemResult,
        WorkOrderInput,
    )
    from myloware.workflows.work_item import WorkItemWorkflow

BOOKKEEPING_TIMEOUT = timedelta(seconds=60)
BOOKKEEPING_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


def work_item_workflow_id(work_item_id: object) -> str:
    return f"work-item-{work_item_id}"


@workflow.defn(name="WorkOrderWorkflow")
class WorkOrderWorkflow:
    @workflow.run
    async def run(self, inp: WorkOrderInput) -> str:
        plan = await workflow.execute_local_activity(
            "plan_work_order",
            inp,
            result_type=OrderPlan,
            start_to_close_timeout=BOOKKEEPING_TIMEOUT,
            retry_policy=BOOKKEEPING_RETRY,
        )
        children = [
            workflow.execute_child_workflow(
                WorkItemWorkflow.run,
                WorkItemInput(item=p.item, fast_path=p.fast_path),
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
        status: str = await workflow.execute_local_activity(
            "finish_work_order",
            FinishOrderInput(
                work_order_id=inp.work_order_id, tenant_id=inp.tenant_id, results=results
            ),
            result_type=str,
            start_to_close_timeout=BOOKKEEPING_TIMEOUT,
            retry_policy=BOOKKEEPING_RETRY,
        )
        return status
