"""The embedded runtime starts real PostgreSQL, Redis and Temporal servers and stops them clean."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import redis
import sqlalchemy as sa
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from myloware.errors import StartupError
from myloware.runtime.embedded import EmbeddedServices, ServiceEndpoints, isolated_settings
from myloware.runtime.watchdog import Watchdog
from myloware.settings import Settings


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: free ports, no external service unless given."""
    return isolated_settings(data_dir, **overrides)


def external(endpoints: ServiceEndpoints) -> dict[str, Any]:
    """Overrides that point every service at the shared servers (nothing embedded)."""
    return {
        "database_url": endpoints.database_url,
        "redis_url": endpoints.redis_url,
        "temporal_address": endpoints.temporal_address,
    }


def processes_using(path: Path) -> list[psutil.Process]:
    """Live processes whose command line or working directory lies under ``path``."""
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        where = " ".join(proc.info["cmdline"] or []) + " " + (proc.info["cwd"] or "")
        if str(path) in where:
            found.append(proc)
    return found


@pytest.fixture
def tmp_data() -> Iterator[Path]:
    """A data folder under /tmp that the 'pgserver' system user can reach."""
    root = Path(tempfile.mkdtemp(dir="/tmp", prefix="myloware-embedded-"))
    root.chmod(0o755)
    yield root / "data"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[EmbeddedServices, ServiceEndpoints]]:
    """One set of embedded servers shared by the read-only tests of this module."""
    root = Path(tempfile.mkdtemp(dir="/tmp", prefix="myloware-embedded-"))
    root.chmod(0o755)
    services = EmbeddedServices(make_settings(root / "data", temporal_ui=True))
    endpoints = services.start()
    yield services, endpoints
    services.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_all_three_services_are_embedded_and_started(
    running: tuple[EmbeddedServices, ServiceEndpoints],
) -> None:
    """With no URLs set, PostgreSQL, Redis and Temporal are all started locally."""
    _, endpoints = running
    assert endpoints.embedded_database and endpoints.embedded_redis
    assert endpoints.embedded_temporal
    assert endpoints.database_url.startswith("postgresql+psycopg://postgres@/myloware?host=/")
    assert endpoints.redis_url.startswith("redis://127.0.0.1:")
    assert 0 < endpoints.startup_seconds < 60


def test_postgres_serves_pgvector_in_the_myloware_database(
    running: tuple[EmbeddedServices, ServiceEndpoints],
) -> None:
    """The myloware database exists and has the vector extension installed."""
    engine = sa.create_engine(running[1].database_url)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT current_database()")) == "myloware"
        distance = conn.scalar(sa.text("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector"))
        extensions = conn.scalars(sa.text("SELECT extname FROM pg_extension")).all()
    engine.dispose()
    assert distance == pytest.approx(1.0)
    assert "vector" in extensions


def test_redis_answers_ping(running: tuple[EmbeddedServices, ServiceEndpoints]) -> None:
    """The embedded Redis answers PING on its URL."""
    client = redis.Redis.from_url(running[1].redis_url)
    assert client.ping() is True
    client.close()


async def test_temporal_accepts_a_client_and_serves_its_ui(
    running: tuple[EmbeddedServices, ServiceEndpoints],
) -> None:
    """A temporalio client connects and describes the namespace; the web UI answers."""
    _, endpoints = running
    client = await Client.connect(endpoints.temporal_address)
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace="default")
    )
    assert described.namespace_info.name == "default"
    assert endpoints.temporal_ui_url is not None
    async with httpx.AsyncClient() as http:
        page = await http.get(endpoints.temporal_ui_url)
    assert page.status_code == 200


def test_stopped_redis_stops_answering_and_comes_back_with_its_data(
    running: tuple[EmbeddedServices, ServiceEndpoints],
) -> None:
    """stop_redis() makes Redis unreachable; start_redis() brings it back on the same URL."""
    services, endpoints = running
    client = redis.Redis.from_url(endpoints.redis_url, socket_connect_timeout=1)
    client.set("survives-restart", "yes")
    services.stop_redis()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    assert services.start_redis() == endpoints.redis_url
    assert client.get("survives-restart") == b"yes"
    client.close()


