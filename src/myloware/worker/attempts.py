"""Every agent execution, retries included, becomes one ``attempts`` row — written here only.

A Temporal activity interceptor wraps each agent activity; every row goes through
:mod:`myloware.db.hot_sql` (one write path for the table). For a regular activity (which may
run long: OCR, model calls) it inserts a STARTED row first and completes it afterwards; for a
local activity (milliseconds) it writes the finished row once, and rows finished at the same
time share one transaction (:mod:`myloware.worker.trace_batch`). Either way the row ends
COMPLETED, FAILED or TIMEOUT with input, output, error, duration and model usage, next to a
``work_item.stage_completed`` / ``work_item.stage_failed`` outbox event in the same
transaction. A STARTED row left by a worker that died is closed as TIMEOUT by the next
attempt. Agents never write attempts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from prometheus_client import Histogram
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from myloware.agents.names import AgentName
from myloware.agents.turns import MODEL_ACTIVITY, TURN, Turn, TurnInput, workflow_item_id
from myloware.contracts import ExtractOutput, ItemRef, ToolCallInput
from myloware.db import hot_sql
from myloware.db.base import AttemptStatus
from myloware.db.direct import engine_of, transaction
from myloware.db.engine import create_engine
from myloware.errors import DependencyError, NotFoundError
from myloware.events.catalogue import EventType, StageFinished
from myloware.events.outbox import outbox_row
from myloware.worker.failures import is_transient
from myloware.worker.trace_batch import TraceBatcher

log = structlog.get_logger(__name__)

AGENTS = frozenset(AgentName)  # every agent activity is traced; bookkeeping is not
MAX_ERROR_CHARS = 4000
#: Each agent stage's duration in this worker process, by outcome: served with the process
#: figures on MYLOWARE_METRICS_PORT (docs/observability.md).
STAGE_SECONDS = Histogram(
    "myloware_stage_duration_seconds",
    "Duration of each agent stage (one activity attempt) in this worker",
    ["agent", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180),
)
TRACE_PATIENCE_S = 20.0  # how long a finished stage waits for its trace row to be written
TRACE_RETRY_FIRST_S, TRACE_RETRY_MAX_S = 0.25, 4.0


class AttemptRecorder(Interceptor):
    """``sessions`` should come from :func:`trace_engine`: trace rows skip the WAL flush wait."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.batcher = TraceBatcher(sessions)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _AttemptInbound(next, self.sessions, self.batcher)


# document text an attempt row must not keep for ever (it expires with the transcripts, where
# the same text is kept: the model calls' prompts, the tool calls on ``usage.tools``)
TRANSCRIPT_TEXT: dict[type[BaseModel], Any] = {
    ExtractOutput: {"agent": {"prompt"}},  # the agent plan's prompt: the document itself
    ToolCallInput: {"arguments"},
}


def _dump(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        dumped: dict[str, Any] = value.model_dump(
            mode="json", exclude=TRANSCRIPT_TEXT.get(type(value))
        )
        return dumped
    return {"value": repr(value)[:2000]}


class _AttemptInbound(ActivityInboundInterceptor):
    def __init__(
        self,
        next: ActivityInboundInterceptor,
        sessions: async_sessionmaker[AsyncSession],
        batcher: TraceBatcher,
    ) -> None:
        super().__init__(next)
        self.engine = engine_of(sessions)
        self.batcher = batcher

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        if info.activity_type == MODEL_ACTIVITY:
            return await self._model_turn(input, info)
        arg = input.args[0] if input.args else None
        item = getattr(arg, "item", None)
        if info.activity_type not in AGENTS or item is None:
            return await super().execute_activity(input)
        trace = _Trace(item, info.activity_type, info.attempt, arg, datetime.now(UTC))
        return await self._traced(input, trace)

    async def _model_turn(self, input: ExecuteActivityInput, info: activity.Info) -> Any:
        """A model call of an agent run in the workflow: its attempt row is found by the
        workflow's id (the call's input names no item), its cost put on the :class:`Turn`."""
        item = await self._item_of(info.workflow_id or "")
        arg = input.args[0] if input.args else {}
        model = arg.get("model_name") if isinstance(arg, dict) else None
        turn = Turn(item)
        trace = _Trace(
            item, AgentName.EXTRACTOR_TURN, info.attempt, TurnInput(item=item, model=model),
            datetime.now(UTC),
        )  # fmt: skip
        trace.outcome = turn.output
        token = TURN.set(turn)
        try:
            return await self._traced(input, trace)
        finally:
            TURN.reset(token)

    async def _item_of(self, workflow_id: str) -> ItemRef:
        found = workflow_item_id(workflow_id)
        row = None
        if found is not None:
            kind, key = found
            async with transaction(self.engine) as pg:
                if kind == "item":
                    row = await hot_sql.item_of(pg, item_id=key)
                else:
                    row = await hot_sql.item_of(pg, order_id=key)
        if row is None:
            raise NotFoundError(f"no work item runs in workflow {workflow_id}")
        item, order, tenant = row
        return ItemRef(work_item_id=item, work_order_id=order, tenant_id=tenant)

    async def _traced(self, input: ExecuteActivityInput, trace: _Trace) -> Any:
        """Run the activity, its STARTED row (regular activities) and finished row around it."""
        trace.local = activity.info().is_local
        if not trace.local:
            await self._write(trace, started_only=True)
        try:
            result = await super().execute_activity(input)
        except asyncio.CancelledError:
            await self._write(trace.end(AttemptStatus.TIMEOUT, error="cancelled or timed out"))
            raise
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
            await self._write(trace.end(AttemptStatus.FAILED, error=error))
            raise
        await self._write(trace.end(AttemptStatus.COMPLETED, output=result))
        return result

    async def _write(self, trace: _Trace, *, started_only: bool = False) -> None:
        """Write a STARTED row (raising if it cannot: the agent has not run yet, Temporal
        retries the attempt) or a finished row with its event, see :meth:`_write_finished`."""
        if started_only:
            async with transaction(self.engine) as pg:  # the rows of db.hot_sql, like the batch
                await hot_sql.start_attempt(pg, trace.row(started_only=True))
            return
        await self._write_finished(trace)

    async def _write_finished(self, trace: _Trace) -> None:
        """A finished row and its ``work_item.stage_*`` event, kept through a database outage.

        The write is tried again for up to ``TRACE_PATIENCE_S`` (the stage's result waits);
        if the database is still away, a completed stage fails with a transient error, so
        Temporal runs it again once the database is back and its trace is written then —
        rather than the workflow going on with a stage nobody can see. A failed stage's row
        that cannot be written is logged and the stage's own error goes on.
        """
        delay, waited = TRACE_RETRY_FIRST_S, 0.0
        while True:
            try:
                if trace.local:  # one finished row: goes with the others finishing now
                    await self.batcher.write(trace.row(started_only=False), trace.event())
                else:
                    async with transaction(self.engine) as pg:
                        await hot_sql.finish_attempt(
                            pg, trace.row(started_only=False), trace.event()
                        )
                return
            except Exception as exc:
                if not is_transient(exc) or waited >= TRACE_PATIENCE_S:
                    log.warning(
                        "attempt_record_failed", attempt_id=str(trace.attempt_id), error=str(exc)
                    )
                    if trace.status is AttemptStatus.COMPLETED and is_transient(exc):
                        raise DependencyError(
                            f"the trace of this stage could not be written: {exc}"
                        ) from exc
                    return
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, TRACE_RETRY_MAX_S)


