"""The reconciler: no order stays unsettled because its workflow never started, vanished or
closed without settling it.

Every pass looks at a batch of unsettled orders older than ``min_age_s`` — PENDING ones
first (stored while Temporal was unreachable), then PROCESSING ones in turn — and asks
Temporal for each order's workflow:

* none (never started, or its history is gone): start it;
* running: nothing to do;
* closed as COMPLETED, FAILED or TIMED_OUT with the order still unsettled: start it again
  (at most ``MAX_RESTARTS`` times; the new run plans only the items not settled yet and the
  order is settled from the statuses of all its items), then settle what is left as FAILED
  with the reason;
* TERMINATED or CANCELED (a person stopped it): settle the open items and the order as
  FAILED, saying so.

Idempotent and safe to run in every worker at once: starts are deduplicated by workflow id
and settling is conditional on the row still being open.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import literal, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from myloware.contracts import FinishItemInput, FinishOrderInput, ItemRef, workflow_id_for
from myloware.db.base import WorkItemStatus, WorkOrderStatus
from myloware.db.models import WorkItem, WorkOrder
from myloware.settings import Settings
from myloware.temporal_client import start_work_order
from myloware.worker.bookkeeping import BookkeepingActivities

log = structlog.get_logger(__name__)

MAX_RESTARTS = 3
BATCH = 100
STOPPED = {WorkflowExecutionStatus.TERMINATED, WorkflowExecutionStatus.CANCELED}


@dataclass
class PassReport:
    """What one pass did, for logs and tests."""

    checked: int = 0
    started: int = 0
    restarted: int = 0
    settled: int = 0


class Reconciler:
    def __init__(
        self,
        client: Client,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        *,
        min_age_s: float = 10.0,
    ) -> None:
        self.client, self.settings, self.sessions = client, settings, sessions
        self.min_age = timedelta(seconds=min_age_s)
        self.books = BookkeepingActivities(sessions)
        self._after: tuple[datetime, uuid.UUID] | None = None  # where the last pass stopped

    async def run(self, stop: asyncio.Event, *, interval_s: float = 15.0) -> None:
        """Reconcile every ``interval_s`` until ``stop``; a failing pass is logged and retried."""
        while not stop.is_set():
            try:
                await self.reconcile_once()
            except Exception as exc:  # Temporal or PostgreSQL away: try again next pass
                log.warning("reconcile_failed", error=str(exc))
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except TimeoutError:
                pass

    async def reconcile_once(self) -> PassReport:
        report = PassReport()
        for order in await self._batch():
            report.checked += 1
            await self._reconcile(order, report)
        return report

    async def _batch(self) -> list[Any]:
        """Old PENDING orders, then PROCESSING ones after where the last pass stopped."""
        cutoff = datetime.now(UTC) - self.min_age
        columns = (WorkOrder.id, WorkOrder.tenant_id, WorkOrder.status, WorkOrder.metadata_)
        async with self.sessions() as session:
            pending = (
                await session.execute(
                    select(*columns)
                    .where(
                        WorkOrder.status == WorkOrderStatus.PENDING, WorkOrder.created_at < cutoff
                    )
                    .order_by(WorkOrder.created_at)
                    .limit(BATCH)
                )
            ).all()
            query = select(*columns, WorkOrder.updated_at).where(
                WorkOrder.status.in_(
                    (WorkOrderStatus.PROCESSING, WorkOrderStatus.AWAITING_APPROVAL)
                ),
                WorkOrder.updated_at < cutoff,
            )
            if self._after is not None:
                at, last = self._after
                query = query.where(
                    or_(
                        WorkOrder.updated_at > at,
                        (WorkOrder.updated_at == at) & (WorkOrder.id > last),
                    )
                )
            processing = (
                await session.execute(
                    query.order_by(WorkOrder.updated_at, WorkOrder.id).limit(BATCH)
                )
            ).all()
        # a short page means the end was reached: the next pass starts from the oldest again
        self._after = (
            (processing[-1].updated_at, processing[-1].id) if len(processing) == BATCH else None
        )
        return [*pending, *processing]

    async def _reconcile(self, order: Any, report: PassReport) -> None:
        order_id, tenant_id = order.id, order.tenant_id
        status = await self._workflow_status(order_id)
        if status is None:
            if await start_work_order(self.client, self.settings, order_id, tenant_id):
                report.started += 1
                log.info("workflow_started_by_reconciler", work_order_id=str(order_id))
            return
        if status in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.CONTINUED_AS_NEW):
            return
        restarts = int((order.metadata_ or {}).get("restarts", 0))
        if status not in STOPPED and restarts < MAX_RESTARTS:
            await self._count_restart(order_id, restarts + 1)
            await start_work_order(
                self.client,
                self.settings,
                order_id,
                tenant_id,
                reuse=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )
            report.restarted += 1
            log.warning(
                "workflow_restarted_by_reconciler",
                work_order_id=str(order_id),
                closed_as=status.name,
                restart=restarts + 1,
            )
            return
        why = (
            f"processing was stopped: the order's workflow was {status.name.lower()}"
            if status in STOPPED
            else f"the order's workflow ended {status.name.lower()} {restarts} times"
        )
        await self._settle(order_id, tenant_id, why)
        report.settled += 1
        log.warning("order_settled_by_reconciler", work_order_id=str(order_id), reason=why)

    async def _workflow_status(self, order_id: uuid.UUID) -> WorkflowExecutionStatus | None:
        handle = self.client.get_workflow_handle(workflow_id_for(order_id))
        try:
            described = await handle.describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        return described.status

    async def _count_restart(self, order_id: uuid.UUID, restarts: int) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(WorkOrder)
                .where(WorkOrder.id == order_id)
                .values(
                    metadata_=WorkOrder.metadata_.op("||")(
                        literal({"restarts": restarts}, type_=JSONB)
                    )
                )
            )

    async def _settle(self, order_id: uuid.UUID, tenant_id: uuid.UUID, why: str) -> None:
        """Every open item FAILED with ``why``, then the order from its items' statuses."""
        async with self.sessions() as session:
            open_items = (
                await session.scalars(
                    select(WorkItem.id).where(
                        WorkItem.work_order_id == order_id,
                        WorkItem.status.not_in(
                            (
                                WorkItemStatus.COMPLETED,
                                WorkItemStatus.FAILED,
                                WorkItemStatus.REJECTED,
                            )
                        ),
                    )
                )
            ).all()
        settle = [
            FinishItemInput(
                item=ItemRef(work_item_id=item_id, work_order_id=order_id, tenant_id=tenant_id),
                status=WorkItemStatus.FAILED.value,
                error=why,
            )
            for item_id in open_items
        ]
        await self.books.finish_order(
            FinishOrderInput(work_order_id=order_id, tenant_id=tenant_id, results=[], settle=settle)
        )
