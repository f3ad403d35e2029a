"""Bad input gets a clear 4xx in the one error format and changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from myloware.settings import Settings
from tests.auth_support import TokenFor


async def _count(api: httpx.AsyncClient, headers: dict[str, str]) -> int:
    r = await api.get("/v1/work-orders", headers=headers)
    return int(r.json()["pagination"]["total"])


async def test_malformed_json_is_400_with_request_id(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
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
async def test_invalid_bodies_are_422_and_store_nothing(
    api: httpx.AsyncClient, token_for: TokenFor, body: dict[str, Any]
) -> None:
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
async def test_bad_pagination_and_filters_are_422(
    api: httpx.AsyncClient, token_for: TokenFor, query: str
) -> None:
    """Negative, huge or non-numeric pagination and unknown filter values are refused."""
    r = await api.get(f"/v1/work-orders?{query}", headers=token_for("acme"))
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("path", ["/v1/work-orders/not-a-uuid", "/v1/work-items/123/attempts"])
async def test_non_uuid_ids_are_422(api: httpx.AsyncClient, token_for: TokenFor, path: str) -> None:
    """Ids that are not UUIDs are a validation error, not a server error."""
    r = await api.get(path, headers=token_for("acme"))
    assert r.status_code == 422


async def test_oversized_body_is_413(
    api: httpx.AsyncClient, token_for: TokenFor, settings: Settings
) -> None:
    """A body over MYLOWARE_MAX_BODY_BYTES is refused before it is parsed."""
    big = "x" * (settings.max_body_bytes + 10)
    r = await api.post(
        "/v1/work-orders", json={"work_items": [{"content": big}]}, headers=token_for("acme")
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    assert await _count(api, token_for("acme")) == 0


@pytest.mark.parametrize(
    "raw",
    [
        '{"work_items": [{"content": "Invoice\\u0000 1"}]}',
        '{"work_items": [{"content": "x", "filename": "a\\u0000.txt"}]}',
        '{"metadata": {"ref": "po\\u0000"}, "work_items": [{"content": "x"}]}',
        '{"metadata": {"k\\u0000": 1}, "work_items": [{"content": "x"}]}',
        '{"metadata": {"deep": [{"x": ["\\u0000"]}]}, "work_items": [{"content": "x"}]}',
        '{"metadata": {"note": "lone \\ud800 surrogate"}, "work_items": [{"content": "x"}]}',
    ],
)
async def test_text_postgresql_cannot_store_is_422_and_stores_nothing(
    api: httpx.AsyncClient, token_for: TokenFor, raw: str
) -> None:
    """A NUL character or a lone surrogate anywhere in the body is a 422 naming the problem."""
    headers = {**token_for("acme"), "Content-Type": "application/json"}
    r = await api.post("/v1/work-orders", content=raw.encode(), headers=headers)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert any("NUL" in d["msg"] or "surrogate" in d["msg"] for d in err["details"])
    assert await _count(api, token_for("acme")) == 0


async def test_upload_cleans_a_nul_in_a_file_name_and_refuses_one_in_metadata(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """A file name loses its control characters; NUL in the metadata field is a 422."""
    headers = token_for("acme")
    body = (  # by hand: httpx would percent-encode the NUL, a raw client need not
        b'--b\r\nContent-Disposition: form-data; name="files"; filename="inv\x00oice.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nInvoice 1\r\n--b--\r\n"
    )
    multipart = {**headers, "Content-Type": "multipart/form-data; boundary=b"}
    r = await api.post("/v1/work-orders/upload", content=body, headers=multipart)
    assert r.status_code == 201, r.text
    order_id = r.json()["data"]["id"]
    items = await api.get(f"/v1/work-orders/{order_id}/work-items", headers=headers)
    assert [i["filename"] for i in items.json()["data"]] == ["invoice.txt"]
    bad = await api.post(
        "/v1/work-orders/upload",
        files={"files": ("invoice.txt", b"Invoice 1", "text/plain")},
        data={"metadata": '{"ref": "po\\u0000"}'},
        headers=headers,
    )
    assert bad.status_code == 422, bad.text
    assert "NUL" in bad.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/v1/approvals", {"work_item_id": str(uuid.uuid4()), "decision": "REJECTED",
                                   "reason": "no\x00"}),
        ("post", "/v1/policies", {"yaml": "name: p\x00"}),
        ("post", "/v1/connectors", {"name": "hook\x00", "type": "WEBHOOK",
                                    "config": {"url": "https://example.com/h"}}),
        ("post", "/v1/api-keys", {"name": "k\x00", "capabilities": ["work_orders:read"]}),
        ("post", "/v1/accounts", {"username": "ann", "display_name": "A\x00"}),
        ("post", "/v1/accounts", {"username": "ann", "groups": ["fin\x00"]}),
        ("post", "/v1/accounts/ann%00/disable", None),
        ("get", "/v1/audit-logs?action=%00", None),
        ("get", "/v1/approvals?group=%00", None),
    ],
)  # fmt: skip
async def test_nul_in_other_requests_is_a_4xx_never_500(
    api: httpx.AsyncClient,
    token_for: TokenFor,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    """Approvals' reasons, policies, connectors, API keys, accounts and query parameters with
    NUL are refused with a 4xx (422 where the input is checked), never a 500."""
    headers = token_for("acme", "admin")
    kwargs = {"json": body} if body is not None else {}
    r = await getattr(api, method)(path, headers=headers, **kwargs)
    assert 400 <= r.status_code < 500, r.text
