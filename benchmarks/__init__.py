"""MyloWare benchmarks: throughput, API latency, accuracy and footprint.

Run them all with ``python -m benchmarks.run_all [--smoke]`` (or one with
``python -m benchmarks.pipeline`` …). Each benchmark prints its figures, writes
``bench-results/<name>-<timestamp>.json`` and, in full mode, appends a row to
``docs/benchmarks.md``. Nothing here asserts on speed: targets are reported, not enforced.

Modules::

    pipeline      documents/second end to end, latency per document and per stage, CPU and
                  RSS per process, against a bare 7-activity Temporal workflow (bare.py)
    api_latency   read endpoints at fixed request rates, driven by locust from another process
    accuracy      field accuracy, seconds, tokens and cost per document (run_eval)
    footprint     venv size, start-up time of ``myloware up``, idle and loaded RSS
    faults        kill -9 each role and server (stop PostgreSQL) mid-burst: stuck, lost and
                  duplicated orders, time to recover (not in run_all: ~20 minutes)
"""
