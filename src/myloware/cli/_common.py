"""Shared CLI helpers: consoles, settings loading, async running."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from rich.console import Console

from myloware.logs import configure_logging
from myloware.settings import Settings, load_settings

console = Console()
console_err = Console(stderr=True)
T = TypeVar("T")


def settings_for_cli(*, quiet_logs: bool = True) -> Settings:
    settings = load_settings()
    configure_logging(
        "WARNING" if quiet_logs else settings.log_level,
        json=settings.log_json,
        debug_content=settings.debug_log_content,
    )
    return settings


def run(coro: Coroutine[Any, Any, T], *, uvloop: bool = False) -> T:
    """Run ``coro`` to completion; on uvloop's event loop when asked (and installed)."""
    loop_factory = None
    if uvloop:
        try:
            import uvloop as fast
        except ImportError:  # an optional speed-up (uvicorn[standard] brings it)
            pass
        else:
            loop_factory = fast.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(coro)
