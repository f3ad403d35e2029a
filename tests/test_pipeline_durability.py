"""Durability: a worker killed mid-run loses nothing, and recorded histories still replay."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from myloware.db.engine import create_engine, session_factory
from myloware.db.models import OutboxEvent, RecordVersion, WorkItem
from myloware.workflows.client import connect
from myloware.workflows.worker import WORKFLOWS
from tests.pipeline_support import running_worker, unique_queue, wait_for_order
from tests.test_pipeline_e2e import TEXT_INVOICE

HISTORIES = Path(__file__).parent / "fixtures" / "histories"


def _worker_process(
    settings, database_url, redis_url, temporal_address, queue, log
) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "MYLOWARE_DATA_DIR": str(settings.data_path),
        "MYLOWARE_DATABASE_URL": database_url,
        "MYLOWARE_REDIS_URL": redis_url,
        "MYLOWARE_TEMPORAL_ADDRESS": temporal_address,
        "MYLOWARE_TASK_QUEUE": queue,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "myloware.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )


async def _scalar(database_url: str, stmt) -> int:  # type: ignore[no-untyped-def]
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            return int(await session.scalar(stmt) or 0)
    finally:
        await engine.dispose()


@pytest.mark.timeout(240)
async def test_killed_worker_is_replaced_without_loss_or_duplicates(
    api, settings, database_url, redis_url, temporal_address, token_for
) -> None:
    """SIGKILL a worker mid-order; a new worker completes every item exactly once."""
    queue = unique_queue()
    api.app.state.myloware.settings = settings.model_copy(update={"task_queue": queue})
    headers = token_for("acme")
    n = 30
    r = await api.post(
        "/v1/work-orders",
        json={"work_items": [{"content": f"{TEXT_INVOICE}\nRef {i}"} for i in range(n)]},
        headers=headers,
    )
    order_id = r.json()["data"]["id"]
    log = (settings.data_path / f"worker-{queue}.log").open("wb")
    first = _worker_process(settings, database_url, redis_url, temporal_address, queue, log)
    done_stmt = select(func.count()).select_from(WorkItem).where(WorkItem.status == "COMPLETED")
    try:
        for _ in range(600):
            if await _scalar(database_url, done_stmt) >= 1:
                break
            await asyncio.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    done_at_kill = await _scalar(database_url, done_stmt)
    worker_log = (settings.data_path / f"worker-{queue}.log").read_text()[-3000:]
    assert 1 <= done_at_kill < n, f"the kill must land mid-order; worker log:\n{worker_log}"
    second = _worker_process(settings, database_url, redis_url, temporal_address, queue, log)
    try:
        order = await wait_for_order(api, order_id, headers, limit_s=120)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
        log.close()
    assert order["status"] == "COMPLETED"
    assert await _scalar(database_url, done_stmt) == n
    versions = select(func.count()).select_from(RecordVersion)
    assert await _scalar(database_url, versions) == n
    completed_events = (
        select(func.count())
        .select_from(OutboxEvent)
        .where(OutboxEvent.event_type == "work_item.completed")
    )
    assert await _scalar(database_url, completed_events) == n


async def _record_history(
    api, settings, database_url, temporal_address, token_for
) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    queue = unique_queue()
    local = settings.model_copy(update={"task_queue": queue})
    api.app.state.myloware.settings = local
    headers = token_for("acme")
    async with running_worker(local, database_url, temporal_address):
        r = await api.post(
            "/v1/work-orders", json={"work_items": [{"content": TEXT_INVOICE}]}, headers=headers
        )
        order = await wait_for_order(api, r.json()["data"]["id"], headers)
    items = (await api.get(f"/v1/work-orders/{order['id']}/work-items", headers=headers)).json()
    client = await connect(local, temporal_address)
    order_history = await client.get_workflow_handle(order["workflow_id"]).fetch_history()
    item_history = await client.get_workflow_handle(
        f"work-item-{items['data'][0]['id']}"
    ).fetch_history()
    return order_history.to_json(), item_history.to_json()


async def test_current_workflow_code_replays_fresh_and_recorded_histories(
    api, settings, database_url, temporal_address, token_for
) -> None:
    """Histories recorded now and those stored in fixtures replay without nondeterminism."""
    order_json, item_json = await _record_history(
        api, settings, database_url, temporal_address, token_for
    )
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    histories = [
        WorkflowHistory.from_json("fresh-order", order_json),
        WorkflowHistory.from_json("fresh-item", item_json),
    ]
    if os.environ.get("MYLOWARE_RECORD_HISTORIES"):
        HISTORIES.mkdir(parents=True, exist_ok=True)
        (HISTORIES / "work_order_v1.json").write_text(order_json)
        (HISTORIES / "work_item_v1.json").write_text(item_json)
    stored = sorted(HISTORIES.glob("*.json"))
    assert stored, "recorded histories are missing from tests/fixtures/histories"
    histories += [WorkflowHistory.from_json(p.stem, json.loads(p.read_text())) for p in stored]
    for history in histories:
        result = await replayer.replay_workflow(history)
        assert result.replay_failure is None, (history.workflow_id, result.replay_failure)
