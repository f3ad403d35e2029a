"""Status bookkeeping activities of the workflows (not agents: no attempt rows)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from myloware.contracts import (
    FinishItemInput,
    FinishOrderInput,
    ItemPlan,
    ItemRef,
    OrderPlan,
    WorkOrderInput,
)
from myloware.db import hot_sql
from myloware.db.base import WorkItemStatus, WorkOrderStatus
from myloware.db.direct import Connection, engine_of, transaction
from myloware.events.catalogue import EventType, ItemSettled, WorkOrderSettled
from myloware.events.outbox import outbox_row


class BookkeepingActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, offline_extractor: bool = True
    ) -> None:
        self.engine = engine_of(sessions)
        # inline text loads at once (fast path); a model call may take seconds, so only the
        # offline extractor runs as a local activity too
        self.offline_extractor = offline_extractor

    @activity.defn(name="plan_work_order")
    async def plan_work_order(self, inp: WorkOrderInput) -> OrderPlan:
        """Mark the order PROCESSING and list its items with the path each one takes."""
        async with transaction(self.engine) as pg:
            rows = await hot_sql.start_order(pg, inp.work_order_id, inp.tenant_id)
        return OrderPlan(
            items=[
                ItemPlan(
                    item=ItemRef(
                        work_item_id=item_id,
                        work_order_id=inp.work_order_id,
                        tenant_id=inp.tenant_id,
                    ),
                    fast_path=blob_ref is None and self.offline_extractor,
                    local_load=blob_ref is None,
                )
                for item_id, blob_ref in rows
            ]
        )

    @activity.defn(name="finish_work_item")
    async def finish_item(self, inp: FinishItemInput) -> None:
        async with transaction(self.engine) as pg:
            await settle_item(pg, inp)

    @activity.defn(name="finish_work_order")
    async def finish_order(self, inp: FinishOrderInput) -> str:
        """Settle the order from the statuses of all its items: COMPLETED when every item
        completed, FAILED when one failed, else REJECTED when one was rejected (with the
        counts). Items handed in ``settle``, and items the results report failed or rejected
        but nobody settled (a child workflow that itself failed), are settled first, in the
        same transaction."""
        unsettled = [
            FinishItemInput(
                item=ItemRef(
                    work_item_id=r.work_item_id,
                    work_order_id=inp.work_order_id,
                    tenant_id=inp.tenant_id,
                ),
                status=(
                    WorkItemStatus.REJECTED.value
                    if r.status == WorkItemStatus.REJECTED.value
                    else WorkItemStatus.FAILED.value
                ),
                error=r.error,
            )
            for r in inp.results
            if r.status != WorkItemStatus.COMPLETED.value
        ]
        async with transaction(self.engine) as pg:
            for item in [*inp.settle, *unsettled]:  # a settled item stays as it is
                await settle_item(pg, item)
            completed, failed, rejected, still_open = await hot_sql.item_counts(
                pg, inp.work_order_id
            )
            failed += still_open  # none, unless an item's workflow lost it: not a success
            status, event_type = order_outcome(failed, rejected)
            summary = {"completed": completed, "failed": failed, "rejected": rejected}
            now = await hot_sql.settle_order(
                pg,
                inp.work_order_id,
                status.value,
                metadata_patch={"summary": summary},
                event=outbox_row(
                    event_type,
                    WorkOrderSettled(work_order_id=inp.work_order_id, **summary),
                    tenant_id=inp.tenant_id,
                    aggregate_id=inp.work_order_id,
                ),
            )
        return now or status.value


def order_outcome(failed: int, rejected: int) -> tuple[WorkOrderStatus, EventType]:
    """A settled order's status and event: a failure outweighs a rejection."""
    if failed:
        return WorkOrderStatus.FAILED, EventType.WORK_ORDER_FAILED
    if rejected:
        return WorkOrderStatus.REJECTED, EventType.WORK_ORDER_REJECTED
    return WorkOrderStatus.COMPLETED, EventType.WORK_ORDER_COMPLETED


ITEM_EVENTS = {
    WorkItemStatus.COMPLETED: EventType.ITEM_COMPLETED,
    WorkItemStatus.FAILED: EventType.ITEM_FAILED,
    WorkItemStatus.REJECTED: EventType.ITEM_REJECTED,
}


async def settle_item(pg: Connection, inp: FinishItemInput) -> None:
    """Mark the item COMPLETED, FAILED or REJECTED with its result, and record the event.

    Idempotent: a re-run after a lost worker finds the item settled and does nothing."""
    ref = inp.item
    status = WorkItemStatus(inp.status)
    await hot_sql.settle_item(
        pg,
        ref.work_item_id,
        status.value,
        error=None if inp.error is None else inp.error[:4000],
        result=inp.result,
        event=outbox_row(
            ITEM_EVENTS[status],
            ItemSettled(
                work_item_id=ref.work_item_id,
                work_order_id=ref.work_order_id,
                status=status.value,
                error=inp.error,
            ),
            tenant_id=ref.tenant_id,
            aggregate_id=ref.work_item_id,
        ),
    )
