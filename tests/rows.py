"""Reading what the code under test stored: one helper to read rows, one to count them.

Both take either the database URL (they open and close an engine of their own, so a test can
read while a worker or the API holds its pools) or a session factory the test already has.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.engine import create_engine, session_factory

Sessions = async_sessionmaker[AsyncSession]


async def read_rows(
    source: str | Sessions, what: Any, *where: ColumnElement[bool], **equal: Any
) -> list[Any]:
    """The rows of a model (or the values of a column) matching ``where`` and ``equal``
    (``column=value`` on the model), in no particular order."""
    stmt = _filtered(select(what), what, where, equal)
    return list(await _run(source, lambda session: session.scalars(stmt)))


async def count_rows(
    source: str | Sessions, model: Any, *where: ColumnElement[bool], **equal: Any
) -> int:
    """How many rows of ``model`` match ``where`` and ``equal`` (``column=value``)."""
    stmt = _filtered(select(func.count()).select_from(model), model, where, equal)
    return int(await _run(source, lambda session: session.scalar(stmt)) or 0)


def _filtered(stmt: Any, model: Any, where: tuple[Any, ...], equal: dict[str, Any]) -> Any:
    entity = getattr(model, "class_", model)  # a column filters on its model
    for key, value in equal.items():
        stmt = stmt.where(getattr(entity, key) == value)
    return stmt.where(*where) if where else stmt


async def _run(source: str | Sessions, query: Any) -> Any:
    if not isinstance(source, str):
        async with source() as session:
            return _materialised(await query(session))
    engine = create_engine(source, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            return _materialised(await query(session))
    finally:
        await engine.dispose()


def _materialised(result: Any) -> Any:
    return result.all() if hasattr(result, "all") else result
