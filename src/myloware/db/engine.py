"""Engine and session factory. One async engine per process, built from Settings."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def to_sqlalchemy_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs (as users write them) and use the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


#: a pooled connection back in the pool for less than this is handed out without a ping
PING_IDLE_S = 0.5


def create_engine(
    url: str, *, pool_size: int = 10, echo: bool = False, connect_args: dict[str, Any] | None = None
) -> AsyncEngine:
    engine = create_async_engine(
        to_sqlalchemy_url(url),
        connect_args=connect_args or {},
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        echo=echo,
    )
    ping_when_idle(engine, PING_IDLE_S)
    return engine


def ping_when_idle(engine: AsyncEngine, idle_s: float) -> None:
    """Check a pooled connection with a ping before it is handed out, unless it came back
    to the pool less than ``idle_s`` ago (HikariCP's "alive bypass window").

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip per request (a
    tenth of a read's CPU in the API). A connection in use a moment ago is alive as far
    as a ping can tell; one that has waited is pinged, and a dead one is replaced before
    anyone gets it (the pool connects anew), as with ``pool_pre_ping``."""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    def stamp(dbapi_connection: Any, record: Any, *_: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    def check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get("returned_at", 0.0) < idle_s:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool invalidates it and connects again
            raise DisconnectionError(f"a pooled connection failed its ping: {exc}") from exc

    event.listen(pool, "connect", stamp)  # a new connection needs no ping
    event.listen(pool, "checkin", stamp)
    event.listen(pool, "checkout", check)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for reads only: each statement runs on its own (autocommit), so a request
    sends no ``BEGIN`` and no ``ROLLBACK`` — two of a read's three or four round trips.

    Under PostgreSQL's READ COMMITTED (the default, used throughout) every statement sees
    its own snapshot inside a transaction too, so the answers are the same. Not for
    writes (each would commit at once) nor for ``SET LOCAL`` / ``set_config(..., true)``,
    which need a transaction (the memory look-ups' ``hnsw.ef_search``)."""
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
    )


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction: committed on success, rolled back on error."""
    async with sessions() as session, session.begin():
        yield session