def test_second_supervisor_on_the_same_data_dir_is_refused(
    running: tuple[EmbeddedServices, ServiceEndpoints],
) -> None:
    """A second EmbeddedServices on a data dir in use fails with StartupError."""
    services, _ = running
    with pytest.raises(StartupError, match="in use by another MyloWare process"):
        EmbeddedServices(services.settings).start()


def test_unreachable_external_database_is_reported(
    running: tuple[EmbeddedServices, ServiceEndpoints], tmp_data: Path
) -> None:
    """A database_url nobody answers on gives a StartupError naming PostgreSQL and the URL."""
    [closed_port] = _closed_ports(1)
    url = f"postgresql+psycopg://app:secret@127.0.0.1:{closed_port}/app"
    settings = make_settings(tmp_data, **{**external(running[1]), "database_url": url})
    with pytest.raises(StartupError, match="could not reach PostgreSQL at") as caught:
        EmbeddedServices(settings).start()
    assert f"127.0.0.1:{closed_port}" in caught.value.message
    assert "secret" not in caught.value.message


def test_external_services_are_checked_not_started(
    running: tuple[EmbeddedServices, ServiceEndpoints], tmp_data: Path
) -> None:
    """When every URL is set, start() only verifies them and embeds nothing."""
    endpoints = EmbeddedServices(make_settings(tmp_data, **external(running[1]))).start()
    assert not (endpoints.embedded_database or endpoints.embedded_redis)
    assert not endpoints.embedded_temporal
    assert endpoints.redis_url == running[1].redis_url
    assert not tmp_data.exists()


