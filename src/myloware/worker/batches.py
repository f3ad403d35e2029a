"""Work done in short transactions of a bounded number of rows (retention, transcripts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


async def in_batches(
    sessions: async_sessionmaker[AsyncSession],
    statement: Executable,
    params: Mapping[str, Any],
    *,
    batch: int,
) -> int:
    """Run ``statement`` (which takes ``:batch`` and changes at most that many rows) until a
    run changes fewer; the rows changed in all. Each run is its own transaction, so locks are
    held briefly and what is done stays done if a later run fails."""
    changed = 0
    while True:
        async with sessions.begin() as session:
            result = await session.execute(statement, {**params, "batch": batch})
            done = cast("CursorResult[Any]", result).rowcount
        changed += done
        if done < batch:
            return changed
