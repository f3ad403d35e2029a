"""Throughput of the whole pipeline, next to a bare Temporal workflow on the same server.

For each worker count (1, 2 and 4 ``myloware worker`` processes; 1 in smoke mode) N documents
of the dataset mix are submitted at once over HTTP to the API process; the run ends when the
last order settles. Figures: documents/second from first submit to last completion, p50/p95
latency per document and per stage, and CPU seconds / peak memory of every process (API, relay,
workers, Temporal, PostgreSQL, Redis, this driver). With the same worker count the bare
7-activity workflow (:mod:`benchmarks.bare`, regular and local activities) runs N times on the
same Temporal server. Last, an offered-load run submits 5 documents/s for 20 s, open loop.

Targets (reported, never asserted): ≥ 10 docs/s with 2 workers on 2 cores (rules extractor), no
slower than the bare regular-activity workflow, p95 < 2 s at 5 docs/s.

``python -m benchmarks.pipeline [--smoke] [--documents N] [--workers 1,2,4]``
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import psutil

from benchmarks import _profile, _report
from benchmarks._documents import Document, document_mix, mix_source
from benchmarks._platform import (
    AUTO_APPROVE_POLICY,
    collect,
    cpu_per_unit,
    history_summary,
    memory_caught_up,
    publish_policy,
    settle,
    submit_burst,
    submit_paced,
)
from benchmarks._sampler import ProcessSampler, others, totals
from benchmarks._stack import Stack, exit_on_sigterm, running_stack
from benchmarks.bare import run_bare
from myloware.db.engine import create_engine

SETTLE_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class PipelineConfig:
    documents: int = 200
    worker_counts: tuple[int, ...] = (1, 2, 4)
    warmup: int = 8
    offered_rate: float = 5.0
    offered_seconds: float = 20.0
    offered_workers: int = 1
    #: learning from approvals on/off (MYLOWARE_MEMORY_LEARNING); None: the settings default.
    #: The warm-up documents are auto-approved, so the burst runs with approvals present.
    learning: bool | None = None


SMOKE = PipelineConfig(
    documents=6, worker_counts=(1,), warmup=2, offered_rate=5.0, offered_seconds=2.0
)


def _groups(stack: Stack) -> dict[str, list[psutil.Process]]:
    return {**stack.all_processes(), "driver": [psutil.Process()]}


async def _platform_burst(stack: Stack, docs: list[Document], warmup: int) -> dict[str, Any]:
    engine = create_engine(stack.database_url, pool_size=2)
    headers = stack.headers()
    try:
        warm = await submit_burst(stack.api_url, headers, docs[:warmup])
        await settle(engine, warm, limit_s=SETTLE_TIMEOUT_S, alive=stack.dead_role)
        # the burst, and then until the relay's memory indexer has embedded it (it waits
        # while documents keep arriving): the whole cost of a document, embedding included
        with ProcessSampler(lambda: _groups(stack), interval=2.0) as whole:
            with ProcessSampler(lambda: _groups(stack)) as sampler:
                subs = await submit_burst(stack.api_url, headers, docs)
                await settle(engine, subs, limit_s=SETTLE_TIMEOUT_S, alive=stack.dead_role)
            # how long the indexer takes, and nothing measured next (offered load, the bare
            # workflow) pays for it
            figures: dict[str, Any] = {"memory_indexed_after_s": await memory_caught_up(engine)}
        figures |= await collect(engine, subs)
        figures["temporal_history"] = await _histories(stack, subs[0].order_id)
    finally:
        await engine.dispose()
    figures["processes"] = sampler.summary()
    figures["totals"] = totals(figures["processes"])
    figures["other_processes"] = others(sampler, figures["processes"])
    figures["cpu_ms_per_document"] = cpu_per_unit(figures["processes"], len(docs))
    figures["cpu_ms_per_document_with_indexing"] = cpu_per_unit(
        with_indexing(figures["processes"], whole.summary()), len(docs)
    )
    return figures


#: who works on a burst's documents once it is over: the relay's memory indexer, and
#: PostgreSQL storing (and HNSW-indexing) the embeddings
INDEXING = ("relay", "postgres")


def with_indexing(
    burst: dict[str, dict[str, Any]], whole: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The burst's CPU by process group, plus what the relay and PostgreSQL spent after it
    until every document was embedded. The indexer defers its work while documents arrive
    (learning computes an embedding in the worker instead, for the indexer's sake): CPU per
    document compares fairly only with it. The other processes' idle polling while the
    indexer catches up is time, not documents, and is left out."""
    out = {name: dict(figures) for name, figures in burst.items()}
    for name in INDEXING:
        if name in out and name in whole:
            after = whole[name]["cpu_seconds"] - burst[name]["cpu_seconds"]
            out[name]["cpu_seconds"] = round(burst[name]["cpu_seconds"] + max(after, 0.0), 3)
    return out


