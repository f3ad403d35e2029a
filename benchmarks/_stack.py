"""A real MyloWare deployment for one benchmark run, every role in its own process.

:func:`running_stack` starts the embedded PostgreSQL, Redis and Temporal in a fresh folder under
/tmp (mode 755: as root, PostgreSQL runs as the ``pgserver`` user and must traverse it),
migrates and seeds, then runs ``python -m myloware.cli api`` (and ``relay``) as child processes
on loopback. :meth:`Stack.workers` adds ``myloware worker`` processes and waits until each of
them polls the task queue. Everything is stopped and removed on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from benchmarks._report import ROOT
from myloware.auth.tokens import issue_token
from myloware.runtime._process import spawn, stop_popen
from myloware.runtime.bootstrap import bootstrap
from myloware.runtime.embedded import EmbeddedServices, ServiceEndpoints, isolated_settings
from myloware.settings import Settings

LOOPBACK = "127.0.0.1"
READY_TIMEOUT_S = 90.0
STOP_GRACE_S = 15.0
CAPABILITIES = ("work_orders:read", "work_orders:write")


def free_port() -> int:
    from myloware.runtime._process import pick_free_ports

    return pick_free_ports(1)[0]


def make_workdir(prefix: str = "myloware-bench-") -> Path:
    """A fresh folder under /tmp that the ``pgserver`` system user can traverse."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(path, 0o755)
    return path


@dataclass
class Stack:
    """The running services and role processes, plus what a client needs to talk to them."""

    root: Path
    settings: Settings
    endpoints: ServiceEndpoints
    tenant_id: uuid.UUID
    api_port: int
    roles: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    services: EmbeddedServices | None = field(default=None, repr=False)
    #: MYLOWARE_* settings every role process gets on top of the stack's (e.g. a switch)
    role_env: dict[str, str] = field(default_factory=dict)
    _temporal: psutil.Process | None = field(default=None, repr=False)

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    @property
    def database_url(self) -> str:
        return self.endpoints.database_url

    def headers(self, *extra_capabilities: str) -> dict[str, str]:
        token = issue_token(
            self.settings,
            tenant_id=self.tenant_id,
            capabilities=(*CAPABILITIES, *extra_capabilities),
            subject="benchmark",
            ttl_seconds=24 * 3600,
        )
        return {"Authorization": f"Bearer {token}"}

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a role process: ours without MYLOWARE_*, then the stack's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MYLOWARE_")}
        env.update(
            MYLOWARE_DATA_DIR=str(self.root),
            MYLOWARE_DATABASE_URL=self.endpoints.database_url,
            MYLOWARE_REDIS_URL=self.endpoints.redis_url,
            MYLOWARE_TEMPORAL_ADDRESS=self.endpoints.temporal_address,
            MYLOWARE_TASK_QUEUE=self.settings.task_queue,
            MYLOWARE_API_HOST=LOOPBACK,
            MYLOWARE_API_PORT=str(self.api_port),
            MYLOWARE_RATE_LIMIT_PER_MINUTE="0",
            MYLOWARE_LOG_LEVEL=self.settings.log_level,
            MYLOWARE_TEMPORAL_UI="false",
            PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        )
        env.update(self.role_env)
        env.update(extra)
        return env

    def spawn(self, name: str, argv: Sequence[str], **env: str) -> subprocess.Popen[bytes]:
        """Start ``argv`` with the stack's environment, output to ``logs/<name>.log``."""
        proc = spawn(
            argv, log_path=self.root / "logs" / f"{name}.log", cwd=self.root, env=self.env(**env)
        )
        self.roles[name] = proc
        return proc

    def spawn_role(self, name: str, role: str) -> subprocess.Popen[bytes]:
        return self.spawn(name, [sys.executable, "-m", "myloware.cli", role])

    def dead_role(self) -> str | None:
        """Why the run cannot go on (a role process exited), or None while all are alive."""
        for name, proc in self.roles.items():
            if proc.poll() is not None:
                return (
                    f"{name} exited with code {proc.returncode}; its log: "
                    f"{self.root / 'logs' / f'{name}.log'}"
                )
        return None

    def stop_role(self, name: str) -> None:
        proc = self.roles.pop(name, None)
        if proc is not None:
            stop_popen(proc, grace=STOP_GRACE_S)

    @contextlib.contextmanager
    def workers(
        self, count: int, argv: Sequence[str] | None = None, *, task_queue: str | None = None
    ) -> Iterator[list[int]]:
        """``count`` worker processes polling a task queue; yields their pids.

        By default ``myloware worker`` on the stack's queue; ``argv`` runs another worker.
        """
        command = list(argv or [sys.executable, "-m", "myloware.cli", "worker"])
        names = [f"worker-{i + 1}" for i in range(count)]
        try:
            procs = [self.spawn(name, command) for name in names]
            asyncio.run(wait_for_pollers(self, procs, task_queue or self.settings.task_queue))
            yield [p.pid for p in procs]
        finally:
            for name in names:
                self.stop_role(name)

    def service_processes(self) -> dict[str, list[psutil.Process]]:
        """The embedded servers' processes: temporal, postgres (with backends), redis."""
        found: dict[str, list[psutil.Process]] = {"temporal": [], "postgres": [], "redis": []}
        with contextlib.suppress(OSError, ValueError, psutil.Error):
            pid = int((self.root / "postgres" / "postmaster.pid").read_text().split()[0])
            master = psutil.Process(pid)
            found["postgres"] = [master, *master.children()]
        with contextlib.suppress(OSError, ValueError, psutil.Error):
            pid = int((self.root / "redis" / "redis.pid").read_text().split()[0])
            found["redis"] = [psutil.Process(pid)]
        if self._temporal is None or not self._temporal.is_running():
            db = str(self.root / "temporal" / "temporal.db")
            self._temporal = next(
                (
                    p
                    for p in psutil.process_iter(["name", "cmdline"])
                    if p.info["name"] == "temporal" and db in (p.info["cmdline"] or [])
                ),
                None,
            )
        found["temporal"] = [self._temporal] if self._temporal else []
        return found

    def role_processes(self) -> dict[str, list[psutil.Process]]:
        """Our role processes (Python, no children) by name."""
        groups: dict[str, list[psutil.Process]] = {}
        for name, popen in list(self.roles.items()):
            if popen.poll() is None:
                with contextlib.suppress(psutil.Error):
                    groups[name] = [psutil.Process(popen.pid)]
        return groups

    def all_processes(self) -> dict[str, list[psutil.Process]]:
        return {**self.service_processes(), **self.role_processes()}


