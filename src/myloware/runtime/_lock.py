"""An exclusive ``flock`` on the data folder, so two supervisors never share one.

The kernel drops the lock when its holder dies, so a crashed run never leaves a stale lock:
the file may stay behind, the lock does not.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO

from myloware.errors import StartupError


class DataDirLock:
    """Held from ``acquire()`` to ``release()``; ``release()`` is idempotent."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        if self._file is not None:
            return
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StartupError(
                f"data dir {self.path.parent} is in use by another MyloWare process "
                f"(pid {holder}); stop it or set MYLOWARE_DATA_DIR to another folder",
                details={"path": str(self.path.parent), "pid": holder},
            ) from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
