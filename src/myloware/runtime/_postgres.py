"""Embedded PostgreSQL 16 + pgvector, via the ``pgserver`` wheel.

``pgserver`` runs ``initdb`` and ``pg_ctl start`` for us (as the system user ``pgserver`` when
we are root) and listens on a Unix socket only. We do not rely on its exit-time clean-up
(``atexit`` hook keyed on a pid list stored in the data folder, which a crashed run leaves
stale): the server is asked for with ``cleanup_mode=None`` and stopped here with
``pg_ctl stop -m fast``. Before a start we remove what a crashed run leaves behind — the
pid list, a ``postmaster.pid`` whose pid is dead or recycled by another program, orphaned
backends — so the next start never trips over them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import warnings
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

from myloware.errors import StartupError
from myloware.runtime._process import (
    ancestors_not_traversable,
    cwd_is,
    find_processes,
    log_tail,
    stop_processes,
)

with warnings.catch_warnings():
    # pgserver computes a runtime dir at import and warns when XDG_RUNTIME_DIR is unset.
    warnings.simplefilter("ignore")
    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.postgres_server import PostgresServer, get_server

SYSTEM_USER_AS_ROOT = "pgserver"
STOP_TIMEOUT_S = 30
START_TIMEOUT_S = 120


class EmbeddedPostgres:
    """One PostgreSQL server for one data folder, with the ``vector`` extension ready."""

    def __init__(self, pgdata: Path, *, database: str = "myloware") -> None:
        self.pgdata = pgdata
        self.database = database
        self.log_path = pgdata / "log"
        self._server: PostgresServer | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def pid(self) -> int | None:
        """The postmaster's process id, None while stopped."""
        if self._server is None:
            return None
        with contextlib.suppress(OSError, ValueError):
            return int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        return None

    @property
    def alive(self) -> bool:
        """Started and its postmaster still serving this data folder."""
        return self._server is not None and _live_postmaster(self.pgdata)

    def restart(self) -> str:
        """Clear what a dead server left (or stop a live one) and start it again."""
        self.stop()
        return self.start()

    def start(self) -> str:
        """Start (or adopt) the server, create the database and extension; return its URL."""
        if self._server is not None:
            return self.url
        _check_reachable_by_system_user(self.pgdata)
        _clear_crash_leftovers(self.pgdata)
        self._server = _get_server(self.pgdata)
        try:
            _bootstrap(self._server, self.database)
        except psycopg.Error as exc:
            self.stop()
            raise StartupError(
                f"embedded PostgreSQL started but could not be set up: {exc}"
            ) from None
        return self.url

    @property
    def url(self) -> str:
        """SQLAlchemy URL (psycopg 3 driver) for the application database over the socket."""
        if self._server is None:
            raise StartupError("embedded PostgreSQL is not running")
        socket_dir = self._server.get_postmaster_info().socket_dir
        return f"postgresql+psycopg://postgres@/{self.database}?host={socket_dir}"

    def stop(self) -> None:
        """``pg_ctl stop -m fast``; kill the postmaster and its backends if that fails."""
        server, self._server = self._server, None
        if server is None:
            return
        info = server.get_postmaster_info()
        try:
            subprocess.run(
                [str(_bin("pg_ctl")), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"],
                check=True,
                capture_output=True,
                timeout=STOP_TIMEOUT_S,
                user=server.system_user,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
            leftovers: list[psutil.Process] = [info.process] if info.process else []
            stop_processes([*leftovers, *_backends(self.pgdata)], grace=5)
        with contextlib.suppress(Exception):
            server.cleanup()  # only drops our pid from pgserver's list (cleanup_mode=None)


def _bin(name: str) -> Path:
    return Path(POSTGRES_BIN_PATH) / name


def _get_server(pgdata: Path) -> PostgresServer:
    """pgserver's ``get_server``, with its failures turned into StartupError and cleaned up."""
    try:
        return get_server(pgdata, cleanup_mode=None)
    except subprocess.TimeoutExpired:
        # pgserver gives pg_ctl 10 s; crash recovery of a large database may take longer.
        PostgresServer._instances.pop(pgdata, None)
        if _wait_until_ready(pgdata, START_TIMEOUT_S):
            return _get_server(pgdata)  # adopts the server that is now ready
        reason = f"not ready within {START_TIMEOUT_S} s"
    except (subprocess.SubprocessError, AssertionError, OSError, RuntimeError) as exc:
        reason = str(exc)
    PostgresServer._instances.pop(pgdata, None)
    stop_processes(_backends(pgdata), grace=5)  # a postmaster that outlived pg_ctl
    raise StartupError(
        f"embedded PostgreSQL failed to start ({reason}); last lines of "
        f"{pgdata / 'log'}:\n{log_tail(pgdata / 'log')}"
    )


def _wait_until_ready(pgdata: Path, timeout: float) -> bool:
    """Wait for ``postmaster.pid`` to report a live server in state ``ready``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _live_postmaster(pgdata):
            return False
        with contextlib.suppress(OSError):
            if (pgdata / "postmaster.pid").read_text().split()[-1:] == ["ready"]:
                return True
        time.sleep(0.2)
    return False


def _check_reachable_by_system_user(pgdata: Path) -> None:
    """As root, postgres runs as ``pgserver``: every ancestor of the data dir must let it in."""
    if os.geteuid() != 0:
        return
    blocked = list(ancestors_not_traversable(pgdata))
    if blocked:
        raise StartupError(
            f"data dir {pgdata.parent} lies inside {blocked[0]}, which other users cannot "
            f"enter; as root, embedded PostgreSQL runs as the system user "
            f"'{SYSTEM_USER_AS_ROOT}' and needs to reach it. Set MYLOWARE_DATA_DIR to a "
            "folder outside it (for example under /var/lib or /tmp)",
            details={"path": str(pgdata.parent), "blocked_by": str(blocked[0])},
        )


def _backends(pgdata: Path) -> list[psutil.Process]:
    """Postgres processes working in ``pgdata`` (postmaster and its backends chdir there)."""
    return find_processes(lambda p: p.name() == "postgres" and cwd_is(p, pgdata))


def _live_postmaster(pgdata: Path) -> bool:
    """True when ``postmaster.pid`` names a running postgres serving this data folder."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        proc = psutil.Process(pid)
        return proc.name() == "postgres" and cwd_is(proc, pgdata)
    except (OSError, ValueError, psutil.Error):
        return False


def _clear_crash_leftovers(pgdata: Path) -> None:
    """Remove stale locks and orphaned backends so pgserver starts (or adopts) cleanly."""
    if not pgdata.is_dir():
        return
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)
    PostgresServer._instances.pop(pgdata, None)
    if _live_postmaster(pgdata):
        return  # a server left by a crashed supervisor: pgserver adopts it, we stop it later
    stop_processes(_backends(pgdata), grace=5)
    (pgdata / "postmaster.pid").unlink(missing_ok=True)
    for stale in pgdata.glob(".s.PGSQL.*"):
        stale.unlink(missing_ok=True)


def _bootstrap(server: PostgresServer, database: str) -> None:
    """Create ``database`` if missing and the ``vector`` extension inside it."""
    with psycopg.connect(server.get_uri(), autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if exists.fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    with psycopg.connect(server.get_uri(database), autocommit=True, connect_timeout=10) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
