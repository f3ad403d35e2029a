"""Waiting in tests: one poller, ``eventually``, for everything that happens in the background.

A test that waits polls for the state it expects instead of sleeping a fixed time; a test that
checks that *nothing* happened first waits for the code under test to have finished (a request
answered, a handler's in-flight set drained, a counter moved) and then asserts.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 15.0


@overload
async def eventually(
    check: Callable[[], Awaitable[T | None]],
    *,
    timeout_s: float = ...,
    interval: float = ...,
    message: str = ...,
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T | None],
    *,
    timeout_s: float = ...,
    interval: float = ...,
    message: str = ...,
) -> T: ...


async def eventually(
    check: Callable[[], Any],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    interval: float = 0.02,
    message: str = "",
) -> Any:
    """Call ``check`` (sync or async) until it returns something truthy, and return that.

    Fails the test with ``message`` and the last value seen when ``timeout_s`` seconds pass
    first. Exceptions from ``check`` propagate: a check that cannot be evaluated yet should
    return a falsy value instead of raising.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        result = check()
        found = await result if inspect.isawaitable(result) else result
        if found:
            return found
        if loop.time() > deadline:
            what = message or getattr(check, "__name__", "the condition")
            raise AssertionError(f"{what}: not so after {timeout_s} s (last: {found!r})")
        await asyncio.sleep(interval)
