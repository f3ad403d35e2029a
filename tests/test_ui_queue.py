"""The approvals queue made for deciding: type, vendor, total, date, the reason in the rule's
words, SLA; sorting and filtering (UI and API); approving several items at once."""

from __future__ import annotations

import re
import uuid

import httpx

from myloware.db.models import AuditLog
from tests.auth_support import TokenFor
from tests.governance_support import BIG_INVOICE, publish_policy, submit_waiting_invoice
from tests.rows import read_rows
from tests.ui_support import bearer, csrf_of, sign_in

FINANCE = ("work_orders:read", "work_orders:write", "approvals:decide")


def invoice(vendor: str, number: str, total: str = "2,000.00") -> str:
    """BIG_INVOICE from another vendor, with its own number and total."""
    return (
        BIG_INVOICE.replace("Globex Corporation", vendor)
        .replace("GX-1001", number)
        .replace("2,000.00", total)
    )


async def test_the_queue_says_why_in_plain_words_and_sorts_and_filters(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """Each row has its type, vendor, total, date and the rule's own reason (the engine's
    explanation behind a <details>); vendor, type and sort narrow and order both the page
    and GET /v1/approvals, whose default order stays due soonest first."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for("acme", *FINANCE, groups=("finance",))
    _, globex = await submit_waiting_invoice(stack, headers)
    _, initech = await submit_waiting_invoice(
        stack, headers, invoice("Initech LLC", "IN-7", "3,000.00")
    )
    cookie = await sign_in(stack, bearer(headers))

    page = (await stack.get("/ui/approvals", headers=cookie)).text
    assert globex[:8] in page and initech[:8] in page
    rows = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "<td>invoice</td>" in rows and "2024-02-01" in rows, rows
    why = re.findall(r'<td class="why">([^<]*)', page)
    assert why and all(w.strip().startswith("large amount") for w in why), why
    assert "REQUIRE_APPROVAL because rule" not in "".join(why)
    assert "<summary" in page and "REQUIRE_APPROVAL because rule" in page  # one click away
    assert 'type="checkbox" name="item"' in page and "Approve selected" in page

    only = (await stack.get("/ui/approvals?vendor=initech", headers=cookie)).text
    assert initech[:8] in only and globex[:8] not in only
    tickets = (await stack.get("/ui/approvals?document_type=TICKET", headers=cookie)).text
    assert globex[:8] not in tickets and "Nothing is waiting" in tickets
    by_vendor = (await stack.get("/ui/approvals?sort=vendor", headers=cookie)).text
    assert by_vendor.index(globex[:8]) < by_vendor.index(initech[:8])
    assert 'value="vendor" selected' in by_vendor

    async def listed(query: str) -> list[dict[str, object]]:
        r = await stack.get(f"/v1/approvals{query}", headers=headers)
        assert r.status_code == 200, r.text
        return list(r.json()["data"])

    default = await listed("")
    assert [a["work_item_id"] for a in default] == [globex, initech]  # due soonest first
    assert [a["vendor"] for a in default] == ["Globex Corporation", "Initech LLC"]
    first = default[0]
    assert first["document_type"] == "INVOICE" and first["date"] == "2024-02-01"
    assert str(first["reason"]).startswith("large amount")
    assert "because rule 'invoice-over-1000'" in str(first["explanation"])
    assert [a["work_item_id"] for a in await listed("?vendor=GLOBEX")] == [globex]
    assert await listed("?document_type=ticket") == []
    assert len(await listed("?document_type=INVOICE&group=finance")) == 2
    by_vendor_desc = await listed("?sort=vendor")
    assert [a["vendor"] for a in by_vendor_desc] == ["Globex Corporation", "Initech LLC"]
    assert (await stack.get("/v1/approvals?sort=size", headers=headers)).status_code == 422


async def test_approve_selected_decides_each_item_and_reports_the_refused_one(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """Three items chosen, one decided meanwhile: the other two are approved, each audited
    on its own, and the third is listed with why it was refused."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for("acme", *FINANCE, groups=("finance",))
    ids = [
        (await submit_waiting_invoice(stack, headers, invoice(v, n)))[1]
        for v, n in (("Globex Corporation", "GX-1"), ("Initech LLC", "IN-2"), ("Acme", "AC-3"))
    ]
    cookie = await sign_in(stack, bearer(headers))
    middle = (await stack.get(f"/ui/work-items/{ids[1]}", headers=cookie)).text
    assert f'href="/ui/work-items/{ids[0]}#decide" rel="prev" data-key="prev"' in middle
    assert f'href="/ui/work-items/{ids[2]}#decide" rel="next" data-key="next"' in middle
    assert "<kbd>a</kbd> approve" in middle and 'id="decide-form"' in middle
    page = (await stack.get("/ui/approvals", headers=cookie)).text
    chosen = re.findall(r'name="item" value="([^"]+)"', page)
    assert sorted(c.split(":")[0] for c in chosen) == sorted(ids)
    rejected = await stack.post(
        "/v1/approvals",
        json={"work_item_id": ids[2], "decision": "REJECTED", "reason": "duplicate"},
        headers=headers,
    )
    assert rejected.status_code == 200, rejected.text

    r = await stack.post(
        "/ui/approvals/approve",
        data={"csrf_token": csrf_of(page), "item": chosen},
        headers=cookie,
    )
    assert r.status_code == 200, r.text
    assert "Approved 2 of 3" in r.text
    refused = re.search(rf"item {ids[2][:8]}</a>: ([^<]+)</li>", r.text)
    assert refused and "not awaiting approval" in refused.group(1)
    audit = [a for a in await read_rows(database_url, AuditLog) if a.action == "approval.approved"]
    assert sorted(str(a.resource_id) for a in audit) == sorted(ids[:2])
    assert all(a.user_id == "user@acme" for a in audit)

    forged = await stack.post(
        "/ui/approvals/approve", data={"csrf_token": "forged", "item": chosen}, headers=cookie
    )
    assert forged.status_code == 403
