"""Faults: kill each part of a running deployment mid-burst and count what survives.

For each fault a fresh stack (embedded PostgreSQL, Redis and Temporal, ``myloware api``,
``relay`` and one ``worker``, each in its own process; ``--smoke`` shares one stack between its
faults) receives one-document orders at a steady rate over HTTP. Once the first few have
completed, the fault is injected (:mod:`benchmarks._faults`): kill -9 the worker, the relay or
the API and start it again at once; kill -9 Temporal or Redis and ``restart()`` it; stop
PostgreSQL for 60 s or 5 min. The client retries whatever fails meanwhile (connection refused,
5xx, timeouts) with the same ``Idempotency-Key``, as a client should; a replayed answer (200)
counts as accepted. The run ends when every accepted order is COMPLETED or FAILED, or at the
time limit. Per fault, from the database and the Redis stream:

* accepted, completed, failed; stuck (accepted, not settled at the end); lost (accepted, not
  in the database); duplicated records (a second record row, or a record version repeating
  the content of another); duplicated events (more than one completed/failed event in the
  outbox for one order or item, or one ``record.persisted`` twice for a version); stages
  re-run (a stage completed a second time for an item: work redone, not a duplicate), stage
  events missing (a completed item without the ``stage_completed`` event and attempt row of
  a stage every other item has: the trace is best-effort while PostgreSQL is away); the
  stream's duplicate entries per event id (the relay delivers at least once) and published
  events missing from the stream;
* time to recover: from the moment the part is back to the last accepted order settled, and
  to the outbox fully published; the ``none`` baseline shows what the rest of the burst takes
  anyway.

Targets: 0 stuck, 0 lost, 0 duplicated records, 0 duplicated events for every fault.

``python -m benchmarks.faults [--smoke] [--faults worker,redis,postgres-60s] [--documents N]``
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks import _report
from benchmarks._documents import Document, document_mix
from benchmarks._faults import FaultTimes, check_fault, count, inject
from benchmarks._platform import AUTO_APPROVE_POLICY, publish_policy
from benchmarks._stack import Stack, exit_on_sigterm, running_stack
from myloware.db.engine import create_engine

FULL_FAULTS = (
    "none",
    "worker",
    "relay",
    "api",
    "temporal",
    "redis",
    "postgres-60s",
    "postgres-300s",
)
SMOKE_FAULTS = ("worker", "relay", "redis", "postgres-10s")
TARGETS = ("stuck", "lost", "duplicated_records", "duplicated_events")
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 5.0


@dataclass(frozen=True)
class FaultsConfig:
    documents: int = 120
    rate: float = 8.0  # orders per second, open loop
    inject_after: int = 10  # completed orders before the fault
    faults: tuple[str, ...] = FULL_FAULTS
    settle_limit_s: float = 600.0  # after the part is back
    fresh_stack: bool = True


SMOKE = FaultsConfig(
    documents=10, rate=5.0, inject_after=2, faults=SMOKE_FAULTS, settle_limit_s=240.0,
    fresh_stack=False,
)  # fmt: skip


@dataclass
class Tally:
    """The client's side: what the API accepted, and how hard that was."""

    orders: dict[str, uuid.UUID] = field(default_factory=dict)  # idempotency key → order
    replayed: int = 0
    retries: int = 0
    rejected: list[str] = field(default_factory=list)
    gave_up: int = 0
    last_accepted: float = 0.0


async def _submit(client: httpx.AsyncClient, doc: Document, tally: Tally, deadline: float) -> None:
    """POST one order until the API accepts it (201, or 200: a replay of an earlier try)."""
    key = f"faults-{uuid.uuid4()}"
    delay = RETRY_FIRST_S
    while True:
        with contextlib.suppress(httpx.TransportError):
            response = await client.post(
                "/v1/work-orders",
                json={"work_items": [{"content": doc.text}]},
                headers={"Idempotency-Key": key},
            )
            if response.status_code in (200, 201):
                tally.orders[key] = uuid.UUID(response.json()["data"]["id"])
                tally.replayed += response.status_code == 200
                tally.last_accepted = time.time()
                return
            if response.status_code < 500 and response.status_code != 429:
                tally.rejected.append(f"{response.status_code}: {response.text[:200]}")
                return
        if time.monotonic() > deadline:
            tally.gave_up += 1
            return
        tally.retries += 1
        await asyncio.sleep(delay)
        delay = min(2 * delay, RETRY_MAX_S)


