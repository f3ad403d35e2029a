"""Bad input gets a clear 4xx in the one error format and changes nothing."""

from __future__ import annotations

import pytest


async def _count(api, headers) -> int:  # type: ignore[no-untyped-def]
    r = await api.get("/v1/work-orders", headers=headers)
    return int(r.json()["pagination"]["total"])


async def test_malformed_json_is_400_with_request_id(api, token_for) -> None:
    """A body that is not JSON answers 400 malformed_json and echoes the request id."""
    headers = {**token_for("acme"), "Content-Type": "application/json", "X-Request-ID": "req-42"}
    r = await api.post("/v1/work-orders", content=b"{not json", headers=headers)
    assert r.status_code == 400
    body = r.json()
    assert body["success"] is False
    assert body["error"]["code"] == "malformed_json"
    assert body["request_id"] == "req-42"
    assert r.headers["x-request-id"] == "req-42"
    assert await _count(api, token_for("acme")) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"work_items": []},
        {"work_items": [{"type": "RECEIPTS", "content": "x"}]},
        {"priority": "CRITICAL", "work_items": [{"content": "x"}]},
        {"work_items": [{"content": ""}]},
        {"work_items": [{"content": 42}]},
        {"work_items": "nope"},
        {"work_items": [{"content": "x", "unexpected": True}]},
        {},
    ],
)
async def test_invalid_bodies_are_422_and_store_nothing(api, token_for, body) -> None:
    """Unknown enum values, wrong types, empty or missing items are refused with details."""
    r = await api.post("/v1/work-orders", json=body, headers=token_for("acme"))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert err["details"] and all("loc" in d and "msg" in d for d in err["details"])
    assert await _count(api, token_for("acme")) == 0


@pytest.mark.parametrize(
    "query",
    [
        "limit=-1",
        "limit=0",
        "limit=100000",
        "offset=-5",
        "offset=99999999999",
        "status=DONE",
        "priority=urgent",
        "limit=abc",
    ],
)
async def test_bad_pagination_and_filters_are_422(api, token_for, query: str) -> None:
    """Negative, huge or non-numeric pagination and unknown filter values are refused."""
    r = await api.get(f"/v1/work-orders?{query}", headers=token_for("acme"))
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("path", ["/v1/work-orders/not-a-uuid", "/v1/work-items/123/attempts"])
async def test_non_uuid_ids_are_422(api, token_for, path: str) -> None:
    """Ids that are not UUIDs are a validation error, not a server error."""
    r = await api.get(path, headers=token_for("acme"))
    assert r.status_code == 422


async def test_oversized_body_is_413(api, token_for, settings) -> None:
    """A body over MYLOWARE_MAX_BODY_BYTES is refused before it is parsed."""
    big = "x" * (settings.max_body_bytes + 10)
    r = await api.post(
        "/v1/work-orders", json={"work_items": [{"content": big}]}, headers=token_for("acme")
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    assert await _count(api, token_for("acme")) == 0
