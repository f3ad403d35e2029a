"""Run every benchmark: ``python -m benchmarks.run_all [--smoke] [--only pipeline,accuracy]``.

Full mode takes a while (about 15 minutes on 2 cores) and appends one row per benchmark to
``docs/benchmarks.md``; ``--smoke`` runs each in seconds with tiny inputs and writes only the
JSON results. Results go to ``bench-results/`` (git-ignored) unless ``--results-dir`` says.
A benchmark that fails is reported and the others still run; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import (
    _report,
    accuracy,
    agent_overhead,
    agent_workflow,
    api_latency,
    footprint,
    memory,
    model_mix,
    pipeline,
    retention,
    scale,
    signin,
)
from benchmarks._stack import exit_on_sigterm

Runner = Callable[[bool], tuple[dict[str, Any], str]]


def _pipeline(smoke: bool) -> tuple[dict[str, Any], str]:
    result = pipeline.run(pipeline.SMOKE if smoke else pipeline.PipelineConfig(), smoke=smoke)
    pipeline.print_details(result)
    return result, pipeline.figures(result)


def _api_latency(smoke: bool) -> tuple[dict[str, Any], str]:
    config = api_latency.SMOKE if smoke else api_latency.ApiConfig()
    result = api_latency.run(config, smoke=smoke)
    return result, api_latency.figures(result)


def _accuracy(smoke: bool) -> tuple[dict[str, Any], str]:
    config = accuracy.SMOKE if smoke else accuracy.AccuracyConfig()
    result = accuracy.run(config, smoke=smoke)
    return result, accuracy.figures(result)


def _footprint(smoke: bool) -> tuple[dict[str, Any], str]:
    config = footprint.SMOKE if smoke else footprint.FootprintConfig()
    result = footprint.run(config, smoke=smoke)
    return result, footprint.figures(result)


def _memory(smoke: bool) -> tuple[dict[str, Any], str]:
    result = memory.run(memory.SMOKE if smoke else memory.MemoryConfig(), smoke=smoke)
    return result, memory.figures(result)


def _signin(smoke: bool) -> tuple[dict[str, Any], str]:
    result = signin.run(signin.SMOKE if smoke else signin.SigninConfig(), smoke=smoke)
    return result, signin.figures(result)


def _model_mix(smoke: bool) -> tuple[dict[str, Any], str]:
    result = model_mix.run(model_mix.SMOKE if smoke else model_mix.MixConfig(), smoke=smoke)
    return result, model_mix.figures(result)


def _agent_overhead(smoke: bool) -> tuple[dict[str, Any], str]:
    config = agent_overhead.SMOKE if smoke else agent_overhead.AgentConfig()
    result = agent_overhead.run(config, smoke=smoke)
    return result, agent_overhead.figures(result)


def _agent_workflow(smoke: bool) -> tuple[dict[str, Any], str]:
    config = agent_workflow.SMOKE if smoke else agent_workflow.AgentWorkflowConfig()
    result = agent_workflow.run(config, smoke=smoke)
    return result, agent_workflow.figures(result)


def _retention(smoke: bool) -> tuple[dict[str, Any], str]:
    config = retention.SMOKE if smoke else retention.RetentionConfig()
    result = retention.run(config, smoke=smoke)
    return result, retention.figures(result)


def _scale(smoke: bool) -> tuple[dict[str, Any], str]:
    result = scale.run(scale.SMOKE if smoke else scale.ScaleConfig(), smoke=smoke)
    return result, scale.figures(result)


BENCHMARKS: dict[str, Runner] = {
    "memory": _memory,  # first: its memory figure is the model's, not what others left behind
    "pipeline": _pipeline,
    "api_latency": _api_latency,
    "accuracy": _accuracy,
    "footprint": _footprint,
    "signin": _signin,
    "retention": _retention,
    "agent_overhead": _agent_overhead,
    "agent_workflow": _agent_workflow,
    "scale": _scale,
    "model_mix": _model_mix,  # last: the model takes a core for minutes
}


#: full runs only when named (--only): scale loads 100k documents, tens of minutes
ON_REQUEST = frozenset({"scale"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, seconds each")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    parser.add_argument("--results-dir", type=Path, help="where the JSON results go")
    parser.add_argument("--no-docs", action="store_true", help="never append to the docs table")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    everything = [n for n in BENCHMARKS if n not in ON_REQUEST or args.smoke]
    names = args.only.split(",") if args.only else everything
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    failed = []
    for name in names:
        print(f"\n##### {name}{' (smoke)' if args.smoke else ''}", flush=True)
        try:
            result, figures = BENCHMARKS[name](args.smoke)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        _report.record(result, figures, results_dir=args.results_dir, append_docs=not args.no_docs)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
