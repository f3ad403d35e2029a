"""Scale: the API and memory look-ups over 10k and 100k processed documents.

For each size a fresh embedded stack is bulk-loaded with COPY (:mod:`benchmarks._scale_load`:
four tenants holding 60 / 30 / 9 / 1 % of the documents, each document with its order,
item, record, seven attempts, two outbox events, approvals for some, and a CONTEXT memory
doc with an embedding), the HNSW index built (as the migrations define it), the load's
write-back finished and the machine left to fall idle (``settle``: a ``CHECKPOINT``, the
kernel's page cache synced, at most ``settle_s`` waiting for the CPU to go quiet), and then
measured:

- load: seconds for the COPY, the index build and VACUUM ANALYZE; documents per second;
- storage: ``pg_total_relation_size`` of each table, bytes per document;
- memory look-ups, in-process, per tenant (the 1 % one included): search (a new vector),
  similar documents (an item's own, same type) and related approved records — latency
  p50/p95 and recall@k against exact search over the same rows (the worst query's and the
  mean), and which path answered: the index, exact by the tenant's size, or the exact
  fallback (docs/memory.md, "The memory index");
- the API, as the biggest and as the smallest tenant: the work-order list, the list filtered
  by status and priority, one order, its items, the approvals waiting and similar
  documents — first from locust in its own process at a fixed 200 requests/s, twice: the
  three reads the p99 target names (list, filter, get: ``target_reads``), then all six in
  equal shares (p50/p95/p99 per endpoint; the API's CPU ms per request answered; each
  process group's share of the CPU during the rate); then one request at a time (each
  read's own cost, p50/p95, and the API process's CPU ms per request; the UI's order list,
  filtered list, order, Run Trace and approvals pages too, signed in with the same token);
- the pipeline on the full database: 200 documents through two workers, auto-approved
  (documents/s, latency per document and stage; :mod:`benchmarks._scale_pipeline`).

Targets (reported, not asserted): API p99 < 50 ms at 200 requests/s; look-up p95 < 100 ms
with recall ≥ 0.95 for every tenant.

``python -m benchmarks.scale [--smoke] [--sizes 10000,100000] [--queries 40] [--seconds 20]
[--phases memory,api,pipeline]``
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

from benchmarks import _report
from benchmarks._scale_load import (
    Tenant,
    around,
    create_tenants,
    load,
    plan_tenants,
    settle,
)
from benchmarks._scale_pipeline import pipeline_on_full_database
from benchmarks._stack import Stack, exit_on_sigterm, running_stack
from benchmarks.api_latency import ApiConfig, run_rate
from myloware.auth.tokens import issue_token
from myloware.db.direct import transaction
from myloware.db.engine import create_engine, session_factory
from myloware.memory.ann import Found, nearest_docs
from myloware.memory.store import APPROVED_POOL, related_records, vector_literal
from myloware.services.memory import SEARCH_POOL, similar_if_indexed

LOCUSTFILE = Path(__file__).with_name("_locust_scale.py")
P99_TARGET_MS = 50.0
LOOKUP_P95_TARGET_MS = 100.0
RECALL_TARGET = 0.95
#: what is measured once a size is loaded (``--phases``); load and storage always are
PHASES = ("memory", "api", "pipeline")


@dataclass(frozen=True)
class ScaleConfig:
    sizes: tuple[int, ...] = (10_000, 100_000)
    queries: int = 40  # per tenant and kind of look-up
    k: int = 10
    rate: int = 200
    seconds: int = 20
    sequential: int = 200  # one-at-a-time requests per API read (latency and CPU per request)
    pipeline_documents: int = 200  # pushed through the pipeline on the full database
    phases: tuple[str, ...] = PHASES  # measured after the load (and storage)
    settle_s: float = 300.0  # the longest wait for an idle machine after the load


SMOKE = ScaleConfig(
    sizes=(2_000,),
    queries=4,
    k=10,
    rate=20,
    seconds=4,
    sequential=4,
    pipeline_documents=6,
    settle_s=0,  # a test on a busy machine: write-back done, no wait for idle
)


def _ms(seconds: list[float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in _report.percentiles([s * 1000 for s in seconds]).items()}


def _recall(got: Found, truth: Found) -> float | None:
    """Share of the exact answer the look-up found (None when there was nothing to find)."""
    want = {n.doc_id for n in truth.near}
    if not want:
        return None
    return len(want & {n.doc_id for n in got.near}) / len(want)


#: ann-benchmarks' tolerance: a doc no farther than the exact k-th one (plus this) counts
TIE_EPSILON = 1e-3


def _recall_ties(got: Found, truth: Found) -> float | None:
    """Recall as ann-benchmarks counts it: the share of the ``k`` docs found that lie no
    farther than the exact answer's k-th (+ :data:`TIE_EPSILON`) — among docs at the same
    distance, which of them the exact scan listed first is a coin toss, not a miss."""
    if not truth.near:
        return None
    reach = truth.near[-1].distance + TIE_EPSILON
    return min(1.0, sum(1 for n in got.near if n.distance <= reach) / len(truth.near))


async def _pair(
    engine: Any, tenant: Tenant, vector: str, k: int, pool: str, params: dict[str, Any], **kw: Any
) -> tuple[float, Found, Found]:
    """One look-up timed, and the exact answer to compare it with."""
    async with transaction(engine) as pg:
        began = time.perf_counter()
        got = await nearest_docs(
            pg, tenant_id=tenant.id, vector=vector, limit=k, pool=pool, params=params, **kw
        )
        took = time.perf_counter() - began
        truth = await nearest_docs(
            pg,
            tenant_id=tenant.id,
            vector=vector,
            limit=k,
            pool=pool,
            params=params,
            exact=True,
            **kw,
        )
    return took, got, truth


#: index scan sizes tried on the biggest tenant's searches: what recall each buys, and its cost
EF_SWEEP = (200, 400, 800)


async def _ef_sweep(
    engine: Any, tenant: Tenant, centres: np.ndarray, config: ScaleConfig, rng: np.random.Generator
) -> dict[str, Any]:
    """The biggest tenant's search at each of :data:`EF_SWEEP`: p95 ms and both recalls."""
    queries = [
        vector_literal(around(rng, centres, np.array([tenant.senders[i]]))[0])
        for i in rng.integers(tenant.documents, size=config.queries)
    ]
    pool, params = SEARCH_POOL, {"exclude": None, "doc_type": None}
    out: dict[str, Any] = {}
    for ef in EF_SWEEP:
        pairs = [
            await _pair(engine, tenant, vector, config.k, pool, params, ef_search=ef)
            for vector in queries
        ]
        out[str(ef)] = {
            "p95_ms": _ms([took for took, _, _ in pairs])["p95"],
            "mean_recall": _mean([_recall(got, truth) for _, got, truth in pairs]),
            "mean_recall_ties": _mean([_recall_ties(got, truth) for _, got, truth in pairs]),
        }
    return out


