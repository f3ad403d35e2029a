"""Locust users for :mod:`benchmarks.api_latency` (run by locust in its own process).

Each user sends one request every ``1 / BENCH_USER_RPS`` seconds on a fixed schedule that
starts at a random phase, wrk2-style: the schedule does not slip when a response is slow
(the next request goes out at once), and the users' requests spread evenly over time instead
of arriving together. (Locust's ``constant_throughput`` re-aligns every user's schedule to
the same phase after a start-up delay, which turns a rate into synchronised bursts.)
Equal weights: the work-order list, one work order, and one order's items, ids drawn at
random from the JSON list in ``BENCH_ORDER_IDS``. ``BENCH_TOKEN`` is the bearer token.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import gevent
from locust import FastHttpUser, task

_IDS = json.loads(Path(os.environ["BENCH_ORDER_IDS"]).read_text())
#: a list of order ids, or an object whose "orders" are (benchmarks.scale adds "items")
ORDER_IDS: list[str] = _IDS["orders"] if isinstance(_IDS, dict) else _IDS
PERIOD_S = 1 / float(os.environ.get("BENCH_USER_RPS", "1"))
HEADERS = {"Authorization": f"Bearer {os.environ['BENCH_TOKEN']}"}


class Reader(FastHttpUser):
    """One API client reading work orders on a fixed schedule."""

    _next_at = 0.0

    def on_start(self) -> None:
        gevent.sleep(random.uniform(0, PERIOD_S))
        self._next_at = time.monotonic()

    def wait_time(self) -> float:
        self._next_at += PERIOD_S
        return max(0.0, self._next_at - time.monotonic())

    @task
    def list_orders(self) -> None:
        self.client.get("/v1/work-orders?limit=20", headers=HEADERS, name="GET /v1/work-orders")

    @task
    def get_order(self) -> None:
        order = random.choice(ORDER_IDS)
        self.client.get(
            f"/v1/work-orders/{order}", headers=HEADERS, name="GET /v1/work-orders/{id}"
        )

    @task
    def get_items(self) -> None:
        order = random.choice(ORDER_IDS)
        self.client.get(
            f"/v1/work-orders/{order}/work-items",
            headers=HEADERS,
            name="GET /v1/work-orders/{id}/work-items",
        )
