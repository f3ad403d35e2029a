"""Policies and helpers shared by the governance tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from myloware.db.engine import create_engine, session_factory
from myloware.policy import load_policy
from myloware.services.policies import store_policy
from tests.polling import eventually

FINANCE_POLICY = """
name: test-finance
version: "2"
description: Invoices over 1,000 need finance; a ladder of two tiers; fail closed.
default_action: AUTO_APPROVE
on_sla_exhausted: REJECT
approver_groups:
  finance:
    - {group: finance, sla: 1h}
    - {group: finance-leads, sla: 2h}
rules:
  - id: invoice-over-1000
    description: Invoice total above 1,000
    when: {type: amount_above, threshold: "1000"}
    then: {action: REQUIRE_APPROVAL, approver_group: finance, reason: large amount}
"""

BIG_INVOICE = """Globex Corporation
1 Corporate Way, Springfield
INVOICE
Invoice No: GX-1001
Invoice Date: 01/02/2024
Subtotal 2,000.00
Tax 0.00
Total USD 2,000.00
"""


#: sends every record with a validation error to finance (a missing total, say)
BROKEN_POLICY = """
name: test-broken
version: "7"
description: Records with validation errors need finance; fail closed.
default_action: AUTO_APPROVE
on_sla_exhausted: REJECT
approver_groups:
  finance:
    - {group: finance, sla: 1h}
rules:
  - id: validation-errors
    description: SchemaGuard found errors
    when: {type: validation_errors, min_count: 1}
    then: {action: REQUIRE_APPROVAL, approver_group: finance, reason: the record has errors}
"""

#: an invoice without a total: total_amount, a required field, is missing
NO_TOTAL_INVOICE = """Globex Corporation
1 Corporate Way, Springfield
INVOICE
Invoice No: GX-2002
Invoice Date: 01/02/2024
"""


async def publish_policy(
    database_url: str, tenant_id: uuid.UUID, text: str = FINANCE_POLICY
) -> None:
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        await store_policy(session, policy=load_policy(text), tenant_id=tenant_id, principal=None)
    await engine.dispose()


async def wait_for_item_status(
    api: httpx.AsyncClient,
    item_id: str,
    headers: dict[str, str],
    status: str,
    timeout_s: float = 30,
) -> dict[str, Any]:
    """The work item once its status is ``status``."""

    async def reached() -> dict[str, Any] | None:
        item = (await api.get(f"/v1/work-items/{item_id}", headers=headers)).json()["data"]
        return dict(item) if item["status"] == status else None

    return await eventually(
        reached, timeout_s=timeout_s, interval=0.05, message=f"item {item_id} never {status}"
    )


async def submit_waiting_invoice(
    api: httpx.AsyncClient, headers: dict[str, str], content: str = BIG_INVOICE
) -> tuple[str, str]:
    """Submit an invoice (BIG_INVOICE unless told) and wait until it awaits approval;
    returns (order id, item id)."""
    item: dict[str, str] = {"content": content}
    if content != BIG_INVOICE:
        item["type"] = "INVOICE"  # no detection to rely on for a made-up document
    r = await api.post("/v1/work-orders", json={"work_items": [item]}, headers=headers)
    assert r.status_code == 201, r.text
    order_id = r.json()["data"]["id"]
    items = (await api.get(f"/v1/work-orders/{order_id}/work-items", headers=headers)).json()[
        "data"
    ]
    item_id = items[0]["id"]
    await wait_for_item_status(api, item_id, headers, "AWAITING_APPROVAL")
    return order_id, item_id