async def _histories(stack: Stack, order_id: uuid.UUID) -> dict[str, Any]:
    """The one workflow a single-document order runs (items run inline), as Temporal recorded it."""
    address, namespace = stack.endpoints.temporal_address, stack.settings.temporal_namespace
    return {
        "WorkOrderWorkflow": await history_summary(address, namespace, f"work-order-{order_id}"),
    }


async def _offered(stack: Stack, docs: list[Document], rate: float) -> dict[str, Any]:
    engine = create_engine(stack.database_url, pool_size=2)
    headers = stack.headers()
    try:
        with ProcessSampler(lambda: _groups(stack)) as sampler:
            subs = await submit_paced(stack.api_url, headers, docs, rate=rate)
            await settle(engine, subs, limit_s=SETTLE_TIMEOUT_S, alive=stack.dead_role)
        figures = await collect(engine, subs)
        figures["memory_indexed_after_s"] = await memory_caught_up(engine)
    finally:
        await engine.dispose()
    figures["offered_rate"] = rate
    figures["processes"] = sampler.summary()
    figures["totals"] = totals(figures["processes"])
    figures["other_processes"] = others(sampler, figures["processes"])
    return figures


def _bare(stack: Stack, workers: int, count: int) -> dict[str, Any]:
    queue = f"bare-{workers}w"
    address = stack.endpoints.temporal_address
    argv = [sys.executable, "-m", "benchmarks.bare", "--address", address, "--task-queue", queue]
    out: dict[str, Any] = {}
    with stack.workers(workers, argv, task_queue=queue):
        for variant in ("regular", "local"):
            asyncio.run(run_bare(address, queue, min(count, 8), variant))  # warm-up
            with ProcessSampler(lambda: _groups(stack)) as sampler:
                figures = asyncio.run(run_bare(address, queue, count, variant))
            figures["processes"] = sampler.summary()
            figures["totals"] = totals(figures["processes"])
            figures["other_processes"] = others(sampler, figures["processes"])
            figures["cpu_ms_per_workflow"] = cpu_per_unit(figures["processes"], count)
            out[variant] = figures
    return out


def _targets(result: dict[str, Any]) -> dict[str, Any]:
    platform, bare = result["platform"], result["bare"]
    workers = "2" if "2" in platform else min(platform, key=int)  # smoke runs have 1 worker
    two = platform[workers]
    regular = (bare.get("2") or bare[min(bare, key=int)])["regular"]
    p95 = result["offered_load"]["latency_s"]["p95"]
    failed = sum(int(run["failed"]) for run in platform.values())
    failed += int(result["offered_load"]["failed"])
    return {
        "failed_documents": failed,  # any failure makes every target unmet
        "workers_measured": int(workers),  # the "_2_workers" figures come from this many
        "docs_per_second_2_workers": two["docs_per_second"],
        "docs_per_second_2_workers_target": 10.0,
        "docs_per_second_2_workers_met": two["docs_per_second"] >= 10.0 and not failed,
        "platform_over_bare_regular": round(
            two["docs_per_second"] / regular["workflows_per_second"], 3
        )
        if regular["workflows_per_second"]
        else None,
        "not_slower_than_bare_regular": two["docs_per_second"] >= regular["workflows_per_second"],
        "offered_p95_s": p95,
        "offered_p95_target_s": 2.0,
        "offered_p95_met": p95 < 2.0 and not failed,
    }


def run(config: PipelineConfig, *, smoke: bool, profile_dir: Path | None = None) -> dict[str, Any]:
    """Run every measurement on one fresh stack; return the result document."""
    docs = document_mix(config.documents)
    offered_docs = document_mix(max(1, round(config.offered_rate * config.offered_seconds)))
    result: dict[str, Any] = {
        "meta": _report.meta("pipeline", smoke=smoke),
        "config": asdict(config),
        "mix": mix_source(docs),
        "extractor": "rules",
        "platform": {},
        "bare": {},
    }
    role_env = {}
    if config.learning is not None:
        role_env["MYLOWARE_MEMORY_LEARNING"] = str(config.learning).lower()
    with running_stack(role_env=role_env) as stack:
        publish_policy(stack.api_url, stack.headers("admin"), AUTO_APPROVE_POLICY)
        for workers in config.worker_counts:
            with stack.workers(workers):
                result["platform"][str(workers)] = asyncio.run(
                    _platform_burst(stack, docs, config.warmup)
                )
                if workers == config.offered_workers:
                    result["offered_load"] = asyncio.run(
                        _offered(stack, offered_docs, config.offered_rate)
                    )
            result["bare"][str(workers)] = _bare(stack, workers, config.documents)
        if "offered_load" not in result:
            with stack.workers(config.offered_workers):
                result["offered_load"] = asyncio.run(
                    _offered(stack, offered_docs, config.offered_rate)
                )
        if profile_dir is not None:
            result["profile"] = profile(stack, docs, profile_dir)
    result["targets"] = _targets(result)
    return result


