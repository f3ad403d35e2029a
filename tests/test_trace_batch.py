"""Group commit of attempt rows: rows finished together share one transaction, and a row that
cannot be written loses only itself."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from psycopg import DataError
from psycopg.errors import ForeignKeyViolation
from sqlalchemy import func, select

from myloware.auth.principal import Principal
from myloware.db.base import AttemptStatus
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import Attempt, OutboxEvent, WorkItem
from myloware.events.outbox import outbox_row
from myloware.services.schemas import WorkOrderCreate
from myloware.services.work_orders import create_work_order
from myloware.workflows.attempts import _Trace
from myloware.workflows.trace_batch import TraceBatcher
from myloware.workflows.types import ItemRef, RecordInput
from tests.test_pipeline_e2e import TEXT_INVOICE


def _rows(ref: ItemRef, agent: str) -> tuple[dict[str, object], dict[str, object]]:
    arg = RecordInput.model_construct(item=ref)
    trace = _Trace(ref, agent, 1, arg, datetime.now(UTC)).end(AttemptStatus.COMPLETED)
    return trace.row(started_only=False), outbox_row(**trace.event())


async def test_rows_written_together_and_a_bad_row_loses_only_itself(
    tenants: dict[str, object], clean_db: str
) -> None:
    engine = create_engine(clean_db, pool_size=2)
    sessions = session_factory(engine)
    tenant_id = tenants["acme"]
    assert isinstance(tenant_id, uuid.UUID)
    async with sessions() as session:
        order, _ = await create_work_order(
            session,
            principal=Principal("batch-test", tenant_id, frozenset({"admin"})),
            payload=WorkOrderCreate.model_validate({"work_items": [{"content": TEXT_INVOICE}]}),
        )
        item_id = await session.scalar(
            select(WorkItem.id).where(WorkItem.work_order_id == order.id)
        )
    assert item_id is not None
    good = ItemRef(work_item_id=item_id, work_order_id=order.id, tenant_id=tenant_id)
    gone = good.model_copy(update={"work_item_id": uuid.uuid4()})  # no such item: FK refuses

    batcher = TraceBatcher(sessions)
    together = await asyncio.gather(*(batcher.write(*_rows(good, f"A{i}")) for i in range(20)))
    assert together == [None] * 20
    assert batcher.batches == 1  # twenty rows finished at once, one transaction

    writes = [_rows(good, f"B{i}") for i in range(5)] + [_rows(gone, "B-bad")]
    outcomes = await asyncio.gather(*(batcher.write(*w) for w in writes), return_exceptions=True)
    assert outcomes[:5] == [None] * 5
    assert isinstance(outcomes[5], ForeignKeyViolation)

    async with sessions() as session:
        attempts = await session.scalar(select(func.count()).select_from(Attempt))
        events = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.event_type == "work_item.stage_completed")
        )
    assert (attempts, events) == (25, 25)

    # not a bad row but a failed write (here: a value the column cannot take): the whole
    # batch fails at once, nothing of it is written
    broken = _rows(good, "D-broken")
    broken[0]["attempt_number"] = 2**40  # out of range for integer
    failing = [_rows(good, "D1"), broken, _rows(good, "D2")]
    outcomes = await asyncio.gather(*(batcher.write(*w) for w in failing), return_exceptions=True)
    assert all(isinstance(o, DataError) for o in outcomes)
    async with sessions() as session:
        written = await session.scalar(
            select(func.count()).select_from(Attempt).where(Attempt.agent_id.like("D%"))
        )
    assert written == 0

    alone = await asyncio.gather(batcher.write(*_rows(good, "C")))  # a quiet moment: no wait
    assert alone == [None]
    await engine.dispose()
