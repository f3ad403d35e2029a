"""The API's lazily connected Temporal client: one connect per app, whatever its loop —
against the embedded Temporal server."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from myloware.settings import Settings
from myloware.temporal_client import connect as real_connect
from myloware.web import temporal


async def _contended(state: Any) -> list[Any]:
    """Three callers at once; the API's state holds its own client afterwards."""
    return list(await asyncio.gather(*(temporal.temporal_client(state) for _ in range(3))))


def test_each_app_connects_once_on_its_own_loop(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, temporal_address: str
) -> None:
    """Two apps on two event loops (a test's API thread beside its worker, a second app in
    one process), each with callers waiting on the connect: neither fails, each connects
    once. (A lock shared by the module was bound to the first loop that waited on it and
    failed in the next: the order's workflow start was deferred to the reconciler.)"""
    connects: list[str] = []

    async def counted(settings: Settings, address: str) -> Any:
        connects.append(address)  # counted, then the real connect
        return await real_connect(settings, address)

    monkeypatch.setattr(temporal, "connect", counted)

    def app() -> Any:
        return SimpleNamespace(
            temporal=None,
            temporal_lock=asyncio.Lock(),
            settings=settings,
            temporal_address=temporal_address,
        )

    first, second = app(), app()
    clients = asyncio.run(_contended(first))
    assert len({id(c) for c in clients}) == 1 and clients[0] is first.temporal
    others = asyncio.run(_contended(second))
    assert len({id(c) for c in others}) == 1 and others[0] is not clients[0]
    assert connects == [temporal_address, temporal_address]  # one connect per app
