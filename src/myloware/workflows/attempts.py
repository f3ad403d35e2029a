"""Every agent execution, retries included, becomes one ``attempts`` row — written here only.

A Temporal activity interceptor wraps each agent activity (regular or local): it inserts a
STARTED row, runs the agent, then marks the row COMPLETED, FAILED or TIMEOUT with output,
error, duration and model usage, and stages a ``work_item.stage_completed`` /
``work_item.stage_failed`` outbox event in the same transaction. Agents never write attempts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import BaseModel
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from myloware.db.base import AttemptStatus
from myloware.db.models import Attempt
from myloware.events.outbox import record_event

log = structlog.get_logger(__name__)

AGENTS = frozenset(
    {
        "RecordGen",
        "ExtractorLLM",
        "JsonRestyler",
        "SchemaGuard",
        "Policy",
        "ApplyCorrections",
        "Persister",
        "Verifier",
    }
)
MAX_ERROR_CHARS = 4000


class AttemptRecorder(Interceptor):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _AttemptInbound(next, self.sessions)


def _dump(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        dumped: dict[str, Any] = value.model_dump(mode="json")
        return dumped
    return {"value": repr(value)[:2000]}


async def _fast_commit(session: AsyncSession) -> None:
    """Trace rows tolerate losing the last instant on a crash: skip the WAL flush wait."""
    from sqlalchemy import text

    await session.execute(text("SET LOCAL synchronous_commit = off"))


class _AttemptInbound(ActivityInboundInterceptor):
    def __init__(
        self, next: ActivityInboundInterceptor, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        super().__init__(next)
        self.sessions = sessions

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        item = getattr(input.args[0], "item", None) if input.args else None
        if info.activity_type not in AGENTS or item is None:
            return await super().execute_activity(input)
        attempt_id = uuid.uuid4()
        started = time.perf_counter()
        await self._start(attempt_id, item, info.activity_type, info.attempt, input.args[0])
        try:
            result = await super().execute_activity(input)
        except asyncio.CancelledError:
            await self._finish(
                attempt_id,
                item,
                info.activity_type,
                started,
                AttemptStatus.TIMEOUT,
                error="cancelled or timed out",
            )
            raise
        except BaseException as exc:
            await self._finish(
                attempt_id,
                item,
                info.activity_type,
                started,
                AttemptStatus.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS],
            )
            raise
        await self._finish(
            attempt_id, item, info.activity_type, started, AttemptStatus.COMPLETED, output=result
        )
        return result

    async def _start(
        self, attempt_id: uuid.UUID, item: Any, agent: str, number: int, arg: Any
    ) -> None:
        async with self.sessions() as session, session.begin():
            await _fast_commit(session)
            # A STARTED row left by a worker that died is that attempt's end: it timed out.
            await session.execute(
                update(Attempt)
                .where(
                    Attempt.work_item_id == item.work_item_id,
                    Attempt.agent_id == agent,
                    Attempt.status == AttemptStatus.STARTED,
                )
                .values(
                    status=AttemptStatus.TIMEOUT,
                    error="worker lost before completion",
                    completed_at=datetime.now(UTC),
                )
            )
            await session.execute(
                insert(Attempt).values(
                    id=attempt_id,
                    tenant_id=item.tenant_id,
                    work_item_id=item.work_item_id,
                    agent_id=agent,
                    attempt_number=number,
                    status=AttemptStatus.STARTED,
                    input=_dump(arg) or {},
                )
            )

    async def _finish(
        self,
        attempt_id: uuid.UUID,
        item: Any,
        agent: str,
        started: float,
        status: AttemptStatus,
        *,
        output: Any = None,
        error: str | None = None,
    ) -> None:
        duration_ms = int((time.perf_counter() - started) * 1000)
        usage = getattr(output, "usage", None)
        values: dict[str, Any] = {
            "status": status,
            "output": _dump(output),
            "error": error,
            "completed_at": datetime.now(UTC),
            "duration_ms": duration_ms,
        }
        if usage is not None:
            values.update(
                model=usage.model,
                tokens_in=usage.tokens_in,
                tokens_out=usage.tokens_out,
                cost_usd=usage.cost_usd,
            )
        try:
            async with self.sessions() as session, session.begin():
                await _fast_commit(session)
                await session.execute(
                    update(Attempt).where(Attempt.id == attempt_id).values(**values)
                )
                record_event(
                    session,
                    event_type="work_item.stage_completed"
                    if status is AttemptStatus.COMPLETED
                    else "work_item.stage_failed",
                    tenant_id=item.tenant_id,
                    aggregate_type="work_item",
                    aggregate_id=item.work_item_id,
                    payload={
                        "work_item_id": str(item.work_item_id),
                        "work_order_id": str(item.work_order_id),
                        "agent": agent,
                        "status": status.value,
                        "duration_ms": duration_ms,
                        "error": error,
                    },
                )
        except Exception as exc:  # the trace must never break the pipeline itself
            log.warning("attempt_record_failed", attempt_id=str(attempt_id), error=str(exc))