async def _send(
    stack: Stack, docs: Sequence[Document], rate: float, tally: Tally, limit: float
) -> None:
    """Start document ``i`` at ``i / rate`` seconds, each retried for up to ``limit`` s."""
    deadline = time.monotonic() + limit
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
    async with httpx.AsyncClient(
        base_url=stack.api_url, headers=stack.headers(), limits=limits, timeout=30
    ) as client:
        start = time.monotonic()
        tasks = []
        for i, doc in enumerate(docs):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(_submit(client, doc, tally, deadline)))
        await asyncio.gather(*tasks)


async def _scalar(engine: AsyncEngine, sql: str, **params: Any) -> int | None:
    """One number from the database, None while it cannot be reached."""
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text(sql), params) or 0)
    except (DBAPIError, OSError):
        return None


SETTLED = "SELECT count(*) FROM work_orders WHERE id = ANY(:ids) AND status::text = ANY(:done)"
UNPUBLISHED = (
    "SELECT count(*) FROM outbox WHERE published_at IS NULL AND aggregate_id IN "
    "(SELECT id FROM work_orders WHERE id = ANY(:ids) UNION "
    " SELECT id FROM work_items WHERE work_order_id = ANY(:ids))"
)
DONE = ["COMPLETED", "FAILED"]


async def _completed(engine: AsyncEngine, tally: Tally) -> int:
    ids = list(tally.orders.values())
    return await _scalar(engine, SETTLED, ids=ids, done=["COMPLETED"]) or 0


async def _one_fault(
    stack: Stack, fault: str, docs: list[Document], config: FaultsConfig
) -> dict[str, Any]:
    """Send the orders, inject ``fault`` after the first completions, wait, count."""
    engine = create_engine(stack.database_url, pool_size=2)
    tally = Tally()
    try:
        limit = config.settle_limit_s + len(docs) / config.rate
        sending = asyncio.create_task(_send(stack, docs, config.rate, tally, limit))
        waited = time.monotonic()
        while await _completed(engine, tally) < config.inject_after and not sending.done():
            if time.monotonic() - waited > 120:
                break  # inject anyway: a stack that completes nothing is what we want to see
            await asyncio.sleep(0.1)
        times = await inject(stack, fault)
        print(f"   {fault}: down {times.seconds} s", flush=True)
        await sending
        settled_at, drained_at = await _wait(engine, tally, times, config.settle_limit_s)
        outcome = await count(
            engine,
            stack.endpoints.redis_url,
            stack.settings.events_stream,
            list(tally.orders.values()),
            list(tally.orders),
        )
    finally:
        await engine.dispose()
    return {
        **outcome,
        "documents": len(docs),
        "down_seconds": times.seconds,
        "recover_seconds": _after(times, settled_at),
        "events_published_after_s": _after(times, drained_at),
        "last_accepted_after_s": _after(times, tally.last_accepted),
        "client_retries": tally.retries,
        "client_replayed": tally.replayed,
        "client_rejected": tally.rejected,
        "client_gave_up": tally.gave_up,
    }


def _after(times: FaultTimes, moment: float | None) -> float | None:
    return None if moment is None else round(max(0.0, moment - times.back), 2)


async def _wait(
    engine: AsyncEngine, tally: Tally, times: FaultTimes, limit: float
) -> tuple[float | None, float | None]:
    """Until every accepted order settled and their events are published (or ``limit``
    seconds after the part came back): when each was first seen."""
    ids = list(tally.orders.values())
    settled_at = drained_at = None
    deadline = times.back + limit
    while time.time() < deadline and (settled_at is None or drained_at is None):
        if settled_at is None and await _scalar(engine, SETTLED, ids=ids, done=DONE) == len(ids):
            settled_at = time.time()
        if settled_at is not None and await _scalar(engine, UNPUBLISHED, ids=ids) == 0:
            drained_at = time.time()
        await asyncio.sleep(0.25)
    return settled_at, drained_at


@contextlib.contextmanager
def _stack() -> Iterator[Stack]:
    with running_stack() as stack:
        publish_policy(stack.api_url, stack.headers("admin"), AUTO_APPROVE_POLICY)
        with stack.workers(1):
            yield stack


def run(config: FaultsConfig, *, smoke: bool) -> dict[str, Any]:
    """Every fault in turn; return the result document."""
    docs = document_mix(config.documents)
    result: dict[str, Any] = {
        "meta": _report.meta("faults", smoke=smoke),
        "config": asdict(config),
        "faults": {},
    }
    with contextlib.ExitStack() as shared:
        stack = None if config.fresh_stack else shared.enter_context(_stack())
        for fault in config.faults:
            print(f"== fault {fault}", flush=True)
            with contextlib.ExitStack() as own:
                here = stack or own.enter_context(_stack())
                result["faults"][fault] = asyncio.run(_one_fault(here, fault, docs, config))
    result["targets"] = {
        fault: {t: figures[t] == 0 for t in TARGETS} for fault, figures in result["faults"].items()
    }
    result["targets_met"] = all(all(t.values()) for t in result["targets"].values())
    return result


