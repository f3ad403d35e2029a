"""A lazily connected, shared Temporal client for the API process."""

from __future__ import annotations

import asyncio
from typing import Any

from myloware.api.state import AppState

_lock = asyncio.Lock()


async def temporal_client(state: AppState) -> Any:
    """Connect on first use (the API starts even while Temporal is still coming up)."""
    if state.temporal is not None:
        return state.temporal
    async with _lock:
        if state.temporal is None:
            from myloware.workflows.client import connect

            state.temporal = await asyncio.wait_for(
                connect(state.settings, state.temporal_address), 5
            )
    return state.temporal