def _mean(values: Sequence[float | None]) -> float | None:
    """The mean of the recalls that had something to find (None: none had)."""
    found = [v for v in values if v is not None]
    return round(sum(found) / len(found), 4) if found else None


async def _tenant_lookups(
    engine: Any, tenant: Tenant, centres: np.ndarray, config: ScaleConfig, rng: np.random.Generator
) -> dict[str, Any]:
    timings: dict[str, list[float]] = {"search": [], "approved": [], "similar": [], "related": []}
    recalls: dict[str, list[float]] = {"search": [], "approved": []}
    ties: dict[str, list[float]] = {"search": [], "approved": []}
    paths: dict[str, dict[str, int]] = {
        name: {"index": 0, "exact_by_size": 0, "exact_fallback": 0, "max_ef": 0}
        for name in ("search", "approved")
    }
    sessions = session_factory(engine)
    for _ in range(config.queries):
        i = int(rng.integers(tenant.documents))
        fresh = vector_literal(around(rng, centres, np.array([tenant.senders[i]]))[0])
        own = vector_literal(tenant.vectors[i])
        search = await _pair(
            engine, tenant, fresh, config.k, SEARCH_POOL, {"exclude": None, "doc_type": None}
        )
        approved = await _pair(
            engine,
            tenant,
            own,
            3,
            APPROVED_POOL,
            {"item": tenant.items[i], "doc_type": "INVOICE"},
            max_distance=0.2,
        )
        for name, (took, got, truth) in (("search", search), ("approved", approved)):
            timings[name].append(took)
            path = paths[name]
            path["max_ef"] = max(path["max_ef"], got.ef)
            path[
                "exact_fallback"
                if got.exact and got.ef
                else "exact_by_size"
                if got.exact
                else "index"
            ] += 1
            if (r := _recall(got, truth)) is not None:
                recalls[name].append(r)
            if (r := _recall_ties(got, truth)) is not None:
                ties[name].append(r)
        async with sessions() as session:
            began = time.perf_counter()
            await similar_if_indexed(
                session, tenant_id=tenant.id, work_item_id=tenant.items[i], limit=config.k
            )
            timings["similar"].append(time.perf_counter() - began)
        async with transaction(engine) as pg:
            began = time.perf_counter()
            await related_records(
                pg,
                tenant_id=tenant.id,
                item_id=tenant.items[i],
                document_type="INVOICE",
                vector=own,
                limit=3,
                min_similarity=0.8,
            )
            timings["related"].append(time.perf_counter() - began)
    return {
        "documents": tenant.documents,
        "ms": {name: _ms(values) for name, values in timings.items()},
        "recall": {
            name: round(min(values), 3) if values else None for name, values in recalls.items()
        },
        "mean_recall": {name: _mean(values) for name, values in recalls.items()},
        # ann-benchmarks' recall: a doc as near as the exact k-th counts (ties are no miss)
        "mean_recall_ties": {name: _mean(values) for name, values in ties.items()},
        "paths": paths,
    }


