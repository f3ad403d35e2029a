"""Model transcripts expire: the prompts and answers kept on attempts (``output.usage.calls``,
see :mod:`myloware.models.transcript`), and an agent's tool calls (``output.usage.tools``:
their arguments and answers hold document text), are removed once older than
``MYLOWARE_MODEL_TRANSCRIPT_RETENTION_DAYS``. The attempt itself — tokens, cost, the record
— stays. Every worker runs the purge hourly, in batches, as part of retention
(:mod:`myloware.worker.retention`); doing it twice is harmless.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.worker.batches import in_batches

BATCH = 500

# only attempts that called a model (the partial index ix_attempts_model_usage) and still
# carry a transcript; SKIP LOCKED: two workers purging at once take different rows
_DUE = """
    FROM attempts
    WHERE tokens_in IS NOT NULL
      AND started_at < now() - make_interval(days => :days)
      AND output -> 'usage' ?| array['calls', 'tools']
"""
PURGE = text(
    f"""
    UPDATE attempts SET output = output #- '{{usage,calls}}' #- '{{usage,tools}}'
    WHERE id IN (SELECT id {_DUE} LIMIT :batch FOR UPDATE SKIP LOCKED)
    """
)
DUE = text(f"SELECT count(*) {_DUE}")


async def purge_transcripts(
    sessions: async_sessionmaker[AsyncSession], *, days: int, batch: int = BATCH
) -> int:
    """Remove the transcripts of attempts older than ``days`` days; the number of attempts
    changed. Batches of ``batch`` rows, each its own short transaction."""
    return await in_batches(sessions, PURGE, {"days": days}, batch=batch)


async def count_transcripts(session: AsyncSession, *, days: int) -> int:
    """How many attempts :func:`purge_transcripts` would change now."""
    return int(await session.scalar(DUE, {"days": days}) or 0)
