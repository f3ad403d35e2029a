"""Latency of the read endpoints at fixed request rates, load from a separate process.

The API runs as its own ``myloware api`` process (uvicorn on loopback, rate limit off) over a
database holding N completed work orders (1,000 in full mode), each with one item whose
content comes from the dataset mix and whose result is a real rules-extractor record. Locust
(headless, another process) then reads ``GET /v1/work-orders``, ``GET /v1/work-orders/{id}`` and
``GET /v1/work-orders/{id}/work-items`` in equal shares at 50, 100 and 200 requests/s
(constant throughput per user) and reports p50/p95/p99 per endpoint and overall.

Target (reported, not asserted): p99 < 50 ms at 200 requests/s.

``python -m benchmarks.api_latency [--smoke] [--rates 50,100,200] [--seconds 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import time
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

from benchmarks import _report
from benchmarks._documents import Document, document_mix
from benchmarks._sampler import ProcessSampler, others
from benchmarks._stack import Stack, exit_on_sigterm, running_stack
from myloware.db.base import Priority, WorkItemStatus, WorkOrderStatus
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import WorkItem, WorkOrder
from myloware.records import DocumentType

LOCUSTFILE = Path(__file__).with_name("_locustfile.py")
DISTINCT_RESULTS = 40
P99_TARGET_MS = 50.0


@dataclass(frozen=True)
class ApiConfig:
    orders: int = 1000
    rates: tuple[int, ...] = (50, 100, 200)
    seconds: int = 30
    user_rps: float = 4.0


SMOKE = ApiConfig(orders=60, rates=(50,), seconds=3)


def item_result(doc: Document) -> tuple[DocumentType | None, dict[str, Any]]:
    """What the pipeline stores for a document: the rules record, as the workflow shapes it."""
    from myloware.documents.model import LoadedDocument
    from myloware.extraction import extract
    from myloware.normalize import restyle

    record = restyle(extract(LoadedDocument.from_text(doc.text)))
    kind = record.document_type.value
    return (
        DocumentType(kind) if kind in DocumentType.__members__ else None,
        {
            "document_type": kind,
            "fields": record.values(),
            "confidence": {k: v.confidence for k, v in record.fields.items()},
            "validation": {"valid": True, "errors": [], "warnings": []},
            "decision": {"action": "AUTO_APPROVE", "reasons": []},
            "record": {"id": str(uuid.uuid4()), "version": 1},
            "verification": {"score": 1.0, "passed": True},
        },
    )


async def seed_orders(stack: Stack, count: int) -> list[str]:
    """Insert ``count`` completed one-item work orders spread over the last 30 days."""
    docs = document_mix(count)
    results = [item_result(d) for d in docs[:DISTINCT_RESULTS]]
    now = datetime.now(UTC)
    engine = create_engine(stack.database_url, pool_size=1)
    ids = []
    try:
        orders, items = [], []
        for i, doc in enumerate(docs):
            order_id = uuid.uuid4()
            created = now - timedelta(minutes=43 * (count - i))
            kind, result = results[i % len(results)]
            orders.append(
                WorkOrder(
                    id=order_id,
                    tenant_id=stack.tenant_id,
                    status=WorkOrderStatus.COMPLETED,
                    priority=Priority.MEDIUM,
                    metadata_={"summary": {"completed": 1}},
                    workflow_id=f"work-order-{order_id}",
                    created_by="benchmark",
                    created_at=created,
                    updated_at=created,
                )
            )
            items.append(
                WorkItem(
                    tenant_id=stack.tenant_id,
                    work_order_id=order_id,
                    position=0,
                    type=kind,
                    content=doc.text,
                    status=WorkItemStatus.COMPLETED,
                    result=result,
                    created_at=created,
                    processed_at=created + timedelta(seconds=1),
                )
            )
            ids.append(str(order_id))
        async with session_factory(engine)() as session, session.begin():
            session.add_all(orders)
            await session.flush()  # no ORM relationship: the orders must exist first
            session.add_all(items)
    finally:
        await engine.dispose()
    return ids


def _read_stats(prefix: Path) -> dict[str, Any]:
    """Per endpoint and aggregated: count, failures, achieved rps, p50/p95/p99 in ms."""
    out: dict[str, Any] = {}
    with Path(f"{prefix}_stats.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            out[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "max_ms": float(row["Max Response Time"] or 0),
            }
    return out


def _read_failures(prefix: Path) -> list[dict[str, Any]]:
    """What failed, per endpoint and error, with how often (locust's failures CSV)."""
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            {"name": row["Name"], "error": row["Error"][:300], "count": int(row["Occurrences"])}
            for row in csv.DictReader(handle)
        ]


