"""Plain psycopg for the worker's hot path: the statements every document runs.

Measured on the embedded PostgreSQL, SQLAlchemy's async session costs about 0.35 ms of CPU per
statement on top of the driver's own ~0.06 ms, and a document used to run some twenty
statements: the database client was the largest share of a worker's CPU. The statements each
document runs are therefore written as SQL (in :mod:`myloware.db.hot_sql`), merged
where PostgreSQL allows (data-modifying CTEs), and executed on the psycopg connection
underneath the SQLAlchemy pool — one pool, with its pre-ping and recycling. The tables stay
defined by the ORM models and migrations; everything that is not per-document work (the API,
the services, governance) stays on the ORM.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

Connection = psycopg.AsyncConnection[Any]
__all__ = ["Connection", "Jsonb", "autocommit", "engine_of", "jsonb", "transaction"]


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[Connection]:
    """One transaction on a pooled connection: committed when the block ends, rolled back
    when it raises."""
    async with engine.connect() as conn:
        fairy = await conn.get_raw_connection()
        pg: Connection = fairy.driver_connection  # type: ignore[assignment]
        async with pg.transaction():
            yield pg


@asynccontextmanager
async def autocommit(engine: AsyncEngine) -> AsyncIterator[Connection]:
    """A pooled connection on which each statement commits on its own: for reads, which
    then send no ``BEGIN``/``ROLLBACK`` (each statement sees its own snapshot, as under
    READ COMMITTED inside a transaction). The connection goes back to the pool as it came.

    Statements that need a transaction (writes that belong together, ``SET LOCAL``) take
    :func:`transaction`."""
    async with engine.connect() as conn:
        fairy = await conn.get_raw_connection()
        pg: Connection = fairy.driver_connection  # type: ignore[assignment]
        await pg.set_autocommit(True)
        try:
            yield pg
        finally:
            if not pg.closed:
                await pg.set_autocommit(False)


def engine_of(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    """The engine a session factory is bound to."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise TypeError("the session factory is not bound to an AsyncEngine")
    return bind


def jsonb(value: Any) -> Jsonb | None:
    """A JSON value as a ``jsonb`` parameter (None stays SQL NULL)."""
    return None if value is None else Jsonb(value)
