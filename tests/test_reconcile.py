"""The reconciler against real Temporal and PostgreSQL: no order stays unsettled because its
workflow never started, was stopped, or closed without settling it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError

from myloware.contracts import FinishOrderInput, ItemRef, WorkOrderInput, workflow_id_for
from myloware.db.base import WorkOrderStatus
from myloware.db.models import WorkItem, WorkOrder
from myloware.settings import Settings
from myloware.temporal_client import connect
from myloware.worker.build import activities_for
from myloware.worker.reconcile import MAX_RESTARTS, Reconciler
from myloware.workflows.work_order import WorkOrderWorkflow
from tests.pipeline_support import running_worker, unique_queue
from tests.worker_support import stored_item


@pytest.fixture
def queue_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"task_queue": unique_queue()})


@pytest.fixture
async def client(queue_settings: Settings, temporal_address: str) -> AsyncIterator[Client]:
    yield await connect(queue_settings, temporal_address)


async def _order(sessions: async_sessionmaker[AsyncSession], order_id: uuid.UUID) -> WorkOrder:
    async with sessions() as session:
        order = await session.get(WorkOrder, order_id)
    assert order is not None
    return order


async def _items(sessions: async_sessionmaker[AsyncSession], order_id: uuid.UUID) -> list[WorkItem]:
    async with sessions() as session:
        return list(
            await session.scalars(select(WorkItem).where(WorkItem.work_order_id == order_id))
        )


async def test_an_order_without_a_workflow_is_started_and_completes(
    sessions: async_sessionmaker[AsyncSession],
    tenants: dict[str, uuid.UUID],
    queue_settings: Settings,
    client: Client,
    database_url: str,
    temporal_address: str,
) -> None:
    """A PENDING order stored while Temporal was away gets its workflow, which settles it."""
    ref = await stored_item(sessions, tenants["acme"])
    reconciler = Reconciler(client, queue_settings, sessions, min_age_s=0)
    report = await reconciler.reconcile_once()
    assert (report.checked, report.started) == (1, 1)
    again = await reconciler.reconcile_once()  # the workflow runs now: nothing more to do
    assert again.started == again.restarted == again.settled == 0
    async with running_worker(queue_settings, database_url, temporal_address):
        await client.get_workflow_handle(workflow_id_for(ref.work_order_id)).result()
    assert (await _order(sessions, ref.work_order_id)).status.value == "COMPLETED"


async def test_a_workflow_that_closed_without_settling_is_started_again(
    sessions: async_sessionmaker[AsyncSession],
    tenants: dict[str, uuid.UUID],
    queue_settings: Settings,
    client: Client,
    database_url: str,
    temporal_address: str,
) -> None:
    """A workflow that completed while its order stayed PROCESSING is run again, once; the new
    run processes the unsettled item and settles the order, counting the restart."""
    ref = await stored_item(sessions, tenants["acme"])

    @activity.defn(name="finish_work_order")
    async def forgetful_finish(inp: FinishOrderInput) -> str:
        return "COMPLETED"  # claims success, settles nothing (a lost write)

    acts = [
        a
        for a in activities_for(sessions, queue_settings, None)
        if getattr(a, "__temporal_activity_definition").name != "finish_work_order"
    ] + [forgetful_finish]
    reconciler = Reconciler(client, queue_settings, sessions, min_age_s=0)
    handle = client.get_workflow_handle(workflow_id_for(ref.work_order_id))
    async with running_worker(queue_settings, database_url, temporal_address, activities=acts):
        assert (await reconciler.reconcile_once()).started == 1
        await handle.result()
    assert (await _order(sessions, ref.work_order_id)).status.value == "PROCESSING"

    async with running_worker(queue_settings, database_url, temporal_address):
        assert (await reconciler.reconcile_once()).restarted == 1
        await handle.result()
    order = await _order(sessions, ref.work_order_id)
    assert order.status.value == "COMPLETED"
    assert order.metadata_["restarts"] == 1
    assert order.metadata_["summary"] == {"completed": 1, "failed": 0, "rejected": 0}
    [item] = await _items(sessions, ref.work_order_id)
    assert item.status.value == "COMPLETED"


async def test_a_terminated_workflow_settles_its_order_as_failed_with_the_reason(
    sessions: async_sessionmaker[AsyncSession],
    tenants: dict[str, uuid.UUID],
    queue_settings: Settings,
    client: Client,
) -> None:
    """An operator terminating an order's workflow leaves no order in limbo: its open items
    and the order are FAILED, saying the workflow was terminated; it is not started again."""
    ref = await stored_item(sessions, tenants["acme"])
    reconciler = Reconciler(client, queue_settings, sessions, min_age_s=0)
    assert (await reconciler.reconcile_once()).started == 1  # no worker polls this queue
    await _mark_processing(sessions, ref)
    await client.get_workflow_handle(workflow_id_for(ref.work_order_id)).terminate("test")
    report = await reconciler.reconcile_once()
    assert (report.settled, report.restarted) == (1, 0)
    order = await _order(sessions, ref.work_order_id)
    assert order.status.value == "FAILED"
    assert order.metadata_["summary"] == {"completed": 0, "failed": 1, "rejected": 0}
    [item] = await _items(sessions, ref.work_order_id)
    assert item.status.value == "FAILED" and "terminated" in (item.error or "")
    assert (await reconciler.reconcile_once()).checked == 0  # settled: never looked at again


async def test_restarts_are_bounded_then_the_order_is_settled(
    sessions: async_sessionmaker[AsyncSession],
    tenants: dict[str, uuid.UUID],
    queue_settings: Settings,
    client: Client,
) -> None:
    """An order whose workflow closed unsettled MAX_RESTARTS times already (here: timed out)
    is not started again but settled FAILED, saying how often it ended."""
    ref = await stored_item(sessions, tenants["acme"])
    handle = await client.start_workflow(
        WorkOrderWorkflow.run,
        WorkOrderInput(work_order_id=ref.work_order_id, tenant_id=ref.tenant_id),
        id=workflow_id_for(ref.work_order_id),
        task_queue=queue_settings.task_queue,  # nobody polls it
        execution_timeout=timedelta(seconds=1),
    )
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    async with sessions() as session, session.begin():
        order = await session.get(WorkOrder, ref.work_order_id)
        assert order is not None
        order.status = WorkOrderStatus.PROCESSING
        order.metadata_ = {**order.metadata_, "restarts": MAX_RESTARTS}
    reconciler = Reconciler(client, queue_settings, sessions, min_age_s=0)
    report = await reconciler.reconcile_once()
    assert (report.settled, report.restarted, report.started) == (1, 0, 0)
    [item] = await _items(sessions, ref.work_order_id)
    assert item.status.value == "FAILED"
    assert f"ended timed_out {MAX_RESTARTS} times" in (item.error or "")


async def _mark_processing(sessions: async_sessionmaker[AsyncSession], ref: ItemRef) -> None:
    async with sessions() as session, session.begin():
        order = await session.get(WorkOrder, ref.work_order_id)
        assert order is not None
        order.status = WorkOrderStatus.PROCESSING