class _Trace:
    """What one attempt row says, filled in as the attempt runs."""

    def __init__(self, item: Any, agent: str, number: int, arg: Any, started_at: datetime) -> None:
        self.attempt_id = uuid.uuid4()
        self.item, self.agent, self.number, self.arg = item, agent, number, arg
        self.started_at = started_at
        self.clock = time.perf_counter()
        self.local = False  # local stages never leave STARTED rows, so they close no orphans
        self.outcome: Callable[[], Any] | None = None  # the output to keep, if not the result
        self.status = AttemptStatus.STARTED
        self.output: Any = None
        self.error: str | None = None
        self.duration_ms: int | None = None

    def end(self, status: AttemptStatus, *, output: Any = None, error: str | None = None) -> _Trace:
        # a model call's row: what it cost, failed or not, rather than the SDK's response
        self.status, self.error = status, error
        self.output = output if self.outcome is None else self.outcome()
        elapsed = time.perf_counter() - self.clock
        self.duration_ms = int(elapsed * 1000)
        STAGE_SECONDS.labels(self.agent, status.value).observe(elapsed)
        return self

    def row(self, *, started_only: bool) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": self.attempt_id,
            "tenant_id": self.item.tenant_id,
            "work_item_id": self.item.work_item_id,
            "agent_id": self.agent,
            "attempt_number": self.number,
            "status": self.status,
            "input": _dump(self.arg) or {},
            "started_at": self.started_at,
        }
        if started_only:
            return values
        values.update(
            output=_dump(self.output),
            error=self.error,
            completed_at=datetime.now(UTC),
            duration_ms=self.duration_ms,
        )
        usage = getattr(self.output, "usage", None)
        # every finished row has the same keys, so rows can be inserted together
        values.update(model=None, tokens_in=None, tokens_out=None, cost_usd=None)
        # a stage that asked no model (hybrid's rules sufficed) is no model call, even though
        # it reports an empty usage: the cost reports count model calls by these columns
        if usage is not None and (
            usage.model or usage.tokens_in or usage.tokens_out or usage.calls
        ):
            values.update(
                model=usage.model,
                tokens_in=usage.tokens_in,
                tokens_out=usage.tokens_out,
                cost_usd=usage.cost_usd,
            )
        return values

    def event(self) -> dict[str, Any]:
        """The ``work_item.stage_*`` outbox row that goes with this attempt's row."""
        completed = self.status is AttemptStatus.COMPLETED
        return outbox_row(
            EventType.STAGE_COMPLETED if completed else EventType.STAGE_FAILED,
            StageFinished(
                work_item_id=self.item.work_item_id,
                work_order_id=self.item.work_order_id,
                agent=self.agent,
                status=self.status.value,
                duration_ms=self.duration_ms,
                error=self.error,
            ),
            tenant_id=self.item.tenant_id,
            aggregate_id=self.item.work_item_id,
        )


def trace_engine(database_url: str) -> AsyncEngine:
    """An engine whose commits do not wait for the WAL flush (``synchronous_commit=off``).

    A crash may lose the last instant of trace rows, never consistency; every other write
    of the worker keeps synchronous commits.
    """
    return create_engine(
        database_url, pool_size=4, connect_args={"options": "-c synchronous_commit=off"}
    )