def run_rate(
    stack: Stack,
    ids_file: Path,
    rate: int,
    config: ApiConfig,
    *,
    locustfile: Path = LOCUSTFILE,
    token: str | None = None,
    label: str = "",
    reads: str = "all",
) -> dict[str, Any]:
    """One locust run at ``rate`` requests/s (``locustfile``'s users, ``token``: the stack's
    own tenant's when None, ``reads``: the locustfile's mix, ``BENCH_READS``); figures plus
    CPU of the API and of locust."""
    users = max(1, round(rate / config.user_rps))
    name = f"locust-{rate}{label}"
    prefix = stack.root / name
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{config.seconds + 1}s",
        "--host",
        stack.api_url,
        "--csv",
        str(prefix),
        "--reset-stats",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "5",
    ]
    env = {
        "BENCH_ORDER_IDS": str(ids_file),
        "BENCH_TOKEN": token or stack.headers()["Authorization"].split(" ", 1)[1],
        "BENCH_USER_RPS": str(rate / users),
        "BENCH_READS": reads,
    }
    proc = stack.spawn(name, argv, **env)

    def groups() -> dict[str, list[psutil.Process]]:
        roles = stack.role_processes()
        return {
            "api": roles.get("api", []),
            "locust": roles.get(name, []),
            **{k: v for k, v in stack.service_processes().items() if k != "temporal"},
        }

    with ProcessSampler(groups) as sampler:
        proc.wait(config.seconds + 120)
    stack.roles.pop(name, None)
    stats = _read_stats(prefix)
    processes = sampler.summary()
    return {
        "target_rps": rate,
        "users": users,
        "exit_code": proc.returncode,
        "endpoints": {k: v for k, v in stats.items() if k != "Aggregated"},
        "overall": stats.get("Aggregated", {}),
        "failures": _read_failures(prefix),
        "processes": processes,
        "other_processes": others(sampler, processes),
    }


def run(config: ApiConfig, *, smoke: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "meta": _report.meta("api_latency", smoke=smoke),
        "config": asdict(config),
        "load_generator": "locust (FastHttpUser, fixed per-user schedule), separate process",
        "rates": {},
    }
    with running_stack(relay=False) as stack:
        began = time.perf_counter()
        ids = asyncio.run(seed_orders(stack, config.orders))
        result["seed_seconds"] = round(time.perf_counter() - began, 2)
        ids_file = stack.root / "order-ids.json"
        ids_file.write_text(json.dumps(ids))
        for rate in config.rates:
            result["rates"][str(rate)] = run_rate(stack, ids_file, rate, config)
    top = result["rates"][str(max(config.rates))]["overall"]
    result["targets"] = {
        "rate": max(config.rates),
        "p99_ms": top.get("p99_ms"),
        "p99_target_ms": P99_TARGET_MS,
        "failures": top.get("failures"),
        "p99_met": top.get("p99_ms", 1e9) < P99_TARGET_MS
        and max(config.rates) >= 200
        and top.get("failures") == 0,
    }
    return result


def figures(result: dict[str, Any]) -> str:
    parts = []
    for rate, fig in result["rates"].items():
        o = fig["overall"]
        parts.append(
            f"{rate} rps → {o.get('rps')} rps, p50/p95/p99 {o.get('p50_ms')}/{o.get('p95_ms')}/"
            f"{o.get('p99_ms')} ms, {o.get('failures')} failed, other work "
            f"{fig['other_processes']['cpu_percent']} % CPU"
        )
    return f"{result['config']['orders']} orders; " + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--rates", help="comma-separated requests/s, e.g. 50,100,200")
    parser.add_argument("--seconds", type=int, help="measured seconds per rate")
    parser.add_argument("--orders", type=int, help="work orders in the database")
    parser.add_argument("--results-dir", type=Path)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    config = SMOKE if args.smoke else ApiConfig()
    if args.rates:
        config = replace(config, rates=tuple(int(r) for r in args.rates.split(",")))
    if args.seconds:
        config = replace(config, seconds=args.seconds)
    if args.orders:
        config = replace(config, orders=args.orders)
    result = run(config, smoke=args.smoke)
    for rate, fig in result["rates"].items():
        print(f"\n== {rate} requests/s ({fig['users']} users)")
        for name, stats in {**fig["endpoints"], "overall": fig["overall"]}.items():
            print(f"   {name:40s} {stats}")
        for name, proc in fig["processes"].items():
            print(f"   {name:10s} {proc}")
        print(f"   other processes on the machine {fig['other_processes']}")
    print(f"== targets: {result['targets']}")
    _report.record(
        result, figures(result), results_dir=args.results_dir, append_docs=not args.no_docs
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