async def _lookups(
    stack: Stack, tenants: list[Tenant], centres: np.ndarray, config: ScaleConfig
) -> dict[str, Any]:
    engine = create_engine(stack.database_url, pool_size=2)
    rng = np.random.default_rng(11)
    try:
        found = {t.name: await _tenant_lookups(engine, t, centres, config, rng) for t in tenants}
        found[tenants[0].name]["ef_sweep"] = await _ef_sweep(
            engine, tenants[0], centres, config, rng
        )
        return found
    finally:
        await engine.dispose()


async def _storage(stack: Stack, documents: int) -> dict[str, Any]:
    engine = create_engine(stack.database_url, pool_size=1)
    try:
        async with transaction(engine) as pg:
            cur = await pg.execute(
                "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables "
                "ORDER BY 2 DESC LIMIT 10"
            )
            tables = {row[0]: int(row[1]) for row in await cur.fetchall()}
            cur = await pg.execute("SELECT pg_database_size(current_database())")
            row = await cur.fetchone()
            total = int(row[0]) if row else 0
    finally:
        await engine.dispose()
    return {
        "database_mb": round(total / 2**20, 1),
        "bytes_per_document": round(total / documents),
        "tables_mb": {name: round(size / 2**20, 1) for name, size in tables.items()},
    }


#: what one client reads, one request at a time (the cost of each, without queueing)
SEQUENTIAL = {
    "list": "/v1/work-orders?limit=20",
    "filter": "/v1/work-orders?status=COMPLETED&priority=HIGH&limit=20",
    "get": "/v1/work-orders/{order}",
    "items": "/v1/work-orders/{order}/work-items",
    "approvals": "/v1/approvals?limit=50",
    "similar": "/v1/work-items/{item}/similar?limit=5",
}


