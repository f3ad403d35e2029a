"""Learning from approvals on the real platform (rules extractor, Temporal, PostgreSQL): a
person's corrected vendor address reaches the next document of that vendor with its
provenance, stays within the tenant, and is forgotten on request (audited)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from myloware.db.models import AuditLog
from tests.auth_support import TokenFor
from tests.governance_support import publish_policy, wait_for_item_status
from tests.pipeline_support import wait_for_order
from tests.rows import read_rows

FINANCE = ("work_orders:read", "work_orders:write", "approvals:decide")

INVOICE = """Globex Corporation
1 Corporate Way, Springfield
Building C, Suite 400
VAT ID: DE123456789
INVOICE
Invoice No: GX-{number}
Invoice Date: 01/02/2024
Subtotal {total}
Tax 0.00
Total USD {total}
"""
READ_BY_RULES = "1 Corporate Way, Springfield Building C, Suite 400"
APPROVED = "1 Corporate Way, Springfield"


async def _submit(api: httpx.AsyncClient, headers: dict[str, str], text: str) -> tuple[str, str]:
    r = await api.post("/v1/work-orders", json={"work_items": [{"content": text}]}, headers=headers)
    assert r.status_code == 201, r.text
    order_id = r.json()["data"]["id"]
    items = (await api.get(f"/v1/work-orders/{order_id}/work-items", headers=headers)).json()
    return order_id, items["data"][0]["id"]


async def _processed(
    api: httpx.AsyncClient, headers: dict[str, str], number: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A small (auto-approved) invoice of Globex, processed: its item and ExtractorLLM output."""
    order_id, item_id = await _submit(api, headers, INVOICE.format(number=number, total="200.00"))
    order = await wait_for_order(api, order_id, headers)
    assert order["status"] == "COMPLETED", order
    item = (await api.get(f"/v1/work-items/{item_id}", headers=headers)).json()["data"]
    attempts = (await api.get(f"/v1/work-items/{item_id}/attempts", headers=headers)).json()
    [extracted] = [a["output"] for a in attempts["data"] if a["agent_id"] == "ExtractorLLM"]
    return item, extracted


async def test_an_approved_correction_teaches_the_next_document_until_forgotten(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    await publish_policy(database_url, tenants["acme"])
    acme = token_for("acme", *FINANCE, groups=("finance",))
    # before any approval the rules' reading stands
    item, out = await _processed(stack, acme, 1)
    assert item["result"]["fields"]["vendor_address"] == READ_BY_RULES
    assert out["learned"] == []

    # a person approves a big invoice of Globex, correcting the vendor address
    order_id, taught = await _submit(stack, acme, INVOICE.format(number=2, total="2,000.00"))
    await wait_for_item_status(stack, taught, acme, "AWAITING_APPROVAL")
    r = await stack.post(
        "/v1/approvals",
        json={
            "work_item_id": taught,
            "decision": "APPROVED",
            "corrections": {"vendor_address": APPROVED},
        },
        headers=acme,
    )
    assert r.status_code == 200, r.text
    assert (await wait_for_order(stack, order_id, acme))["status"] == "COMPLETED"

    # the next invoice of Globex (same tax id) comes out with the approved address
    item, out = await _processed(stack, acme, 3)
    assert item["result"]["fields"]["vendor_address"] == APPROVED
    [learned] = out["learned"]
    assert learned["field"] == "vendor_address" and learned["work_item_id"] == taught
    assert learned["provenance"].startswith(
        f"memory: learned from the approval of {taught} by user@acme, "
    )
    assert "(matched by vendor tax id)" in learned["provenance"]
    assert out["record"]["fields"]["vendor_address"]["source"] == learned["provenance"]
    learner = item["id"]

    # another tenant learns nothing from acme's approval
    globex = token_for("globex", *FINANCE)
    item, out = await _processed(stack, globex, 4)
    assert item["result"]["fields"]["vendor_address"] == READ_BY_RULES
    assert out["learned"] == []

    # acme's admin makes the platform forget it: the lesson, and what it taught item 3
    admin = token_for("acme", "admin")
    assert (
        await stack.delete(f"/v1/memory/lessons/{uuid.uuid4()}", headers=admin)
    ).status_code == 404
    assert (await stack.delete(f"/v1/memory/lessons/{taught}", headers=acme)).status_code == 403
    r = await stack.delete(f"/v1/memory/lessons/{taught}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["also_forgotten"] == [learner]
    [audit] = [
        a for a in await read_rows(database_url, AuditLog) if a.action == "memory.lesson_forgotten"
    ]
    assert str(audit.resource_id) == taught and audit.tenant_id == tenants["acme"]
    item, out = await _processed(stack, acme, 5)
    assert item["result"]["fields"]["vendor_address"] == READ_BY_RULES
    assert out["learned"] == []


async def test_a_new_vendor_is_one_never_approved_in_the_tenant(
    clean_db: str, tenants: dict[str, uuid.UUID]
) -> None:
    """Known: an approved (completed, verified), not forgotten record of the tenant with the
    same name or tax id. A failed or unverified item, or another tenant's, does not count."""
    from myloware.db.direct import jsonb, transaction
    from myloware.db.engine import create_engine
    from myloware.db.hot_sql import known_vendor
    from tests.test_memory_store import remembered

    engine = create_engine(clean_db, pool_size=2)
    acme, globex = tenants["acme"], tenants["globex"]
    try:
        approved = await remembered(engine, acme, None, vendor="Initech")
        await remembered(engine, acme, None, vendor="Failed Co", status="FAILED")
        await remembered(engine, acme, None, vendor="Unverified Co", passed=False)
        await remembered(engine, globex, None, vendor="Globex Only")
        async with transaction(engine) as pg:
            await pg.execute(
                "UPDATE records SET data = data || %s WHERE work_item_id = %s",
                (jsonb({"vendor_tax_id": "DE 123-456-789"}), approved),
            )
        this = await remembered(engine, acme, None, vendor="this", status="PROCESSING")

        async def known(vendor: str, tax_id: str | None = None) -> bool:
            async with transaction(engine) as pg:
                return await known_vendor(
                    pg, tenant_id=acme, vendor=vendor, item_id=this, tax_id=tax_id
                )

        assert await known("initech")
        assert await known("initech gmbh (renamed)", tax_id="de123456789")
        assert not await known("failed co")
        assert not await known("unverified co")
        assert not await known("globex only")
        async with transaction(engine) as pg:  # forgotten: never approved, for the policy
            await pg.execute(
                "UPDATE mem_docs SET metadata = metadata || %s WHERE work_item_id = %s",
                (jsonb({"forgotten": {"by": "admin"}}), approved),
            )
        assert not await known("initech")
    finally:
        await engine.dispose()
