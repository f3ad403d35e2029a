"""The dead-letter service and the ``myloware dead-letters`` commands, on real servers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from myloware.cli.events import register, urls_from_settings
from myloware.db.engine import transaction
from myloware.db.models import DeadLetter
from myloware.errors import ConfigurationError, ConflictError, NotFoundError, ValidationFailed
from myloware.events import Event, list_dead_letters, replay_dead_letter
from myloware.settings import Settings
from tests.stream_support import stream_entries

STREAM = "test:events"


def dead_letter(tenant_id: uuid.UUID | None, *, replayed: bool = False) -> DeadLetter:
    event = Event(
        event_id=uuid.uuid4(),
        event_type="work_item.failed",
        tenant_id=tenant_id,
        aggregate_type="work_item",
        aggregate_id=uuid.uuid4(),
        payload={"reason": "timeout"},
        created_at=datetime.now(UTC),
    )
    return DeadLetter(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        source="notifier",
        event_type=event.event_type,
        event_id=event.event_id,
        payload=event.model_dump(mode="json"),
        error="Traceback ...\nValueError: slack unreachable",
        retry_count=5,
        processed_at=datetime.now(UTC) if replayed else None,
    )


async def add(sessions: async_sessionmaker[AsyncSession], *rows: DeadLetter) -> None:
    async with transaction(sessions) as session:
        session.add_all(rows)


async def test_listing_filters_by_tenant_and_replay_state(
    sessions: async_sessionmaker[AsyncSession], tenants: dict[str, uuid.UUID]
) -> None:
    """Listing shows one tenant's open dead letters, or everyone's, and replayed ones on ask."""
    acme, globex = tenants["acme"], tenants["globex"]
    open_acme, done_acme, open_globex = (
        dead_letter(acme),
        dead_letter(acme, replayed=True),
        dead_letter(globex),
    )
    await add(sessions, open_acme, done_acme, open_globex)
    async with sessions() as session:
        mine = await list_dead_letters(session, tenant_id=acme)
        everything = await list_dead_letters(session, tenant_id=None, include_processed=True)
        page = await list_dead_letters(session, tenant_id=None, limit=1, offset=1)
    assert [d.id for d in mine] == [open_acme.id]
    assert {d.id for d in everything} == {open_acme.id, done_acme.id, open_globex.id}
    assert len(page) == 1


async def test_replay_publishes_the_event_with_its_id_once(
    sessions: async_sessionmaker[AsyncSession],
    redis: aioredis.Redis,
    tenants: dict[str, uuid.UUID],
) -> None:
    """Replay republishes the original event and marks it; a second replay is a conflict."""
    row = dead_letter(tenants["acme"])
    await add(sessions, row)
    async with transaction(sessions) as session:
        await replay_dead_letter(session, redis, row.id, tenant_id=tenants["acme"], stream=STREAM)
    [(_, fields)] = await stream_entries(redis, STREAM)
    assert Event.from_fields(fields) == Event.model_validate(row.payload)
    with pytest.raises(ConflictError):
        async with transaction(sessions) as session:
            await replay_dead_letter(session, redis, row.id, tenant_id=None, stream=STREAM)
    assert await redis.xlen(STREAM) == 1


async def test_replay_hides_unknown_and_foreign_dead_letters(
    sessions: async_sessionmaker[AsyncSession],
    redis: aioredis.Redis,
    tenants: dict[str, uuid.UUID],
) -> None:
    """Replaying an unknown id or another tenant's dead letter is NotFound; nothing published."""
    row = dead_letter(tenants["acme"])
    await add(sessions, row)
    async with sessions() as session:
        with pytest.raises(NotFoundError):
            await replay_dead_letter(session, redis, uuid.uuid4(), tenant_id=None, stream=STREAM)
        with pytest.raises(NotFoundError):
            await replay_dead_letter(
                session, redis, row.id, tenant_id=tenants["globex"], stream=STREAM
            )
    assert await redis.exists(STREAM) == 0


async def test_replay_refuses_a_dead_letter_without_an_event(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """A dead-lettered malformed entry cannot be replayed (ValidationFailed)."""
    row = dead_letter(None)
    row.payload = {"stream_id": "1-0", "fields": {"payload": "{"}}
    await add(sessions, row)
    async with sessions() as session:
        with pytest.raises(ValidationFailed):
            await replay_dead_letter(session, redis, row.id, tenant_id=None, stream=STREAM)


async def test_cli_lists_and_replays(
    sessions: async_sessionmaker[AsyncSession],
    redis: aioredis.Redis,
    clean_db: str,
    clean_redis: str,
) -> None:
    """`dead-letters list` shows open dead letters and `replay ID` republishes one."""
    row = dead_letter(None)
    await add(sessions, row)
    settings = Settings(database_url=clean_db, redis_url=clean_redis, events_stream=STREAM)
    app = typer.Typer()
    register(app, settings=lambda: settings, console=Console(width=250, force_terminal=False))
    runner = CliRunner()
    listed = await asyncio.to_thread(runner.invoke, app, ["dead-letters", "list"])
    assert listed.exit_code == 0, listed.output
    assert str(row.id) in listed.output and "slack unreachable" in listed.output
    replayed = await asyncio.to_thread(runner.invoke, app, ["dead-letters", "replay", str(row.id)])
    assert replayed.exit_code == 0, replayed.output
    assert f"Replayed dead letter {row.id}" in replayed.output
    assert await redis.xlen(STREAM) == 1
    again = await asyncio.to_thread(runner.invoke, app, ["dead-letters", "replay", str(row.id)])
    assert isinstance(again.exception, ConflictError)


def test_missing_urls_fail_clearly(tmp_path: Path) -> None:
    """Without configured URLs or a running platform the commands raise ConfigurationError."""
    with pytest.raises(ConfigurationError, match="MYLOWARE_DATABASE_URL"):
        urls_from_settings(Settings(data_dir=tmp_path))