#: the UI's pages a reviewer opens most, read the same way (signed in with the same token)
UI_PAGES = {
    "ui_orders": "/ui/",
    "ui_orders_filtered": "/ui/?status=COMPLETED&priority=HIGH",
    "ui_order": "/ui/work-orders/{order}",
    "ui_trace": "/ui/work-items/{item}",
    "ui_approvals": "/ui/approvals",
}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _ui_cookie(client: httpx.Client, token: str) -> dict[str, str]:
    """Sign in through the login form with ``token``; the session cookie as a header."""
    form = client.get("/ui/login")
    found = CSRF_RE.search(form.text)
    if found is None:
        raise RuntimeError("the login page has no CSRF token")
    signed = client.post(
        "/ui/login", data={"credential": token, "csrf_token": found[1], "next": "/ui"}
    )
    if signed.status_code != 303:
        raise RuntimeError(f"signing in to the UI answered {signed.status_code}")
    cookie = "; ".join(f"{k}={v}" for k, v in signed.cookies.items())
    client.cookies.clear()
    return {"Cookie": cookie}


def _api_cpu_seconds(stack: Stack) -> float:
    """CPU seconds (user + system) the API process has used so far."""
    times = psutil.Process(stack.roles["api"].pid).cpu_times()
    return float(times.user + times.system)


def _sequential(stack: Stack, token: str, ids: dict[str, list[str]], n: int) -> dict[str, Any]:
    """p50/p95 ms of each read, ``n`` requests one after another (after one warm-up), and
    the API process's CPU ms per request (``cpu_ms``) over those ``n``."""
    out: dict[str, Any] = {}
    pick = random.Random(5)
    api = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=stack.api_url, timeout=30) as client:
        ui = _ui_cookie(client, token)
        reads = [(n, p, api) for n, p in SEQUENTIAL.items()]
        for name, path, headers in reads + [(n, p, ui) for n, p in UI_PAGES.items()]:
            took: list[float] = []
            cpu = 0.0
            for i in range(n + 1):
                url = path.format(order=pick.choice(ids["orders"]), item=pick.choice(ids["items"]))
                if i == 1:
                    cpu = _api_cpu_seconds(stack)
                began = time.perf_counter()
                client.get(url, headers=headers).raise_for_status()
                took.append(time.perf_counter() - began)
            out[name] = {
                **_ms(took[1:]),
                "cpu_ms": round((_api_cpu_seconds(stack) - cpu) * 1000 / n, 2),
            }
    return out


