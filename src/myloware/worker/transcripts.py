"""Model transcripts expire: the prompts and answers kept on attempts (``output.usage.calls``,
see :mod:`myloware.models.transcript`), and an agent's tool calls (``output.usage.tools``:
their arguments and answers hold document text; an agent run in the workflow keeps each on
an ``ExtractorTool`` attempt of its own), are removed once older than
``MYLOWARE_MODEL_TRANSCRIPT_RETENTION_DAYS``. The attempt itself — tokens, cost, the record
— stays. Every worker runs the purge hourly, in batches, as part of retention
(:mod:`myloware.worker.retention`); doing it twice is harmless.
"""

from __future__ import annotations

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.agents.names import AgentName
from myloware.worker.batches import in_batches

BATCH = 500

# only attempts that called a model (the partial index ix_attempts_model_usage), or one tool
# of an agent run in the workflow (ix_attempts_tool_calls_started), that still carry a
# transcript; SKIP LOCKED: two workers purging at once take different rows
_KINDS = {
    "model": "tokens_in IS NOT NULL",
    "tool": f"agent_id = '{AgentName.EXTRACTOR_TOOL.value}'",
}


def _due(kind: str) -> str:
    return f"""
    FROM attempts
    WHERE {_KINDS[kind]}
      AND started_at < now() - make_interval(days => :days)
      AND output -> 'usage' ?| array['calls', 'tools']
"""


def _purge(kind: str) -> TextClause:
    return text(
        f"""
    UPDATE attempts SET output = output #- '{{usage,calls}}' #- '{{usage,tools}}'
    WHERE id IN (SELECT id {_due(kind)} LIMIT :batch FOR UPDATE SKIP LOCKED)
    """
    )


PURGE, DUE = _purge("model"), text(f"SELECT count(*) {_due('model')}")
TOOL_PURGE, TOOL_DUE = _purge("tool"), text(f"SELECT count(*) {_due('tool')}")


async def purge_transcripts(
    sessions: async_sessionmaker[AsyncSession], *, days: int, batch: int = BATCH
) -> int:
    """Remove the transcripts of attempts older than ``days`` days; the number of attempts
    changed. Batches of ``batch`` rows, each its own short transaction."""
    changed = 0
    for purge in (PURGE, TOOL_PURGE):
        changed += await in_batches(sessions, purge, {"days": days}, batch=batch)
    return changed


async def count_transcripts(session: AsyncSession, *, days: int) -> int:
    """How many attempts :func:`purge_transcripts` would change now."""
    return sum([int(await session.scalar(due, {"days": days}) or 0) for due in (DUE, TOOL_DUE)])
