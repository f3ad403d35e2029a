"""For tests of the worker's activities without Temporal: a stored one-document order, and
finished attempt rows as the attempt recorder writes them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.agents import AgentDeps, ExtractorLLM, Persister, RecordGen, Verifier
from myloware.auth.principal import Principal
from myloware.contracts import ItemRef, RecordInput
from myloware.db.base import AttemptStatus
from myloware.db.models import WorkItem
from myloware.services.schemas import WorkOrderCreate
from myloware.services.work_orders import create_work_order
from myloware.worker.attempts import _Trace
from tests.test_pipeline_e2e import TEXT_INVOICE

Rows = tuple[dict[str, Any], dict[str, Any]]


class Agents:
    """The agents a test calls directly, over one shared set of dependencies."""

    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps
        self.record_gen = RecordGen(deps)
        self.extractor = ExtractorLLM(deps)
        self.persister = Persister(deps)
        self.verifier = Verifier(deps)


async def stored_item(
    sessions: async_sessionmaker[AsyncSession], tenant_id: object, content: str = TEXT_INVOICE
) -> ItemRef:
    """A one-document order stored as the API stores it (no workflow started); its item."""
    assert isinstance(tenant_id, uuid.UUID)
    async with sessions() as session:
        order, _ = await create_work_order(
            session,
            principal=Principal("worker-test", tenant_id, frozenset({"admin"})),
            payload=WorkOrderCreate.model_validate({"work_items": [{"content": content}]}),
        )
        await session.commit()
        item_id = await session.scalar(
            select(WorkItem.id).where(WorkItem.work_order_id == order.id)
        )
    assert item_id is not None
    return ItemRef(work_item_id=item_id, work_order_id=order.id, tenant_id=tenant_id)


def finished_attempt(
    ref: ItemRef, agent: str, *, started: datetime | None = None, tokens: int | None = None
) -> Rows:
    """A COMPLETED attempt row and its outbox event; ``tokens``: a model call's usage."""
    arg = RecordInput.model_construct(item=ref)
    trace = _Trace(ref, agent, 1, arg, started or datetime.now(UTC))
    attempt = trace.end(AttemptStatus.COMPLETED).row(started_only=False)
    if tokens is not None:
        attempt.update(tokens_in=tokens - 10, tokens_out=10, model="m")
    return attempt, trace.event()
