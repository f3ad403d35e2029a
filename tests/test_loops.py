"""The long-running loops' helpers: work that a stop does not wait for."""

from __future__ import annotations

import asyncio

from myloware.loops import unless_stopped


async def test_work_done_before_the_stop_gives_its_result() -> None:
    async def quick() -> int:
        return 7

    assert await unless_stopped(asyncio.Event(), quick()) == 7


async def test_a_stop_cancels_the_work_and_gives_none() -> None:
    stop, cancelled = asyncio.Event(), asyncio.Event()

    async def forever() -> int:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 1

    asyncio.get_running_loop().call_later(0.01, stop.set)
    assert await unless_stopped(stop, forever()) is None
    assert cancelled.is_set()


async def test_cancelling_the_caller_cancels_the_work() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    caller = asyncio.create_task(unless_stopped(asyncio.Event(), forever()))
    await started.wait()
    caller.cancel()
    await asyncio.wait({caller})
    await asyncio.sleep(0)  # the work's cancellation is delivered on its next turn
    assert caller.cancelled() and cancelled.is_set()
