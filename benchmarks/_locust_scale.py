"""Locust users for :mod:`benchmarks.scale` (run by locust in its own process).

The same fixed-schedule user as :mod:`benchmarks._locustfile` (see there), reading what an
operator's dashboards and reviewers read, in equal shares: the work-order list, the list
filtered by status and priority, one work order, one order's items, the approvals waiting,
and the documents similar to one item. With ``BENCH_READS=target`` only the three reads the
p99 target names — the list, the filtered list and one work order — in equal shares. Ids
come at random from the JSON object in ``BENCH_ORDER_IDS`` (``orders`` and ``items``);
``BENCH_TOKEN`` is the bearer token.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from locust import task

import benchmarks._locustfile as base  # as a module: locust would run its Reader too

HEADERS = base.HEADERS
IDS = json.loads(Path(os.environ["BENCH_ORDER_IDS"]).read_text())


class ScaleReader(base.Reader):
    """One API client reading a big database on a fixed schedule."""

    @task
    def filter_orders(self) -> None:
        self.client.get(
            "/v1/work-orders?status=COMPLETED&priority=HIGH&limit=20",
            headers=HEADERS,
            name="GET /v1/work-orders?status&priority",
        )

    @task
    def list_approvals(self) -> None:
        self.client.get("/v1/approvals?limit=50", headers=HEADERS, name="GET /v1/approvals")

    @task
    def similar(self) -> None:
        item = random.choice(IDS["items"])
        self.client.get(
            f"/v1/work-items/{item}/similar?limit=5",
            headers=HEADERS,
            name="GET /v1/work-items/{id}/similar",
        )


if os.environ.get("BENCH_READS") == "target":
    ScaleReader.tasks = [
        base.Reader.list_orders,
        ScaleReader.filter_orders,
        base.Reader.get_order,
    ]