COLUMNS = (
    ("fault", "fault"),
    ("accepted", "accepted"),
    ("completed", "completed"),
    ("failed", "failed"),
    ("stuck", "stuck"),
    ("lost", "lost"),
    ("dup. records", "duplicated_records"),
    ("dup. events", "duplicated_events"),
    ("stream dup./missing", "stream"),
    ("stages re-run", "stages_rerun"),
    ("stage events missing", "stage_events_missing"),
    ("down s", "down_seconds"),
    ("recover s", "recover_seconds"),
    ("events out s", "events_published_after_s"),
    ("client retries", "client_retries"),
)


def table(result: dict[str, Any]) -> str:
    """The per-fault table, as Markdown."""
    lines = [
        "| " + " | ".join(title for title, _ in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for fault, figures in result["faults"].items():
        row = {
            **figures,
            "fault": fault,
            "stream": f"{figures['stream_duplicates']}/{figures['stream_missing']}",
        }
        lines.append("| " + " | ".join(str(row[key]) for _, key in COLUMNS) + " |")
    return "\n".join(lines)


def figures(result: dict[str, Any]) -> str:
    """The one-line summary for the docs table."""
    parts = []
    for fault, f in result["faults"].items():
        parts.append(
            f"{fault}: {f['completed']}+{f['failed']}F/{f['accepted']}, stuck {f['stuck']}, "
            f"lost {f['lost']}, dup {f['duplicated_records']}/{f['duplicated_events']}, "
            f"recover {f['recover_seconds']} s"
        )
    met = "targets met" if result["targets_met"] else "TARGETS MISSED"
    return f"N={result['config']['documents']} per fault; {met}; " + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = _report.parser_for(__doc__)
    parser.add_argument("--faults", help="comma-separated, e.g. worker,redis,postgres-60s")
    parser.add_argument("--documents", type=int, help="orders per fault")
    parser.add_argument("--rate", type=float, help="orders per second")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    config = SMOKE if args.smoke else FaultsConfig()
    if args.faults:
        try:
            faults = tuple(check_fault(f.strip()) for f in args.faults.split(","))
        except ValueError as exc:
            parser.error(str(exc))
        config = replace(config, faults=faults)
    if args.documents:
        config = replace(config, documents=args.documents)
    if args.rate:
        config = replace(config, rate=args.rate)
    if config.inject_after >= config.documents:
        parser.error("--documents must exceed the orders completed before a fault")
    result = run(config, smoke=args.smoke)
    result["table"] = table(result)
    print("\n" + result["table"])
    path = _report.record(
        result, figures(result), results_dir=args.results_dir, append_docs=not args.no_docs
    )
    if not args.no_docs and not args.smoke:
        append_table(result, path)
    return 0 if result["targets_met"] else 1


FAULT_RUNS = "## Fault runs\n"
RESULTS = "## Results\n"


def load(meta: dict[str, Any]) -> str:
    """The 1-minute load average at the start and the end of the run."""
    start, end = meta["load_average_at_start"][0], meta.get("load_average_at_end", [None])[0]
    return f"{start} at the start, {end} at the end"


def append_table(result: dict[str, Any], path: Path, docs: Path | None = None) -> None:
    """The whole table as the last of the "Fault runs" in docs/benchmarks.md: that section
    comes just before "Results", whose table the other benchmarks append rows to."""
    target = docs or _report.DOCS_FILE
    m = result["meta"]
    block = (
        f"### {m['date'][:16].replace('T', ' ')} UTC, `{m['commit']}`, "
        f"{m['machine']['cpu_count']} × {m['machine']['cpu_model']}\n\n"
        f"{result['config']['documents']} one-document orders per fault at "
        f"{result['config']['rate']}/s, 1 worker; load average {load(m)} (other work on "
        f"the machine); `{path.name}`.\n\n{result['table']}\n\n"
    )
    before, results, after = target.read_text("utf-8").rpartition(RESULTS)
    if not results:
        raise RuntimeError(f"{target} has no '{RESULTS.strip()}' section")
    if FAULT_RUNS not in before:
        before += FAULT_RUNS + "\n"
    target.write_text(before + block + results + after, "utf-8")


if __name__ == "__main__":
    sys.exit(main())
