"""Durability: a worker killed mid-run loses nothing, and recorded histories still replay."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

import psycopg
import pytest
from sqlalchemy.exc import OperationalError
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from myloware.db.models import Attempt, EvalResult, OutboxEvent, RecordVersion, WorkItem
from myloware.runtime.embedded import EmbeddedServices
from myloware.settings import Settings
from myloware.temporal_client import connect
from myloware.worker.build import WORKFLOWS, workflow_runner
from myloware.workflows.converter import DATA_CONVERTER
from tests.auth_support import TokenFor
from tests.pipeline_support import AppClient, running_worker, unique_queue, wait_for_order
from tests.polling import eventually
from tests.rows import count_rows
from tests.test_pipeline_e2e import TEXT_INVOICE

HISTORIES = Path(__file__).parent / "fixtures" / "histories"


def _worker_process(
    settings: Settings,
    database_url: str,
    redis_url: str,
    temporal_address: str,
    queue: str,
    log: BinaryIO,
) -> subprocess.Popen[bytes]:
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


async def _first_completed(database_url: str) -> None:
    """Wait (up to 30 s) until the worker completed a first document."""
    await eventually(
        lambda: _completed(database_url), timeout_s=30, message="no document completed"
    )


async def _completed(database_url: str) -> int:
    return await count_rows(database_url, WorkItem, status="COMPLETED")


async def _assert_each_document_once(database_url: str, n: int) -> None:
    """One record version, one verifier result and one completion event per document."""
    for model in (RecordVersion, EvalResult):
        assert await count_rows(database_url, model) == n
    completed = await count_rows(database_url, OutboxEvent, event_type="work_item.completed")
    assert completed == n


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_killed_worker_is_replaced_without_loss_or_duplicates(
    api: AppClient,
    settings: Settings,
    database_url: str,
    redis_url: str,
    temporal_address: str,
    token_for: TokenFor,
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
    try:
        await _first_completed(database_url)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    done_at_kill = await _completed(database_url)
    worker_log = (settings.data_path / f"worker-{queue}.log").read_text()[-3000:]
    assert 1 <= done_at_kill < n, f"the kill must land mid-order; worker log:\n{worker_log}"
    second = _worker_process(settings, database_url, redis_url, temporal_address, queue, log)
    try:
        order = await wait_for_order(api, order_id, headers, timeout_s=120)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
        log.close()
    assert order["status"] == "COMPLETED"
    assert await _completed(database_url) == n
    await _assert_each_document_once(database_url, n)


async def _record_histories(
    api: AppClient,
    settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
) -> dict[str, str]:
    """Run a one-item order (item inline) and a two-item order (child workflows)."""
    queue = unique_queue()
    local = settings.model_copy(update={"task_queue": queue})
    api.app.state.myloware.settings = local
    headers = token_for("acme")
    orders = []
    async with running_worker(local, database_url, temporal_address):
        for count in (1, 2):
            items = [{"content": f"{TEXT_INVOICE}\nRef {i}"} for i in range(count)]
            r = await api.post("/v1/work-orders", json={"work_items": items}, headers=headers)
            orders.append(await wait_for_order(api, r.json()["data"]["id"], headers))
    client = await connect(local, temporal_address)
    single, double = orders
    children = (await api.get(f"/v1/work-orders/{double['id']}/work-items", headers=headers)).json()
    handles = {
        "work_order_inline_v3": single["workflow_id"],
        "work_order_children_v2": double["workflow_id"],
        "work_item_v2": f"work-item-{children['data'][0]['id']}",
    }
    return {
        name: (await client.get_workflow_handle(wid).fetch_history()).to_json()
        for name, wid in handles.items()
    }


async def test_current_workflow_code_replays_fresh_and_recorded_histories(
    api: AppClient,
    settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
) -> None:
    """Histories recorded now and those stored in fixtures (older code) replay cleanly."""
    fresh = await _record_histories(api, settings, database_url, temporal_address, token_for)
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER)
    histories = [WorkflowHistory.from_json(f"fresh-{name}", text) for name, text in fresh.items()]
    if os.environ.get("MYLOWARE_RECORD_HISTORIES"):
        HISTORIES.mkdir(parents=True, exist_ok=True)
        for name, text in fresh.items():  # earlier versions stay as they were recorded
            if not (HISTORIES / f"{name}.json").exists():
                (HISTORIES / f"{name}.json").write_text(text)
    stored = sorted(HISTORIES.glob("*.json"))
    # v1: every item a child; v2: a one-item order's item inline; v3: settled with its order
    assert {
        "work_order_v1",
        "work_item_v1",
        "work_order_inline_v2",
        "work_order_inline_v3",
    } <= {p.stem for p in stored}
    histories += [WorkflowHistory.from_json(p.stem, json.loads(p.read_text())) for p in stored]
    for history in histories:
        result = await replayer.replay_workflow(history)
        assert result.replay_failure is None, (history.workflow_id, result.replay_failure)


def test_the_sandbox_checks_workflows_in_tests_not_in_production(settings: Settings) -> None:
    """Workers skip Temporal's sandbox unless asked; the tests' workers and the replay above
    run in it, so a non-deterministic call in workflow code fails here, before it ships."""
    assert isinstance(workflow_runner(Settings(_env_file=None)), UnsandboxedWorkflowRunner)  # type: ignore[call-arg]  # pydantic-settings' _env_file
    assert isinstance(workflow_runner(settings), SandboxedWorkflowRunner)
    replayer = Replayer(workflows=WORKFLOWS)
    assert isinstance(replayer.config()["workflow_runner"], SandboxedWorkflowRunner)


async def _settled_count(database_url: str) -> int | None:
    """``_completed``, or None while the database is restarting."""
    try:
        return await _completed(database_url)
    except (OperationalError, psycopg.OperationalError):
        return None


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_a_database_restart_mid_run_loses_and_duplicates_nothing(
    api: AppClient,
    settings: Settings,
    database_url: str,
    redis_url: str,
    temporal_address: str,
    token_for: TokenFor,
    embedded: EmbeddedServices,
) -> None:
    """PostgreSQL restarts while a production worker processes one-document orders: the
    stages caught by it fail and are retried, every document completes exactly once."""
    queue = unique_queue()
    api.app.state.myloware.settings = settings.model_copy(update={"task_queue": queue})
    headers = token_for("acme")
    n = 40
    for i in range(n):
        r = await api.post(
            "/v1/work-orders",
            json={"work_items": [{"content": f"{TEXT_INVOICE}\nRef R{i}"}]},
            headers=headers,
        )
        assert r.status_code == 201
    log = (settings.data_path / f"worker-{queue}.log").open("wb")
    worker = _worker_process(settings, database_url, redis_url, temporal_address, queue, log)
    try:
        # the 40 orders move through the stages nearly in step, so they also complete nearly
        # together: restart once the first stage has finished, while every order is in flight
        await eventually(
            lambda: count_rows(database_url, Attempt),
            timeout_s=30,
            message="the worker never finished a stage",
        )
        done_at_restart = await _completed(database_url)
        await asyncio.to_thread(embedded.restart_postgres)
        done = None
        for _ in range(900):
            done = await _settled_count(database_url)
            if done == n:
                break
            await asyncio.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        log.close()
    worker_log = (settings.data_path / f"worker-{queue}.log").read_text()[-3000:]
    assert done == n, f"{done} of {n} completed; worker log:\n{worker_log}"
    assert done_at_restart < n, "the restart must land mid-run"
    await _assert_each_document_once(database_url, n)
