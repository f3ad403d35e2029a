"""`myloware relay` and `myloware worker` with MYLOWARE_METRICS_PORT serve Prometheus text on
it: what Prometheus scrapes and what the chart's liveness probe of these roles calls; a
worker's page also carries the Temporal SDK's own metrics."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from myloware.worker.sdk_metrics import TemporalSdkMetrics
from tests.polling import eventually


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("role", ["relay", "worker"])
async def test_a_role_serves_its_process_metrics_on_the_metrics_port(
    role: str, clean_db: str, clean_redis: str, temporal_address: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "MYLOWARE_DATABASE_URL": clean_db,
        "MYLOWARE_REDIS_URL": clean_redis,
        "MYLOWARE_TEMPORAL_ADDRESS": temporal_address,
        "MYLOWARE_DATA_DIR": str(tmp_path),
        "MYLOWARE_METRICS_PORT": str(port),
        "MYLOWARE_MEMORY_EMBEDDINGS": "off",
        "MYLOWARE_TASK_QUEUE": f"metrics-{role}-{port}",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "myloware.cli",
        role,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )

    async def scraped() -> str | None:
        assert proc.returncode is None, f"myloware {role} exited early"
        try:
            async with httpx.AsyncClient() as client:
                r = await client.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
        except httpx.HTTPError:
            return None
        if r.status_code != 200:
            return None
        # a worker also passes on the Temporal SDK's metrics, once its pollers have started
        return r.text if role != "worker" or "temporal_num_pollers{" in r.text else None

    try:
        text = await eventually(scraped, timeout_s=60, interval=0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert "process_resident_memory_bytes" in text and "python_info" in text
    if role == "worker":  # the SDK's own figures, with the worker's task queue on them
        assert "# TYPE temporal_num_pollers gauge" in text
        assert f'task_queue="metrics-worker-{port}"' in text
        assert "myloware_stage_duration_seconds" in text
    assert proc.returncode == 0, out.decode()[-2000:]


def test_a_worker_whose_sdk_metrics_cannot_be_read_still_serves_its_own() -> None:
    """The SDK's page unreachable (nothing listens there): the scrape answers without it."""
    registry = CollectorRegistry()
    Gauge("myloware_probe", "a figure of the worker's own", registry=registry).set(1)
    registry.register(TemporalSdkMetrics(f"http://127.0.0.1:{_free_port()}/metrics"))
    text = generate_latest(registry).decode()
    assert "myloware_probe 1.0" in text and "temporal_" not in text
