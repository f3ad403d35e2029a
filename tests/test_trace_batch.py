"""Group commit of attempt rows: rows finished together share one transaction, and a row that
cannot be written loses only itself."""

from __future__ import annotations

import asyncio
import uuid

from psycopg import DataError
from psycopg.errors import ForeignKeyViolation
from sqlalchemy import func, select

from myloware.db.engine import create_engine, session_factory
from myloware.db.models import Attempt, OutboxEvent
from myloware.worker.trace_batch import TraceBatcher
from tests.worker_support import finished_attempt, stored_item


async def test_rows_written_together_and_a_bad_row_loses_only_itself(
    tenants: dict[str, uuid.UUID], clean_db: str
) -> None:
    engine = create_engine(clean_db, pool_size=2)
    sessions = session_factory(engine)
    good = await stored_item(sessions, tenants["acme"])
    gone = good.model_copy(update={"work_item_id": uuid.uuid4()})  # no such item: FK refuses

    batcher = TraceBatcher(sessions)
    together = await asyncio.gather(
        *(batcher.write(*finished_attempt(good, f"A{i}")) for i in range(20))
    )
    assert together == [None] * 20
    assert batcher.batches == 1  # twenty rows finished at once, one transaction

    writes = [finished_attempt(good, f"B{i}") for i in range(5)] + [finished_attempt(gone, "B-bad")]
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
    broken = finished_attempt(good, "D-broken")
    broken[0]["attempt_number"] = 2**40  # out of range for integer
    failing = [finished_attempt(good, "D1"), broken, finished_attempt(good, "D2")]
    outcomes = await asyncio.gather(*(batcher.write(*w) for w in failing), return_exceptions=True)
    assert all(isinstance(o, DataError) for o in outcomes)
    async with sessions() as session:
        written = await session.scalar(
            select(func.count()).select_from(Attempt).where(Attempt.agent_id.like("D%"))
        )
    assert written == 0

    alone = await asyncio.gather(
        batcher.write(*finished_attempt(good, "C"))
    )  # a quiet moment: no wait
    assert alone == [None]  # type: ignore[comparison-overlap]  # a list at run time
    await engine.dispose()
