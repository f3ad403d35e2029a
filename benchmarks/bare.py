"""The yardstick: a bare Temporal workflow of 7 no-op activities, nothing else.

Run beside the platform on the same Temporal server and the same number of worker processes,
it shows what Temporal alone costs for 7 steps, so the platform's figure becomes a ratio.
Two variants: ``regular`` (7 ``execute_activity``, each a task-queue round trip) and ``local``
(7 ``execute_local_activity``, the way the platform runs inline-text items).

Worker role: ``python -m benchmarks.bare --address HOST:PORT --task-queue Q``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
import uuid
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

STEPS = 7
TIMEOUT = timedelta(seconds=60)


@activity.defn(name="bare_noop")
async def noop(step: int) -> int:
    return step


@workflow.defn(name="BareRegularWorkflow")
class BareRegularWorkflow:
    @workflow.run
    async def run(self, steps: int) -> int:
        for step in range(steps):
            await workflow.execute_activity(noop, step, start_to_close_timeout=TIMEOUT)
        return steps


@workflow.defn(name="BareLocalWorkflow")
class BareLocalWorkflow:
    @workflow.run
    async def run(self, steps: int) -> int:
        for step in range(steps):
            await workflow.execute_local_activity(noop, step, start_to_close_timeout=TIMEOUT)
        return steps


VARIANTS: dict[str, Any] = {"regular": BareRegularWorkflow, "local": BareLocalWorkflow}


async def serve(address: str, task_queue: str, namespace: str = "default") -> None:
    """Poll ``task_queue`` with the platform worker's concurrency settings until SIGTERM."""
    client = await Client.connect(address, namespace=namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=list(VARIANTS.values()),
        activities=[noop],
        max_concurrent_activities=16,
        max_concurrent_local_activities=64,
        max_concurrent_workflow_tasks=64,
    )
    async with worker:
        await stop.wait()


async def run_bare(
    address: str, task_queue: str, count: int, variant: str, namespace: str = "default"
) -> dict[str, Any]:
    """Start ``count`` workflows at once and time them (server start → close per workflow)."""
    from benchmarks._report import percentiles  # not at import: workflow sandbox re-imports us

    client = await Client.connect(address, namespace=namespace)
    wf = VARIANTS[variant]
    run_id = uuid.uuid4().hex[:8]
    first = time.time()
    handles = await asyncio.gather(
        *(
            client.start_workflow(
                wf.run, STEPS, id=f"bare-{variant}-{run_id}-{i}", task_queue=task_queue
            )
            for i in range(count)
        )
    )
    await asyncio.gather(*(h.result() for h in handles))
    described = await asyncio.gather(*(h.describe() for h in handles))
    latency = [
        (d.close_time - d.start_time).total_seconds() for d in described if d.close_time is not None
    ]
    last = max(d.close_time.timestamp() for d in described if d.close_time is not None)
    wall = last - first
    return {
        "variant": variant,
        "workflows": count,
        "wall_seconds": round(wall, 3),
        "workflows_per_second": round(count / wall, 2) if wall > 0 else 0.0,
        "latency_s": percentiles(latency),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="bare 7-activity Temporal worker")
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--namespace", default="default")
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.task_queue, args.namespace))


if __name__ == "__main__":
    main()
