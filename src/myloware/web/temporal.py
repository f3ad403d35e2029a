"""A lazily connected, shared Temporal client for the API process, and starting a work
order's workflow with it (whatever the order came through: REST, Slack, e-mail)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import structlog

from myloware.temporal_client import connect
from myloware.web.state import AppState

log = structlog.get_logger(__name__)


async def temporal_client(state: AppState) -> Any:
    """Connect on first use (the API starts even while Temporal is still coming up)."""
    if state.temporal is not None:
        return state.temporal
    async with state.temporal_lock:
        if state.temporal is None:
            state.temporal = await asyncio.wait_for(
                connect(state.settings, state.temporal_address), 5
            )
    return state.temporal


async def dispatch(state: AppState, order_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
    """Start the order's workflow; if Temporal is down the worker's reconciler starts it later."""
    if state.dispatcher is None:
        return
    try:
        await state.dispatcher(order_id, tenant_id)
    except Exception as exc:  # the order is safely stored; the reconciler retries the start
        log.warning("workflow_start_deferred", work_order_id=str(order_id), error=str(exc))
