"""The API's lazily connected Temporal client: one connect per app, whatever its loop."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from myloware.web import temporal


def _state() -> Any:
    return SimpleNamespace(
        temporal=None, temporal_lock=asyncio.Lock(), settings=None, temporal_address="x"
    )


async def _contended(state: Any) -> list[Any]:
    return list(await asyncio.gather(*(temporal.temporal_client(state) for _ in range(3))))


def test_each_app_connects_once_on_its_own_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two apps on two event loops (a test's API thread beside its worker, a second app in
    one process), each with callers waiting on the connect: neither fails, each connects
    once. (A lock shared by the module was bound to the first loop that waited on it and
    failed in the next: the order's workflow start was deferred to the reconciler.)"""
    connects: list[str] = []

    async def connect(settings: Any, address: str) -> str:
        await asyncio.sleep(0.05)  # the others wait on the lock meanwhile
        connects.append(address)
        return f"client {len(connects)}"

    monkeypatch.setattr(temporal, "connect", connect)
    first, second = _state(), _state()
    assert asyncio.run(_contended(first)) == ["client 1"] * 3
    assert asyncio.run(_contended(second)) == ["client 2"] * 3
    assert len(connects) == 2