async def wait_for_pollers(
    stack: Stack, procs: Sequence[subprocess.Popen[bytes]], task_queue: str
) -> None:
    """Block until every process polls ``task_queue`` for workflow tasks (identity pid@host)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
    from temporalio.client import Client

    client = await Client.connect(
        stack.endpoints.temporal_address, namespace=stack.settings.temporal_namespace
    )
    request = DescribeTaskQueueRequest(
        namespace=stack.settings.temporal_namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    wanted = {str(p.pid) for p in procs}
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            raise RuntimeError(
                f"worker pid {dead[0].pid} exited with code {dead[0].returncode}; "
                f"see the logs under {stack.root / 'logs'}"
            )
        response = await client.workflow_service.describe_task_queue(request)
        polling = {p.identity.split("@", 1)[0] for p in response.pollers}
        if wanted <= polling:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers {sorted(wanted - polling)} never polled {task_queue}")
        await asyncio.sleep(0.2)


def wait_healthy(url: str, proc: subprocess.Popen[bytes] | None, timeout: float) -> float:
    """Poll ``url``/health until it answers 200; return the seconds it took."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before {url} was up")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return time.monotonic() - began
        time.sleep(0.1)
    raise RuntimeError(f"{url}/health did not answer 200 within {timeout:.0f} s")


def exit_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt so a killed benchmark still stops its servers."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def stack_settings(root: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "rate_limit_per_minute": 0,
        "log_level": "INFO",
        "task_queue": "myloware-bench",
    }
    return isolated_settings(root, **(base | overrides))


@contextlib.contextmanager
def running_stack(
    *,
    api: bool = True,
    relay: bool = True,
    keep: bool = False,
    role_env: dict[str, str] | None = None,
    **overrides: object,
) -> Iterator[Stack]:
    """Embedded services + migrations + (optionally) the API and relay processes;
    ``role_env`` (``MYLOWARE_*`` variables) goes to every role process."""
    root = make_workdir()
    settings = stack_settings(root, **overrides)
    services = EmbeddedServices(settings)
    failed = True
    try:
        endpoints = services.start()
        tenant_id = asyncio.run(bootstrap(endpoints.database_url))
        stack = Stack(
            root,
            settings,
            endpoints,
            tenant_id,
            api_port=free_port(),
            services=services,
            role_env=dict(role_env or {}),
        )
        try:
            if api:
                proc = stack.spawn_role("api", "api")
                wait_healthy(stack.api_url, proc, READY_TIMEOUT_S)
            if relay:
                stack.spawn_role("relay", "relay")
            yield stack
            failed = False
        finally:
            for name in reversed(list(stack.roles)):
                stack.stop_role(name)
    finally:
        services.stop()
        if failed:  # the logs explain the failure: keep them
            print(f"benchmark failed; logs and data kept under {root}", file=sys.stderr)
        elif not keep:
            shutil.rmtree(root, ignore_errors=True)
