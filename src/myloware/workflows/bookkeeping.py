"""Status bookkeeping activities of the workflows (not agents: no attempt rows)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from myloware.db.base import WorkItemStatus, WorkOrderStatus
from myloware.db.models import WorkItem, WorkOrder
from myloware.events.outbox import record_event
from myloware.workflows.types import (
    FinishItemInput,
    FinishOrderInput,
    ItemPlan,
    ItemRef,
    OrderPlan,
    WorkOrderInput,
)

TERMINAL_ITEM = (WorkItemStatus.COMPLETED, WorkItemStatus.FAILED)
TERMINAL_ORDER = (WorkOrderStatus.COMPLETED, WorkOrderStatus.FAILED)


class BookkeepingActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, offline_extractor: bool = True
    ) -> None:
        self.sessions = sessions
        # a model call may take seconds: only the offline extractor keeps inline text on the
        # all-local fast path
        self.offline_extractor = offline_extractor

    @activity.defn(name="plan_work_order")
    async def plan_work_order(self, inp: WorkOrderInput) -> OrderPlan:
        """Mark the order PROCESSING and list its items with the path each one takes."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(WorkOrder)
                .where(
                    WorkOrder.id == inp.work_order_id, WorkOrder.status == WorkOrderStatus.PENDING
                )
                .values(status=WorkOrderStatus.PROCESSING, updated_at=datetime.now(UTC))
            )
            rows = (
                await session.execute(
                    select(WorkItem.id, WorkItem.blob_ref)
                    .where(
                        WorkItem.work_order_id == inp.work_order_id,
                        WorkItem.tenant_id == inp.tenant_id,
                    )
                    .order_by(WorkItem.position)
                )
            ).all()
        return OrderPlan(
            items=[
                ItemPlan(
                    item=ItemRef(
                        work_item_id=row[0],
                        work_order_id=inp.work_order_id,
                        tenant_id=inp.tenant_id,
                    ),
                    fast_path=row[1] is None and self.offline_extractor,
                )
                for row in rows
            ]
        )

    @activity.defn(name="finish_work_item")
    async def finish_item(self, inp: FinishItemInput) -> None:
        async with self.sessions() as session, session.begin():
            await settle_item(session, inp)

    @activity.defn(name="finish_work_order")
    async def finish_order(self, inp: FinishOrderInput) -> str:
        """COMPLETED when every item completed, FAILED otherwise (with the counts)."""
        failed = [r for r in inp.results if r.status != WorkItemStatus.COMPLETED.value]
        status = WorkOrderStatus.FAILED if failed else WorkOrderStatus.COMPLETED
        summary = {"completed": len(inp.results) - len(failed), "failed": len(failed)}
        async with self.sessions() as session, session.begin():
            for item in inp.settle:
                await settle_item(session, item)
            order = await session.scalar(
                select(WorkOrder).where(WorkOrder.id == inp.work_order_id).with_for_update()
            )
            if order is None or order.status in TERMINAL_ORDER:
                return order.status.value if order else status.value
            order.status = status
            order.metadata_ = {**order.metadata_, "summary": summary}
            order.updated_at = datetime.now(UTC)
            record_event(
                session,
                event_type=f"work_order.{status.value.lower()}",
                tenant_id=inp.tenant_id,
                aggregate_type="work_order",
                aggregate_id=inp.work_order_id,
                payload={"work_order_id": str(inp.work_order_id), **summary},
            )
        return status.value


async def settle_item(session: AsyncSession, inp: FinishItemInput) -> None:
    """Mark the item COMPLETED or FAILED with its result, and record the event.

    Idempotent: a re-run after a lost worker finds the item settled and does nothing."""
    ref = inp.item
    status = WorkItemStatus(inp.status)
    values: dict[str, object] = {"status": status, "processed_at": datetime.now(UTC)}
    if inp.error is not None:
        values["error"] = inp.error[:4000]
    if inp.result is not None:
        values["result"] = inp.result
    updated = await session.scalar(
        update(WorkItem)
        .where(WorkItem.id == ref.work_item_id, WorkItem.status.not_in(TERMINAL_ITEM))
        .values(**values)
        .returning(WorkItem.id)
    )
    if updated is None:
        return
    record_event(
        session,
        event_type="work_item.completed"
        if status is WorkItemStatus.COMPLETED
        else "work_item.failed",
        tenant_id=ref.tenant_id,
        aggregate_type="work_item",
        aggregate_id=ref.work_item_id,
        payload={
            "work_item_id": str(ref.work_item_id),
            "work_order_id": str(ref.work_order_id),
            "status": status.value,
            "error": inp.error,
        },
    )
