"""The API's hot reads: work-order pages and items on autocommit connections, verified
tokens remembered, and pooled connections pinged only after they have waited."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db import direct
from myloware.db.base import WorkOrderStatus
from myloware.db.engine import PING_IDLE_S, create_engine, read_session_factory
from myloware.db.models import WorkOrder
from myloware.services import order_reads
from tests.auth_support import TokenFor
from tests.ui_support import bearer, sign_in

INVOICE = "ACME Supplies\nInvoice INV-1\nDate: 2024-03-01\nTotal: 12.50 EUR"


async def test_a_page_past_the_end_still_counts_the_orders(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """A page beyond the last order is empty and still says how many orders match."""
    headers = token_for("acme")
    for priority in ("LOW", "HIGH"):
        body = {"priority": priority, "work_items": [{"type": "INVOICE", "content": INVOICE}]}
        assert (await api.post("/v1/work-orders", json=body, headers=headers)).status_code == 201
    past = await api.get("/v1/work-orders?limit=5&offset=5", headers=headers)
    assert past.status_code == 200
    assert past.json()["data"] == []
    assert past.json()["pagination"] == {"total": 2, "limit": 5, "offset": 5, "total_exact": True}
    low = await api.get("/v1/work-orders?priority=LOW&status=PENDING", headers=headers)
    assert [o["priority"] for o in low.json()["data"]] == ["LOW"]
    assert low.json()["pagination"]["total"] == 1
    other = await api.get("/v1/work-orders", headers=token_for("globex"))
    assert other.json()["pagination"]["total"] == 0 and other.json()["data"] == []


async def test_the_total_stops_counting_at_the_cap(
    api: httpx.AsyncClient, token_for: TokenFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big tenant's list does not count all its orders on every page: past the cap the
    total says "at least" (API ``total_exact: false``, UI "2+ orders"), pages still read."""
    monkeypatch.setattr(order_reads, "COUNT_CAP", 2)
    headers = token_for("acme")
    body = {"work_items": [{"type": "INVOICE", "content": INVOICE}]}
    for _ in range(3):
        assert (await api.post("/v1/work-orders", json=body, headers=headers)).status_code == 201
    first = (await api.get("/v1/work-orders?limit=2", headers=headers)).json()
    assert first["pagination"] == {"total": 2, "limit": 2, "offset": 0, "total_exact": False}
    last = (await api.get("/v1/work-orders?limit=2&offset=2", headers=headers)).json()
    assert len(last["data"]) == 1
    past = (await api.get("/v1/work-orders?limit=2&offset=9", headers=headers)).json()
    assert past["data"] == [] and past["pagination"]["total_exact"] is False
    one = (await api.get("/v1/work-orders?priority=MEDIUM&limit=1", headers=headers)).json()
    assert one["pagination"]["total_exact"] is False
    cookie = await sign_in(api, bearer(headers))
    page = await api.get("/ui/", headers=cookie)
    assert page.status_code == 200 and "2+ orders" in page.text
    assert "pending <b>2+</b>" in page.text and "failed <b>0</b>" in page.text  # per status


async def test_items_in_position_order_and_an_order_without_items_lists_none(
    api: httpx.AsyncClient,
    token_for: TokenFor,
    sessions: async_sessionmaker[AsyncSession],
    tenants: dict[str, uuid.UUID],
) -> None:
    """An order's items come in their order; one without items lists none (200), an
    unknown or foreign order is 404."""
    headers = token_for("acme")
    body = {"work_items": [{"type": "INVOICE", "content": f"{INVOICE} #{i}"} for i in range(3)]}
    order = (await api.post("/v1/work-orders", json=body, headers=headers)).json()["data"]
    listed = await api.get(f"/v1/work-orders/{order['id']}/work-items", headers=headers)
    assert [i["content"][-2:] for i in listed.json()["data"]] == ["#0", "#1", "#2"]

    empty_id = uuid.uuid4()
    async with sessions() as session, session.begin():
        session.add(
            WorkOrder(
                id=empty_id,
                tenant_id=tenants["acme"],
                status=WorkOrderStatus.PENDING,
                workflow_id=f"work-order-{empty_id}",
                created_by="test",
            )
        )
    empty = await api.get(f"/v1/work-orders/{empty_id}/work-items", headers=headers)
    assert empty.status_code == 200 and empty.json()["data"] == []
    for path in (f"/v1/work-orders/{empty_id}", f"/v1/work-orders/{order['id']}"):
        foreign = await api.get(f"{path}/work-items", headers=token_for("globex"))
        assert foreign.status_code == 404
    unknown = await api.get(f"/v1/work-orders/{uuid.uuid4()}/work-items", headers=headers)
    assert unknown.status_code == 404


async def test_a_remembered_token_is_refused_once_it_expires(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """A token verified before (and remembered) stops working when its expiry passes."""
    headers = token_for("acme", "work_orders:read", ttl=2)
    assert (await api.get("/v1/work-orders", headers=headers)).status_code == 200
    assert (await api.get("/v1/work-orders", headers=headers)).status_code == 200
    await asyncio.sleep(3)
    refused = await api.get("/v1/work-orders", headers=headers)
    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]["message"]


async def test_read_sessions_and_connections_hold_no_transaction(clean_db: str) -> None:
    """Reads run outside a transaction, and the connection goes back to the pool as it was."""
    engine = create_engine(clean_db, pool_size=1)
    try:
        async with read_session_factory(engine)() as session:
            assert (await session.execute(text("SELECT 1"))).scalar() == 1
            raw = await (await session.connection()).get_raw_connection()
            pg: direct.Connection = raw.driver_connection  # type: ignore[assignment]
            assert pg.info.transaction_status == TransactionStatus.IDLE
        async with direct.autocommit(engine) as pg:
            await pg.execute("SELECT 1")
            assert pg.autocommit and pg.info.transaction_status == TransactionStatus.IDLE
        async with direct.transaction(engine) as pg:  # the same pooled connection
            assert not pg.autocommit
            await pg.execute("SELECT 1")
            assert pg.info.transaction_status == TransactionStatus.INTRANS
    finally:
        await engine.dispose()


async def test_a_pooled_connection_that_died_while_waiting_is_replaced(clean_db: str) -> None:
    """A pooled connection whose server session ended is pinged and replaced before use."""
    engine = create_engine(clean_db, pool_size=1)
    try:
        async with direct.autocommit(engine) as pg:
            first = (await (await pg.execute("SELECT pg_backend_pid()")).fetchall())[0][0]
        killer = create_engine(clean_db, pool_size=1)
        try:
            async with direct.autocommit(killer) as pg:
                await pg.execute("SELECT pg_terminate_backend(%s)", (first,))
        finally:
            await killer.dispose()
        await asyncio.sleep(PING_IDLE_S + 0.2)  # past the window: the checkout pings
        async with direct.autocommit(engine) as pg:
            second = (await (await pg.execute("SELECT pg_backend_pid()")).fetchall())[0][0]
        assert second != first
    finally:
        await engine.dispose()
