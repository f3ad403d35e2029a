"""Model transcripts expire: the prompts and answers kept on attempts (``output.usage.calls``,
see :mod:`myloware.models.transcript`) are removed once older than
``MYLOWARE_MODEL_TRANSCRIPT_RETENTION_DAYS``. The attempt itself — tokens, cost, the record
— stays. Every worker runs the purge (hourly, in batches); doing it twice is harmless.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import structlog
from sqlalchemy import CursorResult, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.loops import TRANSIENT_ERRORS, sleep_unless_stopped

log = structlog.get_logger(__name__)

BATCH = 500
INTERVAL_S = 3600.0

# only attempts that called a model (the partial index ix_attempts_model_usage) and still
# carry a transcript; SKIP LOCKED: two workers purging at once take different rows
_PURGE = text(
    """
    UPDATE attempts SET output = output #- '{usage,calls}'
    WHERE id IN (
        SELECT id FROM attempts
        WHERE tokens_in IS NOT NULL
          AND started_at < now() - make_interval(days => :days)
          AND output -> 'usage' ? 'calls'
        LIMIT :batch
        FOR UPDATE SKIP LOCKED
    )
    """
)


async def purge_transcripts(
    sessions: async_sessionmaker[AsyncSession], *, days: int, batch: int = BATCH
) -> int:
    """Remove the transcripts of attempts older than ``days`` days; the number of attempts
    changed. Batches of ``batch`` rows, each its own short transaction."""
    purged = 0
    while True:
        async with sessions.begin() as session:
            result = await session.execute(_PURGE, {"days": days, "batch": batch})
            done = cast("CursorResult[Any]", result).rowcount
        purged += done
        if done < batch:
            return purged


async def run_purger(
    sessions: async_sessionmaker[AsyncSession],
    stop: asyncio.Event,
    *,
    days: int,
    interval_s: float = INTERVAL_S,
) -> None:
    """Purge every ``interval_s`` until ``stop``; ``days`` 0 keeps transcripts for good."""
    if days <= 0:
        return
    while not stop.is_set():
        try:
            purged = await purge_transcripts(sessions, days=days)
            if purged:
                log.info("model_transcripts_purged", attempts=purged, older_than_days=days)
        except TRANSIENT_ERRORS as exc:  # the database is away: next time
            log.warning("model_transcripts_purge_failed", error=str(exc))
        await sleep_unless_stopped(stop, interval_s)
