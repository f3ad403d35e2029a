"""``myloware dead-letters``: list and replay dead-lettered events.

Connections come from a resolver ``Settings -> (database_url, redis_url)``; by default the
``MYLOWARE_DATABASE_URL`` / ``MYLOWARE_REDIS_URL`` settings, else the running ``myloware up``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Protocol

import redis.asyncio as aioredis
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.cli._common import settings_for_cli
from myloware.db.engine import create_engine, session_factory, transaction
from myloware.db.models import DeadLetter
from myloware.errors import ConfigurationError
from myloware.events.dead_letters import list_dead_letters, replay
from myloware.runtime.endpoints import read_runtime_file
from myloware.settings import Settings


class ServiceUrls(Protocol):
    """What the dead-letter commands need; ``runtime.endpoints.Endpoints`` fits."""

    @property
    def database_url(self) -> str: ...

    @property
    def redis_url(self) -> str: ...


TenantOpt = Annotated[
    uuid.UUID | None, typer.Option("--tenant", help="Only this tenant's dead letters.")
]


@dataclass(frozen=True, slots=True)
class _Urls:
    database_url: str
    redis_url: str


def urls_from_settings(settings: Settings) -> ServiceUrls:
    """The configured URLs, else those of a running ``myloware up``, else ConfigurationError."""
    running = read_runtime_file(settings)
    database_url = settings.database_url or (running.database_url if running else None)
    redis_url = settings.redis_url or (running.redis_url if running else None)
    if not (database_url and redis_url):
        raise ConfigurationError(
            "this command needs PostgreSQL and Redis: set MYLOWARE_DATABASE_URL and "
            f"MYLOWARE_REDIS_URL, or start the platform with `myloware up` (data dir "
            f"{settings.data_path})"
        )
    return _Urls(database_url=database_url, redis_url=redis_url)


def _default_settings() -> Settings:
    return settings_for_cli()


@dataclass(frozen=True, slots=True)
class Connections:
    sessions: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis


@asynccontextmanager
async def connect(urls: ServiceUrls) -> AsyncIterator[Connections]:
    """A short-lived database engine and Redis client for one command."""
    engine = create_engine(urls.database_url, pool_size=1)
    redis = aioredis.from_url(urls.redis_url)
    try:
        yield Connections(session_factory(engine), redis)
    finally:
        await redis.aclose()
        await engine.dispose()


def render_table(rows: list[DeadLetter]) -> Table:
    """The dead letters as a rich table (first line of each error)."""
    table = Table(title=f"Dead letters ({len(rows)})")
    for column in ("ID", "Created", "Tenant", "Source", "Event type", "Tries", "Error"):
        table.add_column(column, overflow="fold" if column == "ID" else "ellipsis")
    table.add_column("Replayed")
    for row in rows:
        lines = row.error.strip().splitlines()
        table.add_row(
            str(row.id),
            row.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(row.tenant_id or "-"),
            row.source,
            row.event_type,
            str(row.retry_count),
            (lines[-1] if lines else "")[:80],
            row.processed_at.strftime("%Y-%m-%d %H:%M:%S") if row.processed_at else "",
        )
    return table


def register(
    app: typer.Typer,
    *,
    settings: Callable[[], Settings] = _default_settings,
    resolve: Callable[[Settings], ServiceUrls] = urls_from_settings,
    console: Console | None = None,
) -> None:
    """Add the ``dead-letters`` sub-app (``list``, ``replay``) to ``app``."""
    out = console or Console()
    sub = typer.Typer(help="Inspect and replay dead-lettered events.", no_args_is_help=True)

    @sub.command("list")
    def list_command(
        tenant: TenantOpt = None,
        limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
        offset: Annotated[int, typer.Option(min=0)] = 0,
        all_: Annotated[bool, typer.Option("--all", help="Include replayed ones.")] = False,
    ) -> None:
        """List dead letters, newest first."""

        async def go() -> list[DeadLetter]:
            async with connect(resolve(settings())) as conn, conn.sessions() as session:
                return await list_dead_letters(
                    session, tenant_id=tenant, limit=limit, offset=offset, include_processed=all_
                )

        out.print(render_table(asyncio.run(go())))

    @sub.command("replay")
    def replay_command(dead_letter_id: uuid.UUID, tenant: TenantOpt = None) -> None:
        """Publish a dead letter's event to the stream again and mark it replayed."""
        current = settings()

        async def go() -> str:
            async with connect(resolve(current)) as conn, transaction(conn.sessions) as session:
                return await replay(
                    session,
                    conn.redis,
                    dead_letter_id,
                    tenant_id=tenant,
                    stream=current.events_stream,
                )

        entry_id = asyncio.run(go())
        out.print(f"Replayed dead letter {dead_letter_id} as stream entry {entry_id}.")

    app.add_typer(sub, name="dead-letters")