def test_port_in_use_is_reported_and_nothing_is_left_running(tmp_data: Path) -> None:
    """A taken Temporal port fails the start, names the port and setting, and stops the rest."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StartupError, match=f"port {port}") as caught:
            EmbeddedServices(make_settings(tmp_data, temporal_port=port)).start()
    assert "MYLOWARE_TEMPORAL_PORT" in caught.value.message
    assert processes_using(tmp_data) == []


def test_server_that_exits_early_is_reported_with_its_log(
    running: tuple[EmbeddedServices, ServiceEndpoints], tmp_data: Path
) -> None:
    """Redis refusing a corrupt append-only file gives a StartupError quoting its log."""
    (tmp_data / "redis").mkdir(parents=True)
    (tmp_data / "redis" / "appendonly.aof").write_text("*3\r\n$3\r\nSET\r\ngarbage")
    overrides = {**external(running[1]), "redis_url": None}
    with pytest.raises(StartupError, match="exited early") as caught:
        EmbeddedServices(make_settings(tmp_data, **overrides)).start()
    assert "append only file" in caught.value.message.lower()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs postgres as another user")
def test_data_dir_inside_a_private_folder_is_refused(
    running: tuple[EmbeddedServices, ServiceEndpoints],
) -> None:
    """As root, a data dir under a folder others cannot enter gives a clear StartupError."""
    private = Path(tempfile.mkdtemp(dir="/tmp"))  # mode 0700, like /root
    try:
        overrides = {**external(running[1]), "database_url": None}
        with pytest.raises(StartupError, match="other users cannot enter"):
            EmbeddedServices(make_settings(private / "data", **overrides)).start()
    finally:
        shutil.rmtree(private)


def test_data_dir_that_cannot_be_created_is_refused(tmp_data: Path) -> None:
    """A data dir whose parent is a regular file gives a 'not writable' StartupError."""
    tmp_data.parent.joinpath("a-file").write_text("")
    with pytest.raises(StartupError, match="not writable"):
        EmbeddedServices(make_settings(tmp_data.parent / "a-file" / "data")).start()


async def test_stop_leaves_no_process_and_a_restart_keeps_the_data(tmp_data: Path) -> None:
    """After stop() no server process remains, and a new start sees earlier writes."""
    services = EmbeddedServices(make_settings(tmp_data))
    endpoints = await asyncio.to_thread(services.start)
    engine = sa.create_engine(endpoints.database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE items (id int, embedding vector(3))"))
        conn.execute(sa.text("INSERT INTO items VALUES (1, '[1,2,3]')"))
    engine.dispose()
    redis.Redis.from_url(endpoints.redis_url).set("kept", "1")
    client = await Client.connect(endpoints.temporal_address)
    workflow_id = f"kept-{uuid.uuid4()}"
    await client.start_workflow("NoWorkerWorkflow", id=workflow_id, task_queue="nobody")

    await asyncio.to_thread(services.stop)
    assert processes_using(tmp_data) == []
    services.stop()  # idempotent

    with EmbeddedServices(make_settings(tmp_data)) as again:
        engine = sa.create_engine(again.database_url)
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT embedding::text FROM items")) == "[1,2,3]"
        engine.dispose()
        assert redis.Redis.from_url(again.redis_url).get("kept") == b"1"
        client = await Client.connect(again.temporal_address)
        description = await client.get_workflow_handle(workflow_id).describe()
        assert description.workflow_type == "NoWorkerWorkflow"
    assert processes_using(tmp_data) == []


CRASHING_SUPERVISOR = textwrap.dedent(
    """
    import sys, time, redis
    from myloware.runtime.embedded import EmbeddedServices
    from myloware.settings import Settings
    settings = Settings(data_dir=sys.argv[1], redis_port=0, temporal_port=0,
                        temporal_ui=False, database_url=None, redis_url=None,
                        temporal_address=None)
    endpoints = EmbeddedServices(settings).start()
    redis.Redis.from_url(endpoints.redis_url).set("before-crash", "1")
    print("READY", flush=True)
    time.sleep(120)
    """
)


@pytest.mark.slow
def test_a_crashed_run_does_not_block_the_next_start(tmp_data: Path) -> None:
    """After a killed supervisor and postmaster (stale pid file, orphans) a new start works."""
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_SUPERVISOR, str(tmp_data)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        assert "READY" in (line.strip() for line in child.stdout)
    finally:
        child.kill()
        child.wait()
    pid_file = tmp_data / "postgres" / "postmaster.pid"
    lines = pid_file.read_text().splitlines()
    os.kill(int(lines[0]), signal.SIGKILL)
    pid_file.write_text("\n".join([str(os.getppid()), *lines[1:]]) + "\n")  # a recycled pid

    with EmbeddedServices(make_settings(tmp_data)) as endpoints:
        assert redis.Redis.from_url(endpoints.redis_url).get("before-crash") == b"1"
        engine = sa.create_engine(endpoints.database_url)
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT '[1,2,3]'::vector::text")) == "[1,2,3]"
        engine.dispose()
    assert processes_using(tmp_data) == []


def _closed_ports(count: int) -> list[int]:
    """Ports nothing listens on (bound then released)."""
    ports = []
    for _ in range(count):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    return ports


async def test_the_watchdog_starts_a_killed_server_again_on_the_same_address(
    tmp_data: Path,
) -> None:
    """Redis, Temporal and PostgreSQL each killed with SIGKILL are noticed, reported as
    restarting, started again on the same URL with their data, and reported up."""
    services = EmbeddedServices(make_settings(tmp_data))
    endpoints = services.start()
    try:
        client = redis.Redis.from_url(endpoints.redis_url, socket_connect_timeout=1)
        client.set("survives-kill", "yes")
        client.execute_command("BGREWRITEAOF")  # type: ignore[no-untyped-call]  # redis-py
        watchdog = Watchdog(services.supervised(), interval_s=0.1)
        children = dict(services.supervised())
        for name in ("redis", "temporal", "postgres"):
            pid = children[name].pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            await watchdog.check_once()
            async with asyncio.timeout(120):
                while watchdog.status()[name]["restarts"] != 1:
                    await asyncio.sleep(0.1)
                    await watchdog.check_once()
            assert watchdog.status()[name] == {"status": "up", "restarts": 1, "last_error": None}
            assert children[name].pid not in (None, pid)
        assert client.get("survives-kill") == b"yes"
        client.close()
        temporal = await Client.connect(endpoints.temporal_address)
        await temporal.service_client.check_health()
        engine = sa.create_engine(endpoints.database_url)
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT 1")) == 1
        engine.dispose()
    finally:
        services.stop()
