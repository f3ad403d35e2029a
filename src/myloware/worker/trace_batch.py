"""Group commit for finished attempt rows: many stages' trace rows, one transaction.

A worker runs many documents at once, and every stage of every document ends with an
``attempts`` row and its ``work_item.stage_*`` outbox event. Written one transaction each, that
is the worker's largest database cost. :class:`TraceBatcher` writes the rows that arrive while
a write is under way together in the next one (two pipelined inserts), so the cost is shared
when the worker is busy and nothing waits when it is idle: the first row of a quiet moment is
written at once, alone. A caller's ``write`` returns only once its rows are committed, exactly
as before. A batch refused for its data (an item deleted meanwhile: a foreign key) is written
again row by row, so one bad row loses only itself; any other failure (the database away)
fails the whole batch at once rather than row after row (each caller logs its lost row: the
trace never stops the pipeline).
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.direct import engine_of, transaction
from myloware.db.hot_sql import insert_attempts

Rows = tuple[dict[str, Any], dict[str, Any]]  # (attempt row, outbox row)


class TraceBatcher:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, max_rows: int = 200) -> None:
        self.engine = engine_of(sessions)
        self.max_rows = max_rows
        self._queue: list[tuple[Rows, asyncio.Future[None]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.batches = 0  # transactions written, for tests and benchmarks

    async def write(self, attempt: dict[str, Any], event: dict[str, Any]) -> None:
        """Insert one attempt row and its outbox event; raise what the insert raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(((attempt, event), done))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        # the row is written even if this caller is cancelled meanwhile
        await asyncio.shield(done)

    async def _drain(self) -> None:
        batch: list[tuple[Rows, asyncio.Future[None]]] = []
        try:
            while self._queue:
                batch = self._queue[: self.max_rows]
                del self._queue[: self.max_rows]
                error = await self._insert([rows for rows, _ in batch])
                if isinstance(error, psycopg.IntegrityError) and len(batch) > 1:
                    for rows, done in batch:
                        _settle(done, await self._insert([rows]))
                else:
                    for _, done in batch:
                        _settle(done, error)
        except BaseException:  # cancelled (shutdown): no caller may wait forever
            for _, done in batch + self._queue:
                _settle(done, RuntimeError("the trace writer stopped before this row"))
            self._queue.clear()
            raise
        finally:
            self._drainer = None

    async def _insert(self, rows: list[Rows]) -> BaseException | None:
        try:
            async with transaction(self.engine) as pg:
                await insert_attempts(pg, rows)
        except Exception as exc:
            return exc
        self.batches += 1
        return None


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
