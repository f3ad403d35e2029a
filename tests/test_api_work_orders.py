"""The work-order endpoints: happy paths, pagination, idempotency and tenant isolation."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.auth_support import TokenFor

INVOICE = "ACME Supplies\nInvoice INV-1\nDate: 2024-03-01\nTotal: 12.50 EUR"


def order_body(n: int = 1, **extra: object) -> dict[str, object]:
    return {
        "priority": "HIGH",
        "metadata": {"source": "test"},
        "work_items": [{"type": "INVOICE", "content": f"{INVOICE} #{i}"} for i in range(n)],
        **extra,
    }


async def test_create_get_and_list_work_order(api: httpx.AsyncClient, token_for: TokenFor) -> None:
    """A created work order is returned in the envelope, readable by id and listed."""
    headers = token_for("acme")
    created = await api.post("/v1/work-orders", json=order_body(2), headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["success"] is True
    order = body["data"]
    assert order["status"] == "PENDING"
    assert order["priority"] == "HIGH"
    assert order["workflow_id"] == f"work-order-{order['id']}"
    assert order["metadata"] == {"source": "test"}

    got = await api.get(f"/v1/work-orders/{order['id']}", headers=headers)
    assert got.status_code == 200
    assert got.json()["data"]["id"] == order["id"]

    items = await api.get(f"/v1/work-orders/{order['id']}/work-items", headers=headers)
    assert items.status_code == 200
    data = items.json()["data"]
    assert [i["status"] for i in data] == ["QUEUED", "QUEUED"]
    assert data[0]["content"].endswith("#0")

    item = await api.get(f"/v1/work-items/{data[0]['id']}", headers=headers)
    assert item.status_code == 200 and item.json()["data"]["type"] == "INVOICE"
    attempts = await api.get(f"/v1/work-items/{data[0]['id']}/attempts", headers=headers)
    assert attempts.status_code == 200 and attempts.json()["data"] == []


async def test_list_filters_and_paginates_with_total(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """Listing filters by status/priority and pages with limit/offset and a total."""
    headers = token_for("acme")
    for priority in ("LOW", "HIGH", "HIGH"):
        r = await api.post(
            "/v1/work-orders", json={**order_body(), "priority": priority}, headers=headers
        )
        assert r.status_code == 201
    page = await api.get("/v1/work-orders?priority=HIGH&limit=1&offset=1", headers=headers)
    assert page.status_code == 200
    body = page.json()
    assert body["pagination"] == {"total": 2, "limit": 1, "offset": 1, "total_exact": True}
    assert len(body["data"]) == 1 and body["data"][0]["priority"] == "HIGH"
    done = await api.get("/v1/work-orders?status=COMPLETED", headers=headers)
    assert done.json()["pagination"]["total"] == 0


async def test_idempotency_key_returns_the_same_order(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """Repeating a create with the same Idempotency-Key returns the first order, once."""
    headers = {**token_for("acme"), "Idempotency-Key": "abc-123"}
    first = await api.post("/v1/work-orders", json=order_body(), headers=headers)
    second = await api.post("/v1/work-orders", json=order_body(), headers=headers)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    listed = await api.get("/v1/work-orders", headers=token_for("acme"))
    assert listed.json()["pagination"]["total"] == 1
    other_tenant = await api.post(
        "/v1/work-orders",
        json=order_body(),
        headers={**token_for("globex"), "Idempotency-Key": "abc-123"},
    )
    assert other_tenant.status_code == 201
    assert other_tenant.json()["data"]["id"] != first.json()["data"]["id"]


async def test_concurrent_creates_with_one_idempotency_key_make_one_order(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """Eight simultaneous creates with the same key: one 201, seven replays of that order
    (a create that loses the race finds the winner instead of failing), one order stored."""
    headers = {**token_for("acme"), "Idempotency-Key": "race-1"}
    answers = await asyncio.gather(
        *(api.post("/v1/work-orders", json=order_body(), headers=headers) for _ in range(8))
    )
    assert sorted(r.status_code for r in answers) == [200] * 7 + [201]
    assert len({r.json()["data"]["id"] for r in answers}) == 1
    listed = await api.get("/v1/work-orders", headers=token_for("acme"))
    assert listed.json()["pagination"]["total"] == 1


async def test_foreign_ids_answer_404_exactly_like_missing_ones(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """Another tenant's order, items and attempts are indistinguishable from missing ones."""
    created = await api.post("/v1/work-orders", json=order_body(), headers=token_for("acme"))
    order_id = created.json()["data"]["id"]
    items = await api.get(f"/v1/work-orders/{order_id}/work-items", headers=token_for("acme"))
    item_id = items.json()["data"][0]["id"]
    spy = token_for("globex")
    missing = str(uuid.uuid4())
    for path in (
        "/v1/work-orders/{}",
        "/v1/work-orders/{}/work-items",
    ):
        foreign = await api.get(path.format(order_id), headers=spy)
        absent = await api.get(path.format(missing), headers=spy)
        assert foreign.status_code == absent.status_code == 404
        assert foreign.json()["error"]["code"] == absent.json()["error"]["code"] == "not_found"
    for path in ("/v1/work-items/{}", "/v1/work-items/{}/attempts"):
        foreign = await api.get(path.format(item_id), headers=spy)
        assert foreign.status_code == 404
    listed = await api.get("/v1/work-orders", headers=spy)
    assert listed.json()["pagination"]["total"] == 0
    decision = await api.post(
        "/v1/approvals",
        json={"work_item_id": item_id, "decision": "APPROVED"},
        headers=token_for("globex", "approvals:decide"),
    )
    assert decision.status_code == 404


async def test_approval_on_item_not_waiting_is_a_conflict(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """Deciding on an item that is not awaiting approval answers 409 and changes nothing."""
    created = await api.post("/v1/work-orders", json=order_body(), headers=token_for("acme"))
    order_id = created.json()["data"]["id"]
    items = await api.get(f"/v1/work-orders/{order_id}/work-items", headers=token_for("acme"))
    item_id = items.json()["data"][0]["id"]
    r = await api.post(
        "/v1/approvals",
        json={"work_item_id": item_id, "decision": "APPROVED", "reason": "ok"},
        headers=token_for("acme", "approvals:decide"),
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conflict"
    forbidden = await api.post(
        "/v1/approvals",
        json={"work_item_id": item_id, "decision": "APPROVED"},
        headers=token_for("acme", "work_orders:read"),
    )
    assert forbidden.status_code == 403


@pytest.mark.parametrize("capability", ["work_orders:read"])
async def test_write_requires_write_capability(
    api: httpx.AsyncClient, token_for: TokenFor, capability: str
) -> None:
    """A read-only principal cannot create work orders (403 with the error format)."""
    r = await api.post("/v1/work-orders", json=order_body(), headers=token_for("acme", capability))
    assert r.status_code == 403
    assert r.json()["error"]["details"] == {"required": "work_orders:write"}
