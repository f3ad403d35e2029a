"""Reports: how fast the cost and accuracy reports answer over a tenant's history.

A fresh embedded PostgreSQL (migrated to head) gets ``--attempts`` agent attempts of one
tenant spread over ``--days`` days (default: a year; one in five a model call with tokens and
cost, one in twenty a retry), as many of a second tenant (noise the reports must skip), and
``--evaluations`` evaluation results with four fields each. Reported: the median and p95 of
``services.costs.cost_report`` and ``services.accuracy.accuracy_report`` over the last 30
days, each run ``--repeat`` times in one session, and the plan of the per-day sum — with the
indexes of migration 0013 and, for comparison, without them.

``python -m benchmarks.reports [--attempts N] [--evaluations N] [--days N] [--repeat N]``
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from benchmarks import _report
from benchmarks._stack import running_stack
from myloware.db.engine import create_engine, session_factory
from myloware.services.accuracy import accuracy_report
from myloware.services.costs import cost_report
from myloware.services.periods import period

#: one tenant's history: an order, items of seven attempts each, evaluations of some items
FILL = """
INSERT INTO tenants (id, slug, name) VALUES (:tenant, :slug, :slug) ON CONFLICT DO NOTHING;
INSERT INTO work_orders (id, tenant_id, status, priority, metadata, workflow_id, created_by)
VALUES (:order, :tenant, 'COMPLETED', 'MEDIUM', '{}', 'bench', 'bench');
INSERT INTO work_items (id, tenant_id, work_order_id, position, content, status)
SELECT md5(:slug || n)::uuid, :tenant, :order, n, 'x', 'COMPLETED'
FROM generate_series(0, :items - 1) n;
INSERT INTO attempts (id, tenant_id, work_item_id, agent_id, attempt_number, status, input,
                      started_at, duration_ms, model, tokens_in, tokens_out, cost_usd)
SELECT gen_random_uuid(), :tenant, md5(:slug || (n / 7))::uuid,
       CASE WHEN n % 5 = 0 THEN 'ExtractorLLM' ELSE 'RecordGen' END,
       CASE WHEN n % 20 = 0 THEN 2 ELSE 1 END, 'COMPLETED', '{}',
       :now - make_interval(secs => (n * 7919 % (:days * 86400))::float), 100,
       CASE WHEN n % 5 = 0 THEN 'gpt-4o-mini' END,
       CASE WHEN n % 5 = 0 THEN 900 END, CASE WHEN n % 5 = 0 THEN 80 END,
       CASE WHEN n % 5 = 0 THEN 0.000183 END
FROM generate_series(0, :attempts - 1) n;
INSERT INTO eval_results (id, tenant_id, work_item_id, evaluation_type, score, metrics, passed,
                          created_at)
SELECT gen_random_uuid(), :tenant, md5(:slug || n)::uuid, 'dataset:bench', 0.75,
       '{"a": {"correct": true, "f1": 1.0}, "b": {"correct": true, "f1": 1.0},
         "c": {"correct": true, "f1": 1.0}, "d": {"correct": false, "f1": 0.0}}', false,
       :now - make_interval(secs => (n * 7919 % (:days * 86400))::float)
FROM generate_series(0, :evaluations - 1) n;
"""


async def _fill(
    url: str, tenant: str, slug: str, attempts: int, evaluations: int, days: int
) -> None:
    engine = create_engine(url, pool_size=1)
    items = attempts // 7 + 1
    params = {
        "tenant": tenant,
        "slug": slug,
        "order": _uuid(slug + "-order"),
        "items": items,
        "attempts": attempts,
        "evaluations": min(evaluations, items),
        "now": datetime.now(UTC) - timedelta(minutes=1),
        "days": days,
    }
    async with engine.begin() as conn:
        for statement in filter(str.strip, FILL.split(";\n")):
            await conn.execute(text(statement), params)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE attempts"))
        await conn.execute(text("VACUUM ANALYZE eval_results"))
    await engine.dispose()


def _uuid(seed: str) -> str:
    return str(uuid.UUID(hashlib.md5(seed.encode()).hexdigest()))


async def _time(url: str, tenant: str, repeat: int) -> dict[str, Any]:
    engine = create_engine(url, pool_size=1)
    asked = period(None, None)
    costs_ms, accuracy_ms = [], []
    async with session_factory(engine)() as session:
        for _ in range(repeat):
            began = time.perf_counter()
            report = await cost_report(session, tenant_id=uuid.UUID(tenant), period=asked)
            costs_ms.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            groups = await accuracy_report(session, tenant_id=uuid.UUID(tenant), period=asked)
            accuracy_ms.append((time.perf_counter() - began) * 1000)
        day = "date(timezone('UTC', started_at))"
        plan = await session.execute(
            text(
                f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT {day}, count(*), "
                "sum(tokens_in), sum(cost_usd) FROM attempts WHERE tenant_id = :t "
                f"AND started_at >= :s AND started_at < :u GROUP BY {day}"
            ),
            {"t": tenant, "s": asked.since, "u": asked.until},
        )
        lines = [row[0] for row in plan.all()]
    await engine.dispose()
    return {
        "cost_report_ms": _report.percentiles(costs_ms),
        "accuracy_report_ms": _report.percentiles(accuracy_ms),
        "runs_summed": report.total.runs,
        "model_calls_summed": report.total.calls,
        "usd_summed": str(report.total.cost_usd),
        "evaluations_summed": sum(g.documents for g in groups),
        "plan": [line.strip() for line in lines if "Scan" in line or "Index" in line],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=200_000)
    parser.add_argument("--evaluations", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with running_stack(api=False, relay=False) as stack:
        url = stack.endpoints.database_url
        tenant, noise = _uuid("bench-tenant"), _uuid("bench-noise")
        began = time.perf_counter()
        for who, slug in ((tenant, "bench"), (noise, "noise")):
            asyncio.run(_fill(url, who, slug, args.attempts, args.evaluations, args.days))
        filled_s = round(time.perf_counter() - began, 1)
        with_index = asyncio.run(_time(url, tenant, args.repeat))

        async def drop() -> None:
            engine = create_engine(url, pool_size=1)
            async with engine.begin() as conn:
                await conn.execute(text("DROP INDEX ix_attempts_tenant_started"))
                await conn.execute(text("DROP INDEX ix_eval_results_tenant_created"))
            await engine.dispose()

        asyncio.run(drop())
        without_index = asyncio.run(_time(url, tenant, args.repeat))
    result = {
        "attempts_per_tenant": args.attempts,
        "evaluations_per_tenant": args.evaluations,
        "tenants": 2,
        "history_days": args.days,
        "report_days": 30,
        "fill_s": filled_s,
        "load_average": list(os.getloadavg()),
        "with_0012_indexes": with_index,
        "without_0012_indexes": without_index,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