def figures(result: dict[str, Any]) -> str:
    """The one-line summary for the docs table."""
    parts = []
    for workers, fig in result["platform"].items():
        bare = result["bare"][workers]
        parts.append(
            f"{workers}w: {fig['docs_per_second']} docs/s (p50 {fig['latency_s']['p50']} s, "
            f"p95 {fig['latency_s']['p95']} s, "
            f"{fig['cpu_ms_per_document']['stack']} CPU ms/doc "
            f"({fig['cpu_ms_per_document_with_indexing']['stack']} with indexing), other work "
            f"{fig['other_processes']['cpu_percent']} % CPU), bare "
            f"{bare['regular']['workflows_per_second']}/{bare['local']['workflows_per_second']}"
            f" wf/s (regular/local), embedded {fig['memory_indexed_after_s']} s after"
        )
    off = result["offered_load"]
    parts.append(
        f"{off['offered_rate']}/s offered: p50 {off['latency_s']['p50']} s, "
        f"p95 {off['latency_s']['p95']} s"
    )
    failed = result["targets"]["failed_documents"]
    if failed:
        parts.append(f"{failed} documents FAILED (not counted as throughput)")
    return f"N={result['config']['documents']}; " + "; ".join(parts)


def print_details(result: dict[str, Any]) -> None:
    for workers, fig in result["platform"].items():
        print(f"\n== platform, {workers} worker process(es): {fig['docs_per_second']} docs/s")
        print(f"   latency/doc s {fig['latency_s']}  outside stages ms {fig['outside_stages_ms']}")
        print(f"   created→first stage ms {fig['created_to_first_stage_ms']}")
        for agent, pct in fig["stage_ms"].items():
            print(f"   stage {agent:13s} ms {pct}")
        for name, proc in fig["processes"].items():
            print(f"   {name:10s} {proc}")
        print(f"   CPU ms/document {fig['cpu_ms_per_document']}")
        print(f"   ... until embedded too {fig['cpu_ms_per_document_with_indexing']}")
        print(f"   other processes on the machine {fig['other_processes']}")
        print(f"   memory indexer caught up {fig['memory_indexed_after_s']} s after the burst")
        for variant, bare in result["bare"][workers].items():
            print(
                f"   bare {variant}: {bare['workflows_per_second']} wf/s {bare['latency_s']} "
                f"CPU ms/workflow {bare['cpu_ms_per_workflow']}"
            )
    first = next(iter(result["platform"].values()))
    for name, history in first.get("temporal_history", {}).items():
        print(f"   history {name}: {history}")
    print(f"\n== offered load: {result['offered_load']['latency_s']}")
    if "profile" in result:
        print(f"== profile: {result['profile']}")
    print(f"== targets: {result['targets']}")


PROFILED = {"worker": "worker-1", "api": "api", "relay": "relay"}


async def _profiled_burst(stack: Stack, docs: list[Document], out_dir: Path) -> dict[str, Any]:
    """One more 1-worker burst with py-spy on the worker, the API and the relay (slows them)."""
    engine = create_engine(stack.database_url, pool_size=2)
    headers = stack.headers()
    pids = {name: stack.roles[role].pid for name, role in PROFILED.items()}
    try:
        with _profile.py_spy(pids, out_dir) as paths:
            subs = await submit_burst(stack.api_url, headers, docs)
            await settle(engine, subs, limit_s=SETTLE_TIMEOUT_S, alive=stack.dead_role)
    finally:
        await engine.dispose()
    return {name: {"recording": str(p), **_profile.summarize(p)} for name, p in paths.items()}


def profile(stack: Stack, docs: list[Document], out_dir: Path) -> dict[str, Any]:
    with stack.workers(1):
        return asyncio.run(_profiled_burst(stack, docs, out_dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="few documents, 1 worker, short")
    parser.add_argument("--documents", type=int, help="documents per burst")
    parser.add_argument("--workers", help="comma-separated worker counts, e.g. 1,2,4")
    parser.add_argument(
        "--learning",
        choices=("on", "off"),
        help="learning from approvals on or off in every role (default: the settings' default)",
    )
    parser.add_argument("--results-dir", type=Path, help="where the JSON goes")
    parser.add_argument("--no-docs", action="store_true", help="do not append to the docs table")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="afterwards, one more 1-worker burst under py-spy; recordings to DIR",
    )
    args = parser.parse_args(argv)
    exit_on_sigterm()
    config = SMOKE if args.smoke else PipelineConfig()
    if args.documents:
        config = replace(config, documents=args.documents)
    if args.workers:
        config = replace(config, worker_counts=tuple(int(w) for w in args.workers.split(",")))
    if args.learning:
        config = replace(config, learning=args.learning == "on")
    if args.profile and not _profile.available():
        parser.error("--profile needs py-spy (pip install py-spy)")
    if args.profile and args.profile.exists() and not args.profile.is_dir():
        parser.error(f"--profile {args.profile}: exists and is not a directory")
    result = run(config, smoke=args.smoke, profile_dir=args.profile)
    print_details(result)
    _report.record(
        result,
        figures(result),
        results_dir=args.results_dir,
        append_docs=not args.no_docs,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
