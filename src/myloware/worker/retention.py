"""Retention: what the platform keeps, and for how long (docs/deploy.md, "Retention").

Every worker runs :func:`run_retention` (hourly, in batches; two workers at once take
different rows). Each sweep is off when its setting is 0:

- ``transcripts``: model prompts and answers on attempts (the attempts stay):
  ``MODEL_TRANSCRIPT_RETENTION_DAYS`` (30);
- ``outbox`` rows published, and consumers' ``processed_events`` marks, that many days ago:
  deleted, ``RETENTION_EVENTS_DAYS`` (7);
- ``stream`` entries older than that which every consumer group has delivered and
  acknowledged: trimmed, ``RETENTION_STREAM_HOURS`` (24);
- ``attempts`` of work orders closed that long: *moved* to ``attempts_archive`` (the Run Trace
  still shows them), ``RETENTION_ATTEMPTS_DAYS`` (0);
- ``audit_logs`` rows: *moved* to ``audit_logs_archive``, never deleted,
  ``RETENTION_AUDIT_DAYS`` (0).

Transcripts go before attempts are archived, so the archive keeps none that have expired
(the settings refuse an attempt retention shorter than the transcripts'). A sweep that fails
on a transient error (database or Redis away) is logged and tried again next time; the
others still run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from sqlalchemy import TextClause
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.events.trim import trim_stream
from myloware.loops import TRANSIENT_ERRORS, sleep_unless_stopped
from myloware.settings import Settings
from myloware.worker import retention_sql as sql
from myloware.worker import transcripts
from myloware.worker.batches import in_batches

log = structlog.get_logger(__name__)

BATCH = 500
INTERVAL_S = 3600.0


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each kind of row is kept; 0: for good."""

    transcripts_days: int = 0
    events_days: int = 0
    stream_hours: int = 0
    attempts_days: int = 0
    audit_days: int = 0
    stream: str = "myloware:events"

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        return cls(
            transcripts_days=settings.model_transcript_retention_days,
            events_days=settings.retention_events_days,
            stream_hours=settings.retention_stream_hours,
            attempts_days=settings.retention_attempts_days,
            audit_days=settings.retention_audit_days,
            stream=settings.events_stream,
        )


@dataclass(frozen=True, slots=True)
class Sweep:
    """One table's retention: how old is old, what is due, one batch of removing it."""

    name: str
    action: str  # what happens to the rows, for people
    days: Callable[[Retention], int]
    due: TextClause
    batch: TextClause


SWEEPS = (
    Sweep(
        "transcripts",
        "purged",
        lambda r: r.transcripts_days,
        transcripts.DUE,
        transcripts.PURGE,
    ),
    Sweep(  # an agent's tool calls in the workflow, each an attempt without tokens
        "tool_transcripts",
        "purged",
        lambda r: r.transcripts_days,
        transcripts.TOOL_DUE,
        transcripts.TOOL_PURGE,
    ),
    Sweep("outbox", "deleted", lambda r: r.events_days, sql.OUTBOX_DUE, sql.OUTBOX_BATCH),
    Sweep(
        "processed_events",
        "deleted",
        lambda r: r.events_days,
        sql.PROCESSED_DUE,
        sql.PROCESSED_BATCH,
    ),
    Sweep("attempts", "archived", lambda r: r.attempts_days, sql.ATTEMPTS_DUE, sql.ATTEMPTS_BATCH),
    Sweep("audit_logs", "archived", lambda r: r.audit_days, sql.AUDIT_DUE, sql.AUDIT_BATCH),
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one sweep did (or, dry, would do)."""

    name: str
    action: str
    older_than: str  # "30 days", "24 hours"
    rows: int
    seconds: float
    note: str = ""

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


async def _sweep(
    sessions: async_sessionmaker[AsyncSession],
    sweep: Sweep,
    days: int,
    *,
    dry_run: bool,
    batch: int,
) -> Outcome:
    started = time.perf_counter()
    if dry_run:
        async with sessions() as session:
            rows = int(await session.scalar(sweep.due, {"days": days}) or 0)
    else:
        rows = await in_batches(sessions, sweep.batch, {"days": days}, batch=batch)
    elapsed = time.perf_counter() - started
    return Outcome(sweep.name, sweep.action, f"{days} days", rows, elapsed)


async def _trim(redis: Redis, retention: Retention, *, dry_run: bool) -> Outcome:
    started = time.perf_counter()
    cutoff_ms = int(time.time() * 1000) - retention.stream_hours * 3_600_000
    rows, bound = await trim_stream(redis, retention.stream, cutoff_ms=cutoff_ms, dry_run=dry_run)
    note = "" if bound is None else f"below {bound.min_id}, held by {bound.held_by}"
    elapsed = time.perf_counter() - started
    return Outcome("stream", "trimmed", f"{retention.stream_hours} hours", rows, elapsed, note)


async def run_retention_once(
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis | None,
    retention: Retention,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
) -> list[Outcome]:
    """Every sweep that is on, in order; with ``dry_run`` only counts what is due. A sweep
    that fails on a transient error is logged and left for next time."""
    outcomes: list[Outcome] = []
    for sweep in SWEEPS:
        days = sweep.days(retention)
        if days > 0:
            try:
                outcomes.append(await _sweep(sessions, sweep, days, dry_run=dry_run, batch=batch))
            except TRANSIENT_ERRORS as exc:
                log.warning("retention_failed", sweep=sweep.name, error=str(exc))
    if redis is not None and retention.stream_hours > 0:
        try:
            outcomes.append(await _trim(redis, retention, dry_run=dry_run))
        except TRANSIENT_ERRORS as exc:
            log.warning("retention_failed", sweep="stream", error=str(exc))
    return outcomes


async def run_retention(
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis | None,
    retention: Retention,
    stop: asyncio.Event,
    *,
    interval_s: float = INTERVAL_S,
) -> None:
    """Sweep every ``interval_s`` until ``stop``."""
    while not stop.is_set():
        for outcome in await run_retention_once(sessions, redis, retention):
            if outcome.rows:
                log.info(
                    "retention_swept",
                    sweep=outcome.name,
                    action=outcome.action,
                    rows=outcome.rows,
                    older_than=outcome.older_than,
                    seconds=round(outcome.seconds, 3),
                )
        await sleep_unless_stopped(stop, interval_s)