def _api(stack: Stack, tenants: list[Tenant], config: ScaleConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    api = ApiConfig(rates=(config.rate,), seconds=config.seconds)
    for tenant in (tenants[0], tenants[-1]):  # the biggest and the smallest
        sample = random.Random(3).sample(range(tenant.documents), min(500, tenant.documents))
        ids = {
            "orders": [str(tenant.orders[i]) for i in sample],
            "items": [str(tenant.items[i]) for i in sample],
        }
        ids_file = stack.root / f"ids-{tenant.name}.json"
        ids_file.write_text(json.dumps(ids))
        token = issue_token(
            stack.settings,
            tenant_id=tenant.id,
            capabilities=("work_orders:read",),
            subject="benchmark",
            ttl_seconds=3600,
        )
        rates = {
            reads: _rate_figures(
                run_rate(
                    stack,
                    ids_file,
                    config.rate,
                    api,
                    locustfile=LOCUSTFILE,
                    token=token,
                    label=f"{tenant.name}-{reads}",
                    reads=reads,
                )
            )
            for reads in ("target", "all")
        }
        out[tenant.name] = {
            "one_client_ms": _sequential(stack, token, ids, config.sequential),
            **rates["all"],  # the six reads in equal shares
            # the target's own mix: list, filter and get only, at the same rate
            "target_reads": rates["target"],
        }
    return out


def _rate_figures(fig: dict[str, Any]) -> dict[str, Any]:
    """What a locust run at the fixed rate showed: latency, failures, where the CPU went."""
    return {
        "overall": fig["overall"],
        "endpoints": fig["endpoints"],
        "failures": fig["failures"],
        "other_cpu_percent": fig["other_processes"]["cpu_percent"],
        # where the machine's CPU went during the rate (% of one core per group)
        "cpu_percent": {
            **{name: group["cpu_percent"] for name, group in fig["processes"].items()},
            "other": fig["other_processes"]["cpu_percent"],
        },
        # the API process's CPU per request answered under the fixed rate
        "api_cpu_ms_per_request": round(
            fig["processes"]["api"]["cpu_seconds"]
            * 1000
            / max(1, fig["overall"].get("requests", 0)),
            2,
        ),
    }


def _phase(name: str, config: ScaleConfig, measure: Callable[[], dict[str, Any]]) -> Any:
    """One phase's figures; ``skipped`` when not asked for, ``error`` when it failed, so
    the size's other figures (an hour of loading at 1M) are still written."""
    if name not in config.phases:
        return {"skipped": True}
    try:
        return measure()
    except Exception as exc:  # reported, never lost with the rest
        return {"error": f"{type(exc).__name__}: {exc}"}


def run_size(documents: int, config: ScaleConfig) -> dict[str, Any]:
    with running_stack(relay=False) as stack:
        ids = create_tenants(stack.database_url, stack.tenant_id)
        tenants, centres = plan_tenants(documents, ids)
        loaded = load(stack.database_url, tenants)
        total = sum(loaded.seconds.values())
        result: dict[str, Any] = {
            "documents": sum(t.documents for t in tenants),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "load": {
                "seconds": loaded.seconds,
                "rows": loaded.rows,
                "settings": loaded.settings,
                "documents_per_second": round(loaded.rows["documents"] / total),
            },
            "storage": asyncio.run(_storage(stack, loaded.rows["documents"])),
            # the load's write-back done and the machine idle before anything is timed
            "settle": settle(stack.database_url, config.settle_s),
        }
        result["memory"] = _phase(
            "memory", config, lambda: asyncio.run(_lookups(stack, tenants, centres, config))
        )
        result["api"] = _phase("api", config, lambda: _api(stack, tenants, config))
        result["pipeline"] = _phase(
            "pipeline",
            config,
            lambda: pipeline_on_full_database(stack, config.pipeline_documents),
        )
    return result


def _measured(sizes: dict[str, Any], phase: str) -> list[dict[str, Any]]:
    """Each size's figures of ``phase`` where it ran and did not fail."""
    return [s[phase] for s in sizes.values() if not {"skipped", "error"} & set(s[phase])]


#: the reads the p99 target names (the issue: "API list, filter and get p99 at 200
#: requests/s"); similar documents has the look-ups' p95 target, approvals none
P99_ENDPOINTS = (
    "GET /v1/work-orders",
    "GET /v1/work-orders?status&priority",
    "GET /v1/work-orders/{id}",
)


def _targets(result: dict[str, Any]) -> dict[str, Any]:
    sizes = result["sizes"]
    api, memory = _measured(sizes, "api"), _measured(sizes, "memory")
    # measured on the target's own mix (list, filter, get) where the run has one
    p99s = [
        a.get("target_reads", a)["endpoints"].get(name, {}).get("p99_ms", 1e9)
        for s in api
        for a in s.values()
        for name in P99_ENDPOINTS
    ]
    overall = [a["overall"].get("p99_ms", 1e9) for s in api for a in s.values()]
    p95s = [m["ms"][k]["p95"] for s in memory for m in s.values() for k in m["ms"]]
    recalls = [
        r for s in memory for m in s.values() for r in m["mean_recall"].values() if r is not None
    ]
    ties = [
        r
        for s in memory
        for m in s.values()
        for r in m.get("mean_recall_ties", {}).values()
        if r is not None
    ]
    worst_p99 = max(p99s) if p99s else None
    worst_p95 = max(p95s) if p95s else None
    worst_recall = min(recalls) if recalls else None
    return {
        "api_p99_ms": worst_p99,  # list, filter and get (P99_ENDPOINTS), every tenant
        "api_p99_met": worst_p99 is not None and worst_p99 < P99_TARGET_MS,
        # the six reads together at the same rate (similar documents and approvals too)
        "api_p99_all_reads_ms": max(overall) if overall else None,
        "lookup_p95_ms": worst_p95,
        "lookup_p95_met": worst_p95 is not None and worst_p95 < LOOKUP_P95_TARGET_MS,
        "worst_recall": worst_recall,
        "recall_met": worst_recall is not None and worst_recall >= RECALL_TARGET,
        "worst_recall_ties": min(ties) if ties else None,
        "recall_ties_met": bool(ties) and min(ties) >= RECALL_TARGET,
    }


def run(config: ScaleConfig, *, smoke: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "meta": _report.meta("scale", smoke=smoke),
        "config": asdict(config),
        "sizes": {str(n): run_size(n, config) for n in config.sizes},
    }
    result["targets"] = _targets(result)
    return result


def _unmeasured(phase: dict[str, Any]) -> str | None:
    if "skipped" in phase:
        return "not measured"
    if "error" in phase:
        return f"failed ({phase['error']})"
    return None


def _api_figure(api: dict[str, Any], rate: int) -> str:
    if gap := _unmeasured(api):
        return f"API {gap}"
    big, tiny = api[next(iter(api))], api[list(api)[-1]]
    target = [a.get("target_reads", a)["overall"].get("p99_ms") for a in (big, tiny)]
    return (
        f"API p99 {target[0]} ms (biggest tenant) / {target[1]} ms (smallest) at {rate} rps "
        f"of list, filter and get; {big['overall'].get('p99_ms')} / "
        f"{tiny['overall'].get('p99_ms')} ms with approvals, items and similar documents"
    )


def _memory_figure(memory: dict[str, Any]) -> str:
    if gap := _unmeasured(memory):
        return f"look-ups {gap}"
    p95 = max(m["ms"][k]["p95"] for m in memory.values() for k in m["ms"])
    recall = min(r for m in memory.values() for r in m["mean_recall"].values() if r is not None)
    ties = min(
        (
            r
            for m in memory.values()
            for r in m.get("mean_recall_ties", {}).values()
            if r is not None
        ),
        default=None,
    )
    return (
        f"look-up p95 ≤ {p95} ms, mean recall@k ≥ {recall} (every tenant; "
        f"{ties} counting ties as ann-benchmarks does)"
    )


def _pipeline_figure(pipeline: dict[str, Any]) -> str:
    if gap := _unmeasured(pipeline):
        return gap
    p95 = pipeline["latency_s"].get("p95")
    return f"{pipeline['docs_per_second']} docs/s ({pipeline['workers']} workers, p95 {p95} s)"


def figures(result: dict[str, Any]) -> str:
    parts = []
    for size, s in result["sizes"].items():
        parts.append(
            f"{size} docs: load {s['load']['documents_per_second']} docs/s, "
            f"{s['storage']['bytes_per_document']} B/doc; "
            f"{_api_figure(s['api'], result['config']['rate'])}; "
            f"{_memory_figure(s['memory'])}; "
            f"pipeline {_pipeline_figure(s['pipeline'])}; "
            f"load avg {s['load_average'][0]}"
        )
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = _report.parser_for(__doc__)
    parser.add_argument("--sizes", help="comma-separated document counts, e.g. 10000,100000")
    parser.add_argument("--queries", type=int, help="look-ups per tenant and kind")
    parser.add_argument("--seconds", type=int, help="measured seconds of API load per tenant")
    parser.add_argument(
        "--phases",
        help=f"what to measure after the load, comma-separated (default: {','.join(PHASES)})",
    )
    args = parser.parse_args(argv)
    exit_on_sigterm()
    config = SMOKE if args.smoke else ScaleConfig()
    if args.sizes:
        config = replace(config, sizes=tuple(int(n) for n in args.sizes.split(",")))
    if args.queries:
        config = replace(config, queries=args.queries)
    if args.seconds:
        config = replace(config, seconds=args.seconds)
    if args.phases:
        phases = tuple(p.strip() for p in args.phases.split(",") if p.strip())
        if unknown := set(phases) - set(PHASES):
            parser.error(f"unknown phase(s): {', '.join(sorted(unknown))}; known: {PHASES}")
        config = replace(config, phases=phases)
    result = run(config, smoke=args.smoke)
    return _report.finish(result, figures(result), args)


if __name__ == "__main__":
    sys.exit(main())
