"""Retention: old outbox rows and processed marks deleted, old attempts of closed orders and
old audit rows moved to their archives (never lost), in batches, against the real database."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
import redis.asyncio as aioredis
import structlog
import typer
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from myloware.cli.retention import register
from myloware.db.base import AttemptStatus, WorkOrderStatus
from myloware.db.engine import transaction
from myloware.db.models import (
    ArchivedAttempt,
    ArchivedAuditLog,
    Attempt,
    AuditLog,
    OutboxEvent,
    ProcessedEvent,
)
from myloware.errors import ConfigurationError
from myloware.services.work_orders import list_attempts
from myloware.settings import Settings, load_settings
from myloware.worker.retention import Retention, run_retention, run_retention_once
from tests.polling import eventually
from tests.retention_support import ago, audit_rows, new_tenant, order_with_attempts
from tests.rows import count_rows, read_rows

Sessions = async_sessionmaker[AsyncSession]


async def _events(sessions: Sessions) -> None:
    """Outbox rows published 10 and 1 days ago and one never published, 10 days old; marks
    10 and 1 days old."""
    async with transaction(sessions) as session:
        for label, created, published in (("old", 10, 10), ("new", 1, 1), ("stuck", 10, None)):
            session.add(
                OutboxEvent(
                    event_type=label,
                    aggregate_type="test",
                    payload={},
                    created_at=ago(created),
                    published_at=None if published is None else ago(published),
                )
            )
        for consumer, days in (("webhooks", 10), ("slack", 10), ("webhooks", 1)):
            session.add(
                ProcessedEvent(consumer=consumer, event_id=uuid.uuid4(), processed_at=ago(days))
            )


async def test_published_outbox_rows_and_old_marks_are_deleted_in_batches(
    sessions: Sessions,
) -> None:
    """Only outbox rows published more than N days ago go, never an unpublished one; marks
    older than N days go; batches of one get there too."""
    await _events(sessions)
    outcomes = await run_retention_once(sessions, None, Retention(events_days=7), batch=1)
    assert [(o.name, o.rows) for o in outcomes] == [("outbox", 1), ("processed_events", 2)]
    assert sorted(await read_rows(sessions, OutboxEvent.event_type)) == ["new", "stuck"]
    assert await count_rows(sessions, ProcessedEvent) == 1
    again = await run_retention_once(sessions, None, Retention(events_days=7))
    assert [o.rows for o in again] == [0, 0]


def _shown(a: Attempt) -> tuple[object, ...]:
    """What the Run Trace shows of an attempt."""
    return (a.id, a.agent_id, a.attempt_number, a.status, a.input, a.output, a.started_at,
            a.duration_ms, a.model, a.tokens_in, a.tokens_out, a.cost_usd)  # fmt: skip


async def test_attempts_of_closed_orders_move_to_the_archive_and_still_show(
    sessions: Sessions,
) -> None:
    """Old attempts of an order closed long ago move, whole, to the archive and the Run
    Trace's list still returns them; open or recently closed orders keep theirs."""
    tenant = await new_tenant(sessions)
    closed = await order_with_attempts(
        sessions, tenant, status=WorkOrderStatus.COMPLETED, closed_days=60, attempt_days=(61, 60)
    )
    waiting = await order_with_attempts(
        sessions,
        tenant,
        status=WorkOrderStatus.AWAITING_APPROVAL,
        closed_days=60,
        attempt_days=(61,),
    )
    recent = await order_with_attempts(
        sessions, tenant, status=WorkOrderStatus.FAILED, closed_days=2, attempt_days=(61,)
    )
    async with sessions() as session:
        before = [
            _shown(a) for a in await list_attempts(session, tenant_id=tenant, work_item_id=closed)
        ]
    outcomes = await run_retention_once(sessions, None, Retention(attempts_days=30), batch=1)
    assert [(o.name, o.action, o.rows) for o in outcomes] == [("attempts", "archived", 2)]
    assert await count_rows(sessions, Attempt, work_item_id=closed) == 0
    assert await count_rows(sessions, ArchivedAttempt, work_item_id=closed) == 2
    for kept in (waiting, recent):
        assert await count_rows(sessions, Attempt, work_item_id=kept) == 1
    async with sessions() as session:
        shown = await list_attempts(session, tenant_id=tenant, work_item_id=closed)
        other_tenant = await new_tenant(sessions)
        assert await list_attempts(session, tenant_id=tenant, work_item_id=waiting)
    after = [_shown(a) for a in shown]
    assert after == before and len(after) == 2
    assert shown[0].status is AttemptStatus.COMPLETED and shown[0].cost_usd == Decimal("0.000123")
    async with sessions() as session:  # the archive is read by tenant like everything else
        archived = await session.scalar(
            text(
                "SELECT count(*) FROM attempts_archive WHERE tenant_id = :t AND work_item_id = :i"
            ),
            {"t": other_tenant, "i": closed},
        )
    assert archived == 0


async def test_archived_attempts_keep_no_expired_transcript(sessions: Sessions) -> None:
    """Transcripts are purged before attempts are archived, so the archive holds none."""
    tenant = await new_tenant(sessions)
    usage = {"tokens_in": 9, "calls": [{"prompt": "secret prompt"}]}
    item = await order_with_attempts(
        sessions,
        tenant,
        status=WorkOrderStatus.COMPLETED,
        closed_days=40,
        attempt_days=(40,),
        output={"record": {}, "usage": usage},
    )
    retention = Retention(transcripts_days=30, attempts_days=30)
    outcomes = await run_retention_once(sessions, None, retention)
    assert [(o.name, o.rows) for o in outcomes] == [
        ("transcripts", 1),
        ("tool_transcripts", 0),
        ("attempts", 1),
    ]
    (row,) = await read_rows(sessions, ArchivedAttempt.row, work_item_id=item)
    assert row["output"] == {"record": {}, "usage": {"tokens_in": 9}}


