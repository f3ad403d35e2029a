"""For CLI commands that work on the database directly (schemas, tenants): where it is, and
one transaction around a piece of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from myloware.cli._common import settings_for_cli
from myloware.db.engine import create_engine, session_factory
from myloware.runtime.endpoints import resolve_endpoints

T = TypeVar("T")


def database_url() -> str:
    """The configured database, else that of a running ``myloware up``."""
    return resolve_endpoints(settings_for_cli()).database_url


async def in_transaction(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction on a short-lived engine."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()
