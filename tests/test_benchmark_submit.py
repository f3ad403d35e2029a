"""The benchmarks' upload: a dropped connection is retried with the same Idempotency-Key."""

from __future__ import annotations

import uuid

import httpx
import pytest

from benchmarks import _platform
from benchmarks._documents import document_mix
from benchmarks._platform import RESENDS, submit


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_platform, "RESEND_PAUSE_S", 0.0)


def _client(failures: int, keys: list[str]) -> httpx.AsyncClient:
    """A client whose first ``failures`` uploads drop their connection; then 201."""
    order = str(uuid.uuid4())

    def answer(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        if len(keys) <= failures:
            raise httpx.ReadError("connection dropped", request=request)
        return httpx.Response(201, json={"data": {"id": order}})

    return httpx.AsyncClient(base_url="http://api", transport=httpx.MockTransport(answer))


async def test_a_dropped_upload_is_sent_again_with_its_idempotency_key() -> None:
    keys: list[str] = []
    async with _client(2, keys) as client:
        sub = await submit(client, document_mix(1)[0])
    assert sub.resent == 2 and len(keys) == 3
    assert len(set(keys)) == 1  # one key: the API answers a replay, never a second order


async def test_an_upload_that_keeps_dropping_fails() -> None:
    keys: list[str] = []
    async with _client(RESENDS + 1, keys) as client:
        with pytest.raises(httpx.ReadError):
            await submit(client, document_mix(1)[0])
    assert len(keys) == RESENDS + 1
