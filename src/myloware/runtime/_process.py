"""Process and filesystem helpers shared by the embedded services.

Everything here is about child-process hygiene: ports checked before a launch, children in
their own process group (so Ctrl-C reaches only the supervisor), stopped with a grace period
and then killed as a group, leftovers of a crashed run found by what they are (name, working
directory, command line) rather than by pid files that may point at a recycled pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import psutil

from myloware.errors import StartupError

LOCALHOST = "127.0.0.1"


def pick_free_ports(count: int, host: str = LOCALHOST) -> list[int]:
    """Ask the kernel for ``count`` distinct free TCP ports (held together so they differ)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def port_is_free(port: int, host: str = LOCALHOST) -> bool:
    """True when nothing listens on ``host:port`` (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def ensure_port_free(port: int, *, service: str, setting: str, host: str = LOCALHOST) -> None:
    """Raise a StartupError naming the setting to change when ``port`` is taken."""
    if not port_is_free(port, host):
        raise StartupError(
            f"cannot start embedded {service}: port {port} on {host} is already in use; "
            f"stop whatever listens there or set {setting} to another port (0 picks a free one)",
            details={"service": service, "port": port, "setting": setting},
        )


def port_accepts(port: int, host: str = LOCALHOST, timeout: float = 0.2) -> bool:
    """True when a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_writable_dir(path: Path, *, what: str = "data dir") -> Path:
    """Create ``path`` if needed and prove we can write there, or raise StartupError."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise StartupError(
            f"{what} {path} is not writable: {exc.strerror or exc}; "
            "set MYLOWARE_DATA_DIR to a folder this user can write",
            details={"path": str(path)},
        ) from None
    return path


def log_tail(path: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of a log file, or a note that it is missing."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else f"(log {path} is empty)"


def spawn(
    argv: Sequence[str], *, log_path: Path, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session, output appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        try:
            return subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=None if env is None else dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise StartupError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None


def stop_popen(proc: subprocess.Popen[bytes], *, grace: float, sig: int = signal.SIGTERM) -> None:
    """Signal ``proc``, wait ``grace`` seconds, then kill its whole process group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    _kill_group(proc.pid)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


def stop_processes(procs: Sequence[psutil.Process], *, grace: float) -> None:
    """Terminate processes we did not spawn ourselves (leftovers), killing after ``grace``."""
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def find_processes(match: Callable[[psutil.Process], bool]) -> list[psutil.Process]:
    """Every process for which ``match`` holds; processes that vanish mid-scan are skipped."""
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if proc.pid != os.getpid() and match(proc):
                found.append(proc)
    return found


def cwd_is(proc: psutil.Process, directory: Path) -> bool:
    """True when ``proc`` runs with ``directory`` as its working directory."""
    try:
        return Path(proc.cwd()) == directory
    except (psutil.Error, OSError):
        return False


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float,
    failed: Callable[[], str | None],
    cancelled: threading.Event,
    what: str,
    interval: float = 0.05,
) -> None:
    """Poll ``ready`` until true; raise StartupError on ``failed()`` message, timeout or cancel."""
    deadline = time.monotonic() + timeout
    while not ready():
        problem = failed()
        if problem is not None:
            raise StartupError(problem)
        if cancelled.is_set():
            raise StartupError(f"start of {what} was cancelled")
        if time.monotonic() > deadline:
            raise StartupError(f"{what} did not become ready within {timeout:.0f} s")
        time.sleep(interval)


def exited_early(proc: subprocess.Popen[bytes], *, what: str, log_path: Path) -> str | None:
    """A message with the log tail when ``proc`` has exited, else None."""
    code = proc.poll()
    if code is None:
        return None
    return (
        f"{what} exited early (exit code {code}); last lines of {log_path}:\n{log_tail(log_path)}"
    )


def ancestors_not_traversable(path: Path) -> Iterator[Path]:
    """Existing ancestors of ``path`` that users other than the owner cannot enter."""
    for parent in path.parents:
        with contextlib.suppress(OSError):
            if not parent.stat().st_mode & 0o001:
                yield parent


class ChildServer:
    """What the embedded servers run as our own child process (Redis, Temporal) share:
    ``_proc`` set by their ``start``, cleared by their ``stop``."""

    _proc: subprocess.Popen[bytes] | None = None

    def start(self, cancelled: threading.Event | None = None) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._proc is not None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def alive(self) -> bool:
        """Started and its process still there (a dead child is reaped by asking)."""
        return self._proc is not None and self._proc.poll() is None

    def _launch(
        self,
        argv: Sequence[str],
        *,
        log_path: Path,
        cwd: Path,
        ready: Callable[[], bool],
        names: tuple[str, str],
        timeout: float,
        cancelled: threading.Event | None,
        env: Mapping[str, str] | None = None,
        interval: float = 0.05,
    ) -> None:
        """Run ``argv`` as this server's process and wait until ``ready()``; stopped again
        when it exits early, times out or the start is cancelled. ``names``: the program (in
        the early-exit message) and the service (in the others)."""
        self._proc = spawn(argv, log_path=log_path, cwd=cwd, env=env)
        proc = self._proc
        try:
            wait_until(
                ready,
                timeout=timeout,
                failed=lambda: exited_early(proc, what=names[0], log_path=log_path),
                cancelled=cancelled or threading.Event(),
                what=names[1],
                interval=interval,
            )
        except BaseException:
            self.stop()
            raise

    def restart(self) -> str:
        """Reap a dead server (or stop a live one) and start it again on the same port."""
        self.stop()
        return self.start()
