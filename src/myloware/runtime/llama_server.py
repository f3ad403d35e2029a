"""The embedded model server process: llama.cpp's OpenAI-compatible server (``xllamacpp``).

``myloware up`` runs it as a child (:mod:`myloware.runtime._llama`)::

    python -m myloware.runtime.llama_server --model FILE.gguf --port 8081 --threads 2

It serves ``/v1/chat/completions`` (with the ``json_schema`` response format the providers
use), ``/v1/models`` and ``/health`` on loopback until SIGTERM or SIGINT. It lowers its own
CPU priority first (``--nice``): on a small machine the documents the rules settle keep
their CPU while a model call runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Sequence


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m myloware.runtime.llama_server")
    parser.add_argument("--model", required=True, help="the GGUF file")
    parser.add_argument("--alias", required=True, help="the model name clients use")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--context", type=int, default=4096, help="tokens per request")
    parser.add_argument("--parallel", type=int, default=1, help="requests served at once")
    parser.add_argument("--nice", type=int, default=10)
    # threads waiting for each other spin by default (llama.cpp's --poll 50): on a busy
    # machine that burns the CPU the other threads need; 0 makes them sleep instead
    parser.add_argument("--poll", type=int, default=0)
    return parser.parse_args(argv)


def check_port(host: str, port: int) -> None:
    """A StartupError naming ``port`` when it is taken: llama.cpp itself would only raise
    "Failed to init server, please check the input params"."""
    from myloware.errors import StartupError
    from myloware.runtime._process import port_is_free

    if not port_is_free(port, host):
        raise StartupError(
            f"cannot start the model server: port {port} on {host} is already in use; stop "
            "whatever listens there or pass --port (or MYLOWARE_LOCAL_MODEL_PORT)"
        )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    if args.nice:
        os.nice(args.nice)
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}
    params.hostnames = [args.host]
    params.port = args.port
    params.n_parallel = args.parallel
    params.n_ctx = args.context * args.parallel  # llama.cpp splits it between the slots
    for cpu in (params.cpuparams, params.cpuparams_batch):
        cpu.n_threads = args.threads
        cpu.poll = args.poll
    params.warmup = False  # the first document warms it; start-up stays short
    server = xllamacpp.Server(params)  # loads the model, then serves from its own threads
    print(f"model server listening on {server.listening_address}", flush=True)
    stopped.wait()
    print("model server stopping", flush=True)


if __name__ == "__main__":
    main()
