"""Running the platform's coroutines, on uvloop's event loop where asked and installed.

The long-running roles (API, worker, relay, ``myloware up``) run on uvloop: the worker's
Temporal activations and database round trips, like the API's requests, spend a noticeable
share of their CPU in the event loop itself. Short CLI commands keep asyncio's own loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory(fast: bool) -> Callable[[], asyncio.AbstractEventLoop] | None:
    if not fast:
        return None
    try:
        import uvloop
    except ImportError:  # an optional speed-up (uvicorn[standard] brings it)
        return None
    return uvloop.new_event_loop


def run(coro: Coroutine[Any, Any, T], *, fast: bool = False) -> T:
    """Run ``coro`` to completion; on uvloop when ``fast`` (and installed)."""
    with asyncio.Runner(loop_factory=loop_factory(fast)) as runner:
        return runner.run(coro)
