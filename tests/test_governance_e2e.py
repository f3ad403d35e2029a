"""Human approvals through the API on the real Temporal server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import datetime

import httpx

from myloware.db.models import ApprovalEvent, ApprovalRequest, AuditLog
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.governance_support import (
    BIG_INVOICE,
    BROKEN_POLICY,
    FINANCE_POLICY,
    NO_TOTAL_INVOICE,
    publish_policy,
    submit_waiting_invoice,
    wait_for_item_status,
)
from tests.pipeline_support import AppClient, wait_for_order
from tests.rows import count_rows, read_rows

FINANCE = ("work_orders:read", "work_orders:write", "approvals:decide")


async def test_invoice_over_threshold_waits_and_resumes_on_approval(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """A big invoice waits for finance, is listed with its SLA, approved, and completes on
    the decision (long before the SLA would have escalated it)."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for("acme", *FINANCE, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(stack, headers)
    pending = (await stack.get("/v1/approvals", headers=headers)).json()["data"]
    assert [p["work_item_id"] for p in pending] == [item_id]
    assert pending[0]["approver_group"] == "finance"
    assert pending[0]["policy_version"] == "2"
    assert 3500 < pending[0]["seconds_left"] <= 3600
    assert "invoice-over-1000" in pending[0]["explanation"]
    r = await stack.post(
        "/v1/approvals",
        json={"work_item_id": item_id, "decision": "APPROVED", "reason": "checked the PO"},
        headers={**headers, "User-Agent": "pytest-approver"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "APPROVED"
    order = await wait_for_order(stack, order_id, headers, timeout_s=10)
    assert order["status"] == "COMPLETED"
    assert datetime.fromisoformat(order["updated_at"]) < datetime.fromisoformat(
        pending[0]["due_at"]
    )
    assert await count_rows(database_url, ApprovalRequest) == 1  # tier 1 only: no escalation
    [event] = await read_rows(database_url, ApprovalEvent)
    assert (event.decision.value, event.policy_version, event.approver_id) == (
        "APPROVED",
        "2",
        "user@acme",
    )
    audit = [a for a in await read_rows(database_url, AuditLog) if a.action == "approval.approved"]
    assert len(audit) == 1 and audit[0].user_agent == "pytest-approver"
    assert (await stack.get("/v1/approvals", headers=headers)).json()["data"] == []


async def test_concurrent_decisions_one_wins_one_conflicts(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """Two decisions sent at once: exactly one is accepted, the other answers 409."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for("acme", *FINANCE, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(stack, headers)
    answers = await asyncio.gather(
        stack.post(
            "/v1/approvals", json={"work_item_id": item_id, "decision": "APPROVED"}, headers=headers
        ),
        stack.post(
            "/v1/approvals",
            json={"work_item_id": item_id, "decision": "REJECTED", "reason": "duplicate"},
            headers=headers,
        ),
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]
    await wait_for_order(stack, order_id, headers)
    assert len(await read_rows(database_url, ApprovalEvent)) == 1
    again = await stack.post(
        "/v1/approvals", json={"work_item_id": item_id, "decision": "APPROVED"}, headers=headers
    )
    assert again.status_code == 409


async def test_corrections_are_revalidated_before_they_are_accepted(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """Corrections that break the schema are refused with the reason; valid ones are stored."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for("acme", *FINANCE, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(stack, headers)
    bad = await stack.post(
        "/v1/approvals",
        json={
            "work_item_id": item_id,
            "decision": "APPROVED",
            "corrections": {"invoice_date": "the day after tomorrow", "total_amount": "2000.00"},
        },
        headers=headers,
    )
    assert bad.status_code == 422, bad.text
    assert "invoice_date" in bad.json()["error"]["message"]
    await wait_for_item_status(stack, item_id, headers, "AWAITING_APPROVAL")
    good = await stack.post(
        "/v1/approvals",
        json={
            "work_item_id": item_id,
            "decision": "APPROVED",
            "corrections": {"invoice_number": "GX-1001-A", "invoice_date": "2024-02-02"},
        },
        headers=headers,
    )
    assert good.status_code == 200, good.text
    order = await wait_for_order(stack, order_id, headers)
    assert order["status"] == "COMPLETED"
    item = (await stack.get(f"/v1/work-items/{item_id}", headers=headers)).json()["data"]
    assert item["result"]["fields"]["invoice_number"] == "GX-1001-A"
    assert item["result"]["fields"]["invoice_date"] == "2024-02-02"
    assert item["result"]["confidence"]["invoice_number"] == 1.0


async def test_who_may_decide(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """Without approvals:decide → 403; another tenant → 404; outside the group → 403."""
    await publish_policy(database_url, tenants["acme"])
    owner = token_for("acme", *FINANCE, groups=("finance",))
    _, item_id = await submit_waiting_invoice(stack, owner)
    body = {"work_item_id": item_id, "decision": "APPROVED"}
    no_cap = await stack.post(
        "/v1/approvals", json=body, headers=token_for("acme", "work_orders:read")
    )
    assert no_cap.status_code == 403
    foreign = await stack.post(
        "/v1/approvals", json=body, headers=token_for("globex", *FINANCE, groups=("finance",))
    )
    assert foreign.status_code == 404
    wrong_group = await stack.post(
        "/v1/approvals", json=body, headers=token_for("acme", *FINANCE, groups=("support",))
    )
    assert wrong_group.status_code == 403
    assert "finance" in wrong_group.json()["error"]["message"]
    assert await read_rows(database_url, ApprovalEvent) == []
    admin = await stack.post("/v1/approvals", json=body, headers=token_for("acme", "admin"))
    assert admin.status_code == 200


async def test_rejection_fails_the_item_with_the_reason(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """REJECTED ends the item and its order REJECTED (not FAILED) with who rejected it and
    why; while it waited, the order said AWAITING_APPROVAL."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for("acme", *FINANCE, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(stack, headers)
    waiting = (await stack.get(f"/v1/work-orders/{order_id}", headers=headers)).json()["data"]
    assert waiting["status"] == "AWAITING_APPROVAL"
    listed = await stack.get("/v1/work-orders?status=AWAITING_APPROVAL", headers=headers)
    assert order_id in {o["id"] for o in listed.json()["data"]}
    r = await stack.post(
        "/v1/approvals",
        json={"work_item_id": item_id, "decision": "REJECTED", "reason": "duplicate invoice"},
        headers=headers,
    )
    assert r.status_code == 200
    order = await wait_for_order(stack, order_id, headers)
    assert order["status"] == "REJECTED"
    assert order["metadata"]["summary"] == {"completed": 0, "failed": 0, "rejected": 1}
    item = (await stack.get(f"/v1/work-items/{item_id}", headers=headers)).json()["data"]
    assert item["status"] == "REJECTED"
    assert "duplicate invoice" in item["error"] and "user@acme" in item["error"]


async def test_a_rejection_or_escalation_without_a_reason_is_refused(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """REJECTED or ESCALATED with no reason, a null one or a blank one answers 422, as the
    schema says."""
    headers = token_for("acme", *FINANCE, groups=("finance",))
    item_id = str(uuid.uuid4())
    for decision, told in (("REJECTED", "a rejection"), ("ESCALATED", "an escalation")):
        for extra in ({}, {"reason": None}, {"reason": " \n\t"}):
            body = {"work_item_id": item_id, "decision": decision, **extra}
            r = await api.post("/v1/approvals", json=body, headers=headers)
            assert r.status_code == 422, (extra, r.text)
            assert f"{told} needs a reason" in r.text
    schema = (await api.get("/openapi.json")).json()["components"]["schemas"]["ApprovalIn"]
    assert schema["if"]["properties"]["decision"] == {"enum": ["REJECTED", "ESCALATED"]}
    assert schema["then"]["required"] == ["reason"]


async def test_human_escalation_moves_to_the_next_tier(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """ESCALATED hands the request to the next tier; the last tier cannot escalate further."""
    await publish_policy(database_url, tenants["acme"])
    finance = token_for("acme", *FINANCE, groups=("finance",))
    leads = token_for("acme", *FINANCE, groups=("finance-leads",))
    order_id, item_id = await submit_waiting_invoice(stack, finance)
    r = await stack.post(
        "/v1/approvals",
        json={"work_item_id": item_id, "decision": "ESCALATED", "reason": "above my limit"},
        headers=finance,
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["group"] == "finance-leads"
    pending = (await stack.get("/v1/approvals", headers=finance)).json()["data"]
    assert pending[0]["approver_group"] == "finance-leads" and pending[0]["tier"] == 1
    stuck = await stack.post(
        "/v1/approvals",
        json={"work_item_id": item_id, "decision": "ESCALATED", "reason": "still too big"},
        headers=leads,
    )
    assert stuck.status_code == 422
    # a lead deciding from an old view of tier 0 is told it moved on, and nothing changes
    seen = {"work_item_id": item_id, "request_id": pending[0]["id"]}
    stale = await stack.post(
        "/v1/approvals", json={**seen, "tier": 0, "decision": "APPROVED"}, headers=leads
    )
    assert stale.status_code == 409
    assert "escalated since" in stale.json()["error"]["message"]
    assert "tier 2" in stale.json()["error"]["message"]  # people count tiers from 1
    ok = await stack.post(
        "/v1/approvals", json={**seen, "tier": 1, "decision": "APPROVED"}, headers=leads
    )
    assert ok.status_code == 200
    assert (await wait_for_order(stack, order_id, finance))["status"] == "COMPLETED"
    decisions = sorted(e.decision.value for e in await read_rows(database_url, ApprovalEvent))
    assert decisions == ["APPROVED", "ESCALATED"]


async def test_approval_survives_a_worker_restart(
    api: AppClient,
    settings: Settings,
    tenants: dict[str, uuid.UUID],
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
) -> None:
    """A request opened by one worker is approved after a new worker took over."""
    from tests.pipeline_support import running_worker, unique_queue

    await publish_policy(database_url, tenants["acme"])
    local = settings.model_copy(update={"task_queue": unique_queue()})
    api.app.state.myloware.settings = local
    headers = token_for("acme", *FINANCE, groups=("finance",))
    async with running_worker(local, database_url, temporal_address):
        order_id, item_id = await submit_waiting_invoice(api, headers)
    async with running_worker(local, database_url, temporal_address):
        r = await api.post(
            "/v1/approvals", json={"work_item_id": item_id, "decision": "APPROVED"}, headers=headers
        )
        assert r.status_code == 200, r.text
        order = await wait_for_order(api, order_id, headers)
    assert order["status"] == "COMPLETED"


async def test_a_missing_required_field_and_line_items_can_be_filled_in(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """An invoice read without its total waits; corrections may add any schema field and
    line items. A bad line item or an unknown field is refused (422) naming the field; adding
    the total (the only error) lets the approval through with the values stored."""
    await publish_policy(database_url, tenants["acme"], BROKEN_POLICY)
    headers = token_for("acme", *FINANCE, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(stack, headers, NO_TOTAL_INVOICE)
    [pending] = (await stack.get("/v1/approvals", headers=headers)).json()["data"]
    assert pending["vendor"] == "Globex Corporation" and pending["total"] is None
    assert pending["fields"]["invoice_number"] == "GX-2002"
    assert "total_amount" not in {k for k, v in pending["fields"].items() if v is not None}

    def approve(corrections: Mapping[str, object]) -> dict[str, object]:
        return {"work_item_id": item_id, "decision": "APPROVED", "corrections": corrections}

    refused: list[tuple[Mapping[str, object], str]] = [
        (
            {"total_amount": "150.00", "line_items": [{"description": "", "amount": "x"}]},
            "line_items",
        ),
        ({"total_amount": "150.00", "colour": "blue"}, "colour"),
        ({"invoice_number": "GX-2002-A"}, "total_amount"),  # the error left in place
    ]
    for corrections, field in refused:
        bad = await stack.post("/v1/approvals", json=approve(corrections), headers=headers)
        assert bad.status_code == 422, bad.text
        assert field in bad.json()["error"]["message"], bad.text
        await wait_for_item_status(stack, item_id, headers, "AWAITING_APPROVAL")
    good = await stack.post(
        "/v1/approvals",
        json=approve(
            {
                "total_amount": "150.00",
                "line_items": [{"description": "Desk", "quantity": "1", "amount": "150.00"}],
            }
        ),
        headers=headers,
    )
    assert good.status_code == 200, good.text
    assert (await wait_for_order(stack, order_id, headers))["status"] == "COMPLETED"
    item = (await stack.get(f"/v1/work-items/{item_id}", headers=headers)).json()["data"]
    fields = item["result"]["fields"]
    assert fields["total_amount"] == "150.00"
    assert fields["line_items"] == [{"description": "Desk", "quantity": 1.0, "amount": "150.00"}]
    assert item["result"]["validation"]["valid"] is True


async def test_a_policy_rejection_ends_the_item_and_order_rejected(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """A rule that says REJECT ends the item REJECTED with the rule's reason, not FAILED."""
    strict = FINANCE_POLICY.replace(
        "action: REQUIRE_APPROVAL, approver_group: finance", "action: REJECT"
    )
    await publish_policy(database_url, tenants["acme"], strict.replace('"2"', '"9"'))
    headers = token_for("acme", *FINANCE, groups=("finance",))
    r = await stack.post(
        "/v1/work-orders", json={"work_items": [{"content": BIG_INVOICE}]}, headers=headers
    )
    order = await wait_for_order(stack, r.json()["data"]["id"], headers)
    assert order["status"] == "REJECTED"
    [item] = (await stack.get(f"/v1/work-orders/{order['id']}/work-items", headers=headers)).json()[
        "data"
    ]
    assert item["status"] == "REJECTED" and "rejected by policy" in item["error"]


SMALL_INVOICE = BIG_INVOICE.replace("GX-1001", "GX-1002").replace("2,000.00", "200.00")


async def test_an_order_of_several_items_waits_then_ends_rejected(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """Two items, one waiting for finance: the order is AWAITING_APPROVAL while it waits;
    the other completes; the waiting one rejected, the order ends REJECTED with the counts."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for("acme", *FINANCE, groups=("finance",))
    r = await stack.post(
        "/v1/work-orders",
        json={"work_items": [{"content": BIG_INVOICE}, {"content": SMALL_INVOICE}]},
        headers=headers,
    )
    order_id = r.json()["data"]["id"]
    big, small = (
        await stack.get(f"/v1/work-orders/{order_id}/work-items", headers=headers)
    ).json()["data"]
    await wait_for_item_status(stack, big["id"], headers, "AWAITING_APPROVAL")
    await wait_for_item_status(stack, small["id"], headers, "COMPLETED")
    order = (await stack.get(f"/v1/work-orders/{order_id}", headers=headers)).json()["data"]
    assert order["status"] == "AWAITING_APPROVAL"
    decided = await stack.post(
        "/v1/approvals",
        json={"work_item_id": big["id"], "decision": "REJECTED", "reason": "not ours"},
        headers=headers,
    )
    assert decided.status_code == 200, decided.text
    order = await wait_for_order(stack, order_id, headers)
    assert order["status"] == "REJECTED"
    assert order["metadata"]["summary"] == {"completed": 1, "failed": 0, "rejected": 1}
