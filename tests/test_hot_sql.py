"""The per-document statements on plain psycopg, called as the activities call them: re-runs
and retries change nothing twice, and rows that do not exist give clear errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from myloware.agents import AgentDeps, ExtractorLLM
from myloware.agents.context import ContextCache
from myloware.contracts import (
    ExtractInput,
    FinishItemInput,
    FinishOrderInput,
    ItemRef,
    PersistInput,
    PersistOutput,
    PolicyDecision,
    RecordGenInput,
    ValidationOutput,
    VerifyInput,
    WorkItemResult,
    WorkOrderInput,
)
from myloware.db import hot_sql
from myloware.db.direct import transaction
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import EvalResult, MemDoc, OutboxEvent, Record, RecordVersion, WorkItem
from myloware.documents.model import LoadedDocument
from myloware.errors import NotFoundError
from myloware.extraction import extract
from myloware.normalize import restyle
from myloware.records import DocumentType
from myloware.settings import Settings
from myloware.worker.bookkeeping import BookkeepingActivities
from myloware.worker.failures import translate
from tests.rows import count_rows
from tests.test_pipeline_e2e import TEXT_INVOICE
from tests.worker_support import Agents, finished_attempt, stored_item


@dataclass
class Setup:
    sessions: async_sessionmaker[AsyncSession]
    agents: Agents
    books: BookkeepingActivities
    ref: ItemRef


@pytest.fixture
async def setup(
    tenants: dict[str, uuid.UUID], clean_db: str, settings: Settings
) -> AsyncIterator[Setup]:
    engine = create_engine(clean_db, pool_size=2)
    sessions = session_factory(engine)
    ref = await stored_item(sessions, tenants["acme"])
    yield Setup(
        sessions,
        Agents(AgentDeps(sessions, settings, blobs=None)),
        BookkeepingActivities(sessions),
        ref,
    )
    await engine.dispose()


def _persist_input(ref: ItemRef, *, source: str = "pipeline") -> PersistInput:
    record = restyle(extract(LoadedDocument.from_text(TEXT_INVOICE), DocumentType.INVOICE))
    return PersistInput(
        item=ref,
        record=record,
        validation=ValidationOutput(valid=True, quality_score=1.0),
        decision=PolicyDecision(action="AUTO_APPROVE", policy_version="1"),
        source=source,
    )


async def test_record_gen_twice_keeps_one_context_and_plan_marks_the_order(setup: Setup) -> None:
    plan = await setup.books.plan_work_order(
        WorkOrderInput(work_order_id=setup.ref.work_order_id, tenant_id=setup.ref.tenant_id)
    )
    assert [p.item for p in plan.items] == [setup.ref] and plan.items[0].fast_path
    first = await setup.agents.record_gen.run(RecordGenInput(item=setup.ref))
    again = await setup.agents.record_gen.run(RecordGenInput(item=setup.ref))
    assert first == again and first.document_type is DocumentType.INVOICE
    assert await count_rows(setup.sessions, MemDoc, work_item_id=setup.ref.work_item_id) == 1
    async with setup.sessions() as session:
        item = await session.get(WorkItem, setup.ref.work_item_id)
    assert item is not None and item.status.value == "PROCESSING" and item.type is not None

    stranger = setup.ref.model_copy(update={"tenant_id": uuid.uuid4()})
    with pytest.raises(NotFoundError, match="not found") as err:
        await setup.agents.record_gen.run(RecordGenInput(item=stranger))
    failure = translate(err.value, agent=True, attempt=1)
    assert isinstance(failure, ApplicationError) and failure.non_retryable


async def test_persister_retry_writes_nothing_and_a_change_is_a_new_version(setup: Setup) -> None:
    await setup.agents.record_gen.run(RecordGenInput(item=setup.ref))
    first = await setup.agents.persister.run(_persist_input(setup.ref))
    retried = await setup.agents.persister.run(_persist_input(setup.ref))
    changed = await setup.agents.persister.run(_persist_input(setup.ref, source="correction"))
    assert (first.version, first.created) == (1, True)
    assert retried == PersistOutput(record_id=first.record_id, version=1, created=False)
    assert (changed.record_id, changed.version, changed.created) == (first.record_id, 2, True)
    assert await count_rows(setup.sessions, Record) == 1
    assert await count_rows(setup.sessions, RecordVersion) == 2
    persisted = OutboxEvent.event_type == "record.persisted"
    assert await count_rows(setup.sessions, OutboxEvent, persisted) == 2
    async with setup.sessions() as session:
        row = await session.get(Record, first.record_id)
    assert row is not None and row.version == 2

    # the same correction twice at once (a re-run beside the first), both waiting for the
    # record's lock: the one that gets it second must see what the first wrote
    async with transaction(setup.agents.deps.engine) as holder:
        await holder.execute(
            "SELECT 1 FROM records WHERE work_item_id = %s FOR UPDATE", (setup.ref.work_item_id,)
        )
        review = _persist_input(setup.ref, source="review")
        waiting = [asyncio.create_task(setup.agents.persister.run(review)) for _ in range(2)]
        await asyncio.sleep(0.3)
        assert not any(t.done() for t in waiting)
    racing = await asyncio.gather(*waiting)
    assert sorted(r.created for r in racing) == [False, True]
    assert {r.version for r in racing} == {3}
    assert await count_rows(setup.sessions, RecordVersion) == 3

    verify = VerifyInput(
        item=setup.ref,
        record=_persist_input(setup.ref).record,
        validation=ValidationOutput(valid=True, quality_score=1.0),
        persisted=changed,
    )
    await setup.agents.verifier.run(verify)
    await setup.agents.verifier.run(verify)
    assert await count_rows(setup.sessions, EvalResult) == 1


async def test_settling_twice_changes_nothing_the_second_time(setup: Setup) -> None:
    ref = setup.ref
    settle = FinishItemInput(item=ref, status="COMPLETED", result={"ok": True})
    finish = FinishOrderInput(
        work_order_id=ref.work_order_id,
        tenant_id=ref.tenant_id,
        results=[WorkItemResult(work_item_id=ref.work_item_id, status="COMPLETED")],
        settle=[settle],
    )
    assert await setup.books.finish_order(finish) == "COMPLETED"
    late_failure = FinishItemInput(item=ref, status="FAILED", error="late")
    failed = finish.model_copy(
        update={
            "results": [WorkItemResult(work_item_id=ref.work_item_id, status="FAILED")],
            "settle": [late_failure],
        }
    )
    assert await setup.books.finish_order(failed) == "COMPLETED"  # already settled: kept
    await setup.books.finish_item(late_failure)
    async with setup.sessions() as session:
        item = await session.get(WorkItem, ref.work_item_id)
    assert item is not None
    assert (item.status.value, item.result, item.error) == ("COMPLETED", {"ok": True}, None)
    for event_type in ("work_item.completed", "work_order.completed"):
        assert await count_rows(setup.sessions, OutboxEvent, event_type=event_type) == 1
    assert (
        await count_rows(setup.sessions, OutboxEvent, OutboxEvent.event_type.like("%failed")) == 0
    )

    missing = finish.model_copy(update={"work_order_id": uuid.uuid4(), "settle": []})
    assert await setup.books.finish_order(missing) == "COMPLETED"


def test_the_context_cache_keeps_recent_small_documents() -> None:
    cache = ContextCache(entries=2, max_chars=10)
    ids = [uuid.uuid4() for _ in range(3)]
    docs = [LoadedDocument.from_text(f"doc {i}") for i in range(3)]
    for item_id, doc in zip(ids, docs, strict=True):
        cache.put(item_id, doc)
    assert [cache.get(i) for i in ids] == [None, docs[1], docs[2]]  # the oldest went first
    cache.put(ids[2], LoadedDocument.from_text("far too long for it"))
    assert cache.get(ids[2]) is None  # a big document replaces nothing stale: it is dropped


async def test_token_budgets_count_the_order_and_the_tenants_utc_day(
    setup: Setup, settings: Settings
) -> None:
    ref = setup.ref
    yesterday = datetime.now(UTC) - timedelta(days=1)
    rows = [
        finished_attempt(ref, "ExtractorLLM", started=started, tokens=tokens)
        for started, tokens in ((yesterday, 500), (datetime.now(UTC), 70))
    ]
    async with transaction(setup.agents.deps.engine) as pg:
        await hot_sql.insert_attempts(pg, rows)
        assert await hot_sql.tokens_spent(pg, ref.tenant_id, ref.work_order_id) == (570, 70)
        other = await hot_sql.tokens_spent(pg, ref.tenant_id, uuid.uuid4())
    assert other == (0, 70)

    def budgets(order: int, day: int) -> ExtractorLLM:
        limits = {"model_budget_tokens_per_order": order, "model_budget_tokens_per_tenant_day": day}
        return ExtractorLLM(AgentDeps(setup.sessions, settings.model_copy(update=limits), None))

    assert await budgets(0, 0).budget(ref) == (None, None)
    assert await budgets(571, 71).budget(ref) == (None, 1)  # the tighter of what is left
    assert await budgets(600, 0).budget(ref) == (None, 30)
    assert await budgets(570, 0).budget(ref) == ("the order's", 0)
    assert await budgets(0, 70).budget(ref) == ("the tenant's daily", 0)


async def test_hybrid_spends_no_budget_on_documents_the_rules_read_whole(
    setup: Setup, settings: Settings
) -> None:
    """With the day's budget spent, hybrid mode still passes documents the rules read
    completely (no model would be asked), and flags only those that needed the model."""
    ref = setup.ref
    async with transaction(setup.agents.deps.engine) as pg:
        await hot_sql.insert_attempts(pg, [finished_attempt(ref, "ExtractorLLM", tokens=100)])
    limits = {"extractor": "hybrid", "model_budget_tokens_per_tenant_day": 50}
    hybrid = Agents(AgentDeps(setup.sessions, settings.model_copy(update=limits), None))
    await hybrid.record_gen.run(RecordGenInput(item=ref))
    # an address on two lines: one on a single line is too rarely right (calibrated < 0.6)
    two_lines = TEXT_INVOICE.replace(
        "12 Market Street, Springfield", "12 Market Street\nSpringfield"
    )
    hybrid.deps.contexts.put(ref.work_item_id, LoadedDocument.from_text(two_lines))
    whole = await hybrid.extractor.run(ExtractInput(item=ref, document_type=DocumentType.INVOICE))
    assert not whole.budget_exhausted and whole.record.extractor == "rules"
    hybrid.deps.contexts.put(ref.work_item_id, LoadedDocument.from_text("thanks for your business"))
    sparse = await hybrid.extractor.run(ExtractInput(item=ref, document_type=DocumentType.INVOICE))
    assert sparse.budget_exhausted and "daily token budget spent" in sparse.record.extractor