async def test_audit_rows_are_archived_never_deleted(sessions: Sessions) -> None:
    """Audit rows stay by default; with a retention the old ones move to the archive with
    every column, and the total never drops."""
    tenant = await new_tenant(sessions)
    await audit_rows(sessions, tenant, 400, 400, 3)
    assert await run_retention_once(sessions, None, Retention()) == []
    assert await count_rows(sessions, AuditLog) == 3
    (old, _) = await read_rows(sessions, AuditLog, AuditLog.created_at < ago(30))
    outcomes = await run_retention_once(sessions, None, Retention(audit_days=365), batch=1)
    assert [(o.name, o.action, o.rows) for o in outcomes] == [("audit_logs", "archived", 2)]
    assert await count_rows(sessions, AuditLog) == 1
    assert await count_rows(sessions, ArchivedAuditLog, tenant_id=tenant) == 2
    async with sessions() as session:
        restored = (
            await session.execute(
                text(
                    "SELECT (jsonb_populate_record(NULL::audit_logs, row)).* "
                    "FROM audit_logs_archive WHERE id = :id"
                ),
                {"id": old.id},
            )
        ).one()
    assert restored.user_id == "alice" and restored.action == "approval.decided"
    assert restored.details == {"decision": "APPROVED", "age": 400}
    assert str(restored.ip_address) == "10.0.0.7" and restored.created_at == old.created_at


async def test_cli_dry_run_says_what_would_go_and_changes_nothing(
    sessions: Sessions, clean_db: str, clean_redis: str
) -> None:
    """`retention run --dry-run` prints each sweep's count and changes nothing; `retention
    run` then does it and prints how fast."""
    tenant = await new_tenant(sessions)
    await _events(sessions)
    await audit_rows(sessions, tenant, 400, 3)
    await order_with_attempts(
        sessions, tenant, status=WorkOrderStatus.REJECTED, closed_days=100, attempt_days=(100,)
    )
    settings = Settings(
        database_url=clean_db,
        redis_url=clean_redis,
        retention_attempts_days=90,
        retention_audit_days=365,
    )
    app = typer.Typer()
    register(app, settings=lambda: settings, console=Console(width=200, force_terminal=False))
    runner = CliRunner()
    dry = await asyncio.to_thread(runner.invoke, app, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing changed" in dry.output
    lines = {line.split()[1]: line for line in dry.output.splitlines() if line.startswith("│")}
    assert "would be deleted" in lines["outbox"] and " 1 " in lines["outbox"]
    assert " 2 " in lines["processed_events"] and "would be archived" in lines["attempts"]
    assert " 1 " in lines["audit_logs"] and " 0 " in lines["stream"]  # no stream yet
    assert await count_rows(sessions, OutboxEvent) == 3
    assert await count_rows(sessions, AuditLog) == 2 and await count_rows(sessions, Attempt) == 1
    done = await asyncio.to_thread(runner.invoke, app, ["retention", "run"])
    assert done.exit_code == 0, done.output
    assert "Rows/s" in done.output
    assert await count_rows(sessions, OutboxEvent) == 2
    assert await count_rows(sessions, ArchivedAuditLog) == 1
    assert await count_rows(sessions, ArchivedAttempt) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"retention_events_days": 1, "retention_stream_hours": 48}, "STREAM_HOURS"),
        (
            {"retention_attempts_days": 7, "model_transcript_retention_days": 30},
            "ATTEMPTS_DAYS",
        ),
        ({"retention_audit_days": -1}, "retention_audit_days"),
    ],
)
def test_inconsistent_retention_settings_are_refused(
    overrides: dict[str, int], message: str
) -> None:
    """A stream kept longer than the marks, attempts archived with live transcripts, or a
    negative age: refused with the setting's name."""
    with pytest.raises(ConfigurationError, match=message):
        load_settings(**overrides)


def test_retention_settings_default_to_keeping_audit_and_attempts() -> None:
    """By default events and the stream are swept; attempts and audit rows are kept."""
    retention = Retention.from_settings(Settings())
    assert (retention.events_days, retention.stream_hours) == (7, 24)
    assert (retention.attempts_days, retention.audit_days) == (0, 0)
    assert retention.transcripts_days == 30


async def test_the_worker_loop_sweeps_and_survives_a_redis_outage(sessions: Sessions) -> None:
    """`run_retention` sweeps at once; with Redis unreachable the stream sweep fails, is
    logged, and the database sweeps still run; it stops when told."""
    await _events(sessions)
    unreachable = aioredis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    stop = asyncio.Event()
    retention = Retention(events_days=7, stream_hours=24)
    with structlog.testing.capture_logs() as logs:
        task = asyncio.create_task(run_retention(sessions, unreachable, retention, stop))
        await eventually(
            lambda: [e for e in logs if e.get("sweep") == "stream"] or None,
            message="the failed stream sweep is logged",
        )
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    await unreachable.aclose()
    failed = [e for e in logs if e["event"] == "retention_failed"]
    assert [e["sweep"] for e in failed] == ["stream"]
    swept = {e["sweep"]: e["rows"] for e in logs if e["event"] == "retention_swept"}
    assert swept == {"outbox": 1, "processed_events": 2}
    assert await count_rows(sessions, ProcessedEvent) == 1
