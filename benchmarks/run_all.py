"""Run every benchmark: ``python -m benchmarks.run_all [--smoke] [--only pipeline,accuracy]``.

Full mode takes a while (about 15 minutes on 2 cores) and appends one row per benchmark to
``docs/benchmarks.md``; ``--smoke`` runs each in seconds with tiny inputs and writes only the
JSON results. Results go to ``bench-results/`` (git-ignored) unless ``--results-dir`` says.
A benchmark that fails is reported and the others still run; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from pathlib import Path
from typing import Any

from benchmarks import _report
from benchmarks._stack import exit_on_sigterm

#: each benchmark's module and the class of its full run's settings (its ``SMOKE`` is the
#: smoke run's), in the order a whole run takes them
BENCHMARKS: dict[str, str] = {
    "memory": "MemoryConfig",  # first: its memory figure is the model's, not what others left
    "pipeline": "PipelineConfig",
    "api_latency": "ApiConfig",
    "accuracy": "AccuracyConfig",
    "footprint": "FootprintConfig",
    "signin": "SigninConfig",
    "retention": "RetentionConfig",
    "agent_overhead": "AgentConfig",
    "agent_workflow": "AgentWorkflowConfig",
    "scale": "ScaleConfig",
    "model_mix": "MixConfig",  # last: the model takes a core for minutes
}


def run_one(name: str, smoke: bool) -> tuple[dict[str, Any], str]:
    """Run benchmark ``name``; its module is imported only now (together the modules take
    seconds to import, which a ``--only`` run of one would pay for nothing)."""
    module = importlib.import_module(f"benchmarks.{name}")
    config = module.SMOKE if smoke else getattr(module, BENCHMARKS[name])()
    result: dict[str, Any] = module.run(config, smoke=smoke)
    if hasattr(module, "print_details"):
        module.print_details(result)
    return result, str(module.figures(result))


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
            result, figures = run_one(name, args.smoke)
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
