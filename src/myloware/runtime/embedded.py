"""Start and stop the infrastructure MyloWare needs: PostgreSQL, Redis and Temporal.

Each service is embedded (a real server started from a PyPI wheel, data under
``Settings.data_dir``) unless its URL is set in Settings, in which case we only check that it
answers. The three start in parallel threads; ``stop()`` stops what was started in reverse
order and never leaves a child behind. Layout of the data folder::

    <data_dir>/postgres/            PGDATA (server log: postgres/log, socket inside)
    <data_dir>/redis/               redis.conf, append-only file, redis.pid
    <data_dir>/temporal/temporal.db Temporal dev-server state (SQLite, WAL)
    <data_dir>/logs/                redis.log, temporal.log
    <data_dir>/.embedded.lock       flock held while the services run

Usage::

    with EmbeddedServices(settings) as endpoints:
        engine = create_engine(endpoints.database_url)
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import structlog

from myloware.errors import StartupError
from myloware.runtime._lock import DataDirLock
from myloware.runtime._postgres import EmbeddedPostgres
from myloware.runtime._probe import describe_namespace, probe_postgres, probe_redis
from myloware.runtime._process import ensure_writable_dir, pick_free_ports
from myloware.runtime._redis import EmbeddedRedis
from myloware.runtime._temporal import EmbeddedTemporal
from myloware.settings import Settings

__all__ = ["EmbeddedServices", "ServiceEndpoints"]

DATABASE_NAME = "myloware"
EXTERNAL_PROBE_TIMEOUT_S = 5.0

log = structlog.get_logger(__name__)


def isolated_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a private embedded stack under ``data_dir``: every service embedded, on
    free ports, no Temporal UI (tests and benchmarks run several side by side)."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": None,
        "redis_url": None,
        "temporal_address": None,
        "redis_port": 0,
        "temporal_port": 0,
        "temporal_ui_port": 0,
        "temporal_ui": False,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass(frozen=True, slots=True)
class ServiceEndpoints:
    """Where the services answer, and which of them this process started."""

    database_url: str
    redis_url: str
    temporal_address: str
    temporal_ui_url: str | None
    embedded_database: bool
    embedded_redis: bool
    embedded_temporal: bool
    startup_seconds: float


class EmbeddedServices:
    """Owns the embedded servers for one Settings; usable as a context manager."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        data = settings.data_path
        self._lock = DataDirLock(data / ".embedded.lock")
        self._postgres = (
            None
            if settings.database_url
            else EmbeddedPostgres(data / "postgres", database=DATABASE_NAME)
        )
        self._redis: EmbeddedRedis | None = None
        self._temporal: EmbeddedTemporal | None = None
        self._endpoints: ServiceEndpoints | None = None

    @property
    def endpoints(self) -> ServiceEndpoints | None:
        """The endpoints of the last successful ``start()``, None while stopped."""
        return self._endpoints

    def start(self) -> ServiceEndpoints:
        """Start the embedded services and check the external ones, all in parallel."""
        if self._endpoints is not None:
            return self._endpoints
        began = time.monotonic()
        if self.settings.embedded:
            ensure_writable_dir(self.settings.data_path)
            ensure_writable_dir(self.settings.data_path / "logs", what="log dir")
            self._lock.acquire()
        try:
            self._build_children()
            self._run_parallel(self._start_tasks())
        except BaseException:
            self.stop()
            raise
        self._endpoints = self._collect_endpoints(time.monotonic() - began)
        atexit.register(self.stop)
        log.info(
            "services_ready",
            startup_seconds=round(self._endpoints.startup_seconds, 2),
            embedded=[name for name, child in self._children() if child is not None],
        )
        return self._endpoints

    def stop(self) -> None:
        """Stop what this object started, in reverse order; safe to call repeatedly."""
        for name, child in reversed(self._children()):
            if child is None or not child.running:
                continue
            try:
                child.stop()
            except Exception as exc:  # keep stopping the others whatever happens
                log.warning("service_stop_failed", service=name, error=str(exc))
        self._lock.release()
        self._endpoints = None
        atexit.unregister(self.stop)

    def supervised(self) -> list[tuple[str, EmbeddedPostgres | EmbeddedRedis | EmbeddedTemporal]]:
        """The servers this object started, by name: what ``myloware up`` watches."""
        return [(name, child) for name, child in self._children() if child is not None]

    def stop_redis(self) -> None:
        """Stop only the embedded Redis (for example to prove health checks notice)."""
        self._embedded_redis().stop()

    def start_redis(self) -> str:
        """Start the embedded Redis again on the same port and data; return its URL."""
        return self._embedded_redis().start()

    def restart_postgres(self) -> str:
        """Stop the embedded PostgreSQL and start it again on the same data (a database
        restart mid-run, for tests); return its URL."""
        if self._postgres is None:
            raise StartupError("PostgreSQL is not embedded here")
        self._postgres.stop()
        return self._postgres.start()

    def __enter__(self) -> ServiceEndpoints:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _children(
        self,
    ) -> list[tuple[str, EmbeddedPostgres | EmbeddedRedis | EmbeddedTemporal | None]]:
        return [("postgres", self._postgres), ("redis", self._redis), ("temporal", self._temporal)]

    def _embedded_redis(self) -> EmbeddedRedis:
        if self._redis is None:
            raise StartupError(
                "Redis is not embedded here (MYLOWARE_REDIS_URL is set or not started)"
            )
        return self._redis

    def _build_children(self) -> None:
        """Create the Redis and Temporal servers once, choosing free ports where asked to."""
        s, data = self.settings, self.settings.data_path
        if self._redis is None and not s.redis_url:
            port = s.redis_port or pick_free_ports(1)[0]
            self._redis = EmbeddedRedis(
                data / "redis", port=port, log_path=data / "logs" / "redis.log"
            )
        if self._temporal is None and not s.temporal_address:
            free = pick_free_ports(2)
            self._temporal = EmbeddedTemporal(
                data / "temporal",
                port=s.temporal_port or free[0],
                ui_port=(s.temporal_ui_port or free[1]) if s.temporal_ui else None,
                namespace=s.temporal_namespace,
                log_path=data / "logs" / "temporal.log",
            )

    def _start_tasks(self) -> dict[str, Callable[[threading.Event], object]]:
        s = self.settings
        timeout = EXTERNAL_PROBE_TIMEOUT_S
        tasks: dict[str, Callable[[threading.Event], object]] = {}
        if self._postgres is not None:
            postgres = self._postgres
            tasks["PostgreSQL"] = lambda _cancelled: postgres.start()
        elif s.database_url:
            url = s.database_url
            tasks["PostgreSQL"] = lambda _cancelled: probe_postgres(url, timeout=timeout)
        if self._redis is not None:
            tasks["Redis"] = self._redis.start
        elif s.redis_url:
            redis_url = s.redis_url
            tasks["Redis"] = lambda _cancelled: probe_redis(redis_url, timeout=timeout)
        if self._temporal is not None:
            tasks["Temporal"] = self._temporal.start
        elif s.temporal_address:
            address, namespace = s.temporal_address, s.temporal_namespace
            tasks["Temporal"] = lambda _cancelled: describe_namespace(
                address, namespace, timeout=timeout
            )
        return tasks

    @staticmethod
    def _run_parallel(tasks: dict[str, Callable[[threading.Event], object]]) -> None:
        """Run every task in its own thread; raise the first failure once all have finished."""
        cancelled = threading.Event()
        with ThreadPoolExecutor(
            max_workers=len(tasks), thread_name_prefix="myloware-start"
        ) as pool:
            futures: dict[Future[object], str] = {
                pool.submit(task, cancelled): name for name, task in tasks.items()
            }
            try:
                wait(futures)
            except BaseException:  # Ctrl-C while waiting: let the threads give up quickly
                cancelled.set()
                raise
        errors = [(name, f.exception()) for f, name in futures.items() if f.exception() is not None]
        if not errors:
            return
        name, first = errors[0]
        for other_name, other in errors[1:]:
            log.warning("service_start_failed", service=other_name, error=str(other))
        if isinstance(first, StartupError):
            raise first
        raise StartupError(f"{name} failed to start: {first!r}") from first

    def _collect_endpoints(self, seconds: float) -> ServiceEndpoints:
        s = self.settings
        return ServiceEndpoints(
            database_url=self._postgres.url if self._postgres else str(s.database_url),
            redis_url=self._redis.url if self._redis else str(s.redis_url),
            temporal_address=self._temporal.address if self._temporal else str(s.temporal_address),
            temporal_ui_url=self._temporal.ui_url if self._temporal else None,
            embedded_database=self._postgres is not None,
            embedded_redis=self._redis is not None,
            embedded_temporal=self._temporal is not None,
            startup_seconds=seconds,
        )
