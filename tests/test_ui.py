"""The Run Trace UI on the real stack: sign-in, pages of a processed order, isolation, CSRF."""

from __future__ import annotations

import html
import re
import uuid

import httpx

from myloware.settings import Settings
from myloware.ui.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from tests.auth_support import TokenFor, store_api_key
from tests.governance_support import (
    BROKEN_POLICY,
    NO_TOTAL_INVOICE,
    publish_policy,
    submit_waiting_invoice,
    wait_for_item_status,
)
from tests.pipeline_support import AGENTS, AppClient, items_of, wait_for_order
from tests.ui_support import FIXTURES, bearer, csrf_of, sign_in

FINANCE = ("work_orders:read", "work_orders:write", "approvals:decide")


async def test_login_sets_a_strict_http_only_cookie_and_pages_need_it(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """A valid token signs in (HttpOnly, SameSite=Strict cookie); a bad one and no cookie do not."""
    anonymous = await api.get("/ui/work-orders/00000000-0000-0000-0000-000000000000")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/ui/login?next=/ui/work-orders/")
    bounce = await api.get("/ui/approvals", headers={"Sec-Fetch-Site": "cross-site"})
    assert bounce.status_code == 200 and 'http-equiv="refresh" content="0"' in bounce.text
    form = await api.get("/ui/login")
    assert form.status_code == 200 and LOGIN_CSRF_COOKIE in form.cookies
    csp = form.headers["content-security-policy"]
    assert "default-src 'self';" in csp and "script-src" not in csp and "cdn" not in csp
    bad = await api.post(
        "/ui/login", data={"credential": "not-a-token", "csrf_token": csrf_of(form.text)}
    )
    assert bad.status_code == 401 and "invalid token" in bad.text
    assert SESSION_COOKIE not in bad.cookies
    r = await api.post(
        "/ui/login",
        data={
            "credential": bearer(token_for("acme")),
            "csrf_token": csrf_of(form.text),
            "next": "https://evil.example/",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/ui"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/ui" in cookie
    assert "secure" not in cookie  # settings.behind_tls is off in tests
    page = await api.get("/ui")
    assert page.status_code == 200 and "Work orders" in page.text and "user@acme" in page.text


async def test_login_without_its_csrf_value_is_refused(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """The login form's double-submit value must match its cookie."""
    await api.get("/ui/login")
    r = await api.post(
        "/ui/login", data={"credential": bearer(token_for("acme")), "csrf_token": "forged"}
    )
    assert r.status_code == 403 and SESSION_COOKIE not in r.cookies


async def test_api_key_signs_in_like_a_token(
    api: httpx.AsyncClient, tenants: dict[str, uuid.UUID], clean_db: str
) -> None:
    """An API key is checked by the API's own lookup and works as a UI credential."""
    key = await store_api_key(clean_db, tenants["acme"])
    cookie = await sign_in(api, key)
    page = await api.get("/ui/approvals", headers=cookie)
    assert page.status_code == 200 and "Pending approvals" in page.text


async def test_pages_trace_a_processed_order(stack: httpx.AsyncClient, token_for: TokenFor) -> None:
    """List, order and item pages show the agents, a field value and its highlighted span."""
    headers = token_for("acme")
    text = (FIXTURES / "invoice.txt").read_text()
    r = await stack.post(
        "/v1/work-orders",
        json={"priority": "HIGH", "work_items": [{"content": text, "filename": "nw.txt"}]},
        headers=headers,
    )
    order_id = r.json()["data"]["id"]
    assert (await wait_for_order(stack, order_id, headers))["status"] == "COMPLETED"
    [item] = await items_of(stack, order_id, headers)
    cookie = await sign_in(stack, bearer(headers))

    listing = await stack.get("/ui?status=COMPLETED&priority=HIGH", headers=cookie)
    assert order_id[:8] in listing.text and re.search(r"completed <b>1</b>", listing.text)
    assert order_id[:8] not in (await stack.get("/ui?status=FAILED", headers=cookie)).text

    order = await stack.get(f"/ui/work-orders/{order_id}", headers=cookie)
    assert f"/ui/work-items/{item['id']}" in order.text and "nw.txt" in order.text

    page = await stack.get(f"/ui/work-items/{item['id']}", headers=cookie)
    assert page.status_code == 200
    for agent in AGENTS:
        assert f"<b>{agent}</b>" in page.text
    number = item["result"]["fields"]["invoice_number"]
    assert number == "NW-7731"
    assert re.search(rf'<a href="#src-invoice_number" class="src"[^>]*>{number}</a>', page.text)
    mark = re.search(r'<mark id="src-invoice_number"[^>]*>([^<]*)</mark>', page.text)
    assert mark and number in html.unescape(mark.group(1))
    assert "Verification" in page.text and "auto approve" in page.text
    assert "record version 1" in page.text and 'http-equiv="refresh"' not in page.text


async def test_a_foreign_tenants_item_and_order_are_not_found(
    stack: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """Another tenant's ids answer the 404 page, exactly as the API does."""
    headers = token_for("acme")
    r = await stack.post(
        "/v1/work-orders", json={"work_items": [{"content": "Invoice No: X-1"}]}, headers=headers
    )
    order_id = r.json()["data"]["id"]
    [item] = await items_of(stack, order_id, headers)
    foreign = await sign_in(stack, bearer(token_for("globex")))
    for path in (f"/ui/work-items/{item['id']}", f"/ui/work-orders/{order_id}"):
        page = await stack.get(path, headers=foreign)
        assert page.status_code == 404 and "not found" in page.text.lower()
        assert "X-1" not in page.text and "user@acme" not in page.text
    assert (await stack.get("/ui/work-items/not-a-uuid", headers=foreign)).status_code == 404
    assert (await stack.get("/ui/nowhere", headers=foreign)).status_code == 404
    await wait_for_order(stack, order_id, headers)


async def test_decisions_need_the_csrf_token_and_approval_resumes_the_workflow(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """Without CSRF the POST is refused; with it, Approve (and corrections) completes the item."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for("acme", *FINANCE, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(stack, headers)
    cookie = await sign_in(stack, bearer(headers))
    page = await stack.get(f"/ui/work-items/{item_id}", headers=cookie)
    assert "Why a person was asked" in page.text and "invoice-over-1000" in page.text
    assert "(tier 1)" in page.text  # people count tiers from 1 (the API's index is 0)
    assert 'value="APPROVED"' in page.text
    url = f"/ui/work-items/{item_id}/decision"
    signed_out = await stack.post(url, data={"decision": "APPROVED"})
    assert signed_out.status_code == 303  # to sign in, then back to the item, not to a POST URL
    assert signed_out.headers["location"] == f"/ui/login?next=/ui/work-items/{item_id}"
    forged = await stack.post(url, data={"decision": "APPROVED"}, headers=cookie)
    assert forged.status_code == 403
    wrong = await stack.post(url, data={"decision": "APPROVED", "csrf_token": "x"}, headers=cookie)
    assert wrong.status_code == 403
    logout = await stack.post("/ui/logout", data={}, headers=cookie)
    assert logout.status_code == 403
    await wait_for_item_status(stack, item_id, headers, "AWAITING_APPROVAL")

    r = await stack.post(
        url,
        data={
            "csrf_token": csrf_of(page.text),
            "decision": "APPROVED",
            "reason": "PO <matched>",
            "fix.invoice_number": "GX-1001-B",
            "fix.vendor_name": "",
        },
        headers=cookie,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?done=APPROVED")
    assert (await wait_for_order(stack, order_id, headers, timeout_s=20))["status"] == "COMPLETED"
    done = await stack.get(r.headers["location"], headers=cookie)
    assert "Approved — the workflow resumes." in done.text
    assert "PO &lt;matched&gt;" in done.text and "PO <matched>" not in done.text
    assert "GX-1001-B" in done.text and "corrected" in done.text


async def test_refusals_come_back_as_messages(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """Wrong group → 403 and no form; bad corrections or a rejection without a reason → 422
    with what is wrong; decided → 409."""
    await publish_policy(database_url, tenants["acme"])
    owner = token_for("acme", *FINANCE, groups=("finance",))
    _, item_id = await submit_waiting_invoice(stack, owner)
    url = f"/ui/work-items/{item_id}/decision"

    support = await sign_in(stack, bearer(token_for("acme", *FINANCE, groups=("support",))))
    page = await stack.get(f"/ui/work-items/{item_id}", headers=support)
    assert 'value="APPROVED"' not in page.text and "You cannot decide this one" in page.text
    r = await stack.post(
        url, data={"csrf_token": csrf_of(page.text), "decision": "APPROVED"}, headers=support
    )
    assert r.status_code == 403
    assert "membership of the approver group &#39;finance&#39;" in r.text

    finance = await sign_in(stack, bearer(owner))
    token = csrf_of((await stack.get(f"/ui/work-items/{item_id}", headers=finance)).text)
    bad = {"csrf_token": token, "decision": "APPROVED", "fix.invoice_date": "someday soon"}
    r = await stack.post(url, data=bad, headers=finance)
    assert r.status_code == 422 and "invoice_date: cannot be read as date" in r.text
    r = await stack.post(url, data={"csrf_token": token, "decision": "MAYBE"}, headers=finance)
    assert r.status_code == 422
    page = await stack.get(f"/ui/work-items/{item_id}", headers=finance)
    assert re.search(r'<textarea id="reason" name="reason"[^>]* required>', page.text)
    assert re.search(r'value="APPROVED"[^>]* formnovalidate>', page.text)
    assert not re.search(r'value="REJECTED"[^>]* formnovalidate>', page.text)
    assert not re.search(r'value="ESCALATED"[^>]* formnovalidate>', page.text)
    for reason in ("", "  "):
        for decision, verb in (("REJECTED", "reject"), ("ESCALATED", "escalate")):
            no_reason = {"csrf_token": token, "decision": decision, "reason": reason}
            r = await stack.post(url, data=no_reason, headers=finance)
            assert r.status_code == 422 and f"Write a reason to {verb}" in r.text
    rejected = {"csrf_token": token, "decision": "REJECTED", "reason": "duplicate"}
    r = await stack.post(url, data=rejected, headers=finance)
    assert r.status_code == 303
    assert (
        "Rejected — the item ends REJECTED with your reason."
        in (await stack.get(r.headers["location"], headers=finance)).text
    )
    r = await stack.post(url, data={"csrf_token": token, "decision": "APPROVED"}, headers=finance)
    assert r.status_code == 409 and "not awaiting approval" in r.text
    assert "already rejected by user@acme at " in r.text  # who decided, and when


async def test_a_page_left_open_while_the_request_was_escalated_decides_nothing(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """The form carries the tier it showed: escalated meanwhile, Approve is refused (409)
    with where the request waits now, instead of deciding on a tier nobody was shown."""
    await publish_policy(database_url, tenants["acme"])
    both = token_for("acme", *FINANCE, groups=("finance", "finance-leads"))
    _, item_id = await submit_waiting_invoice(stack, both)
    cookie = await sign_in(stack, bearer(both))
    page = (await stack.get(f"/ui/work-items/{item_id}", headers=cookie)).text
    shown = dict(
        re.findall(r'<input type="hidden" name="(request_id|tier)" value="([^"]+)">', page)
    )
    assert shown["tier"] == "0" and shown["request_id"]
    escalated = await stack.post(
        "/v1/approvals",
        json={"work_item_id": item_id, "decision": "ESCALATED", "reason": "over my limit"},
        headers=both,
    )
    assert escalated.status_code == 200
    form = {"csrf_token": csrf_of(page), "decision": "APPROVED", **shown}
    r = await stack.post(f"/ui/work-items/{item_id}/decision", data=form, headers=cookie)
    assert r.status_code == 409
    assert "escalated since" in r.text and "finance-leads" in r.text
    assert "already escalated by user@acme at " in r.text  # who moved it on, and when
    await wait_for_item_status(stack, item_id, both, "AWAITING_APPROVAL")


async def test_deciding_without_read_access_shows_nothing_of_the_item(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """A refused decision re-renders the trace, so the form needs work_orders:read too."""
    await publish_policy(database_url, tenants["acme"])
    _, item_id = await submit_waiting_invoice(
        stack, token_for("acme", *FINANCE, groups=("finance",))
    )
    blind = await sign_in(stack, bearer(token_for("acme", "approvals:decide", groups=("finance",))))
    logout = await stack.get("/ui/logout", headers=blind)
    token = csrf_of(logout.text)
    for decision in ("MAYBE", "APPROVED"):
        r = await stack.post(
            f"/ui/work-items/{item_id}/decision",
            data={"csrf_token": token, "decision": decision},
            headers=blind,
        )
        assert r.status_code == 403
        assert "Extracted fields" not in r.text and "ACME" not in r.text


async def test_approvals_page_lists_what_waits_with_its_sla(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """The pending list shows the item, its group, time left and a Decide link for members."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for("acme", *FINANCE, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(stack, headers)
    cookie = await sign_in(stack, bearer(headers))
    page = await stack.get("/ui/approvals", headers=cookie)
    assert item_id[:8] in page.text and "finance" in page.text
    assert "Globex Corporation" in page.text and "2000.00" in page.text
    assert re.search(r"59 min \d\d s", page.text) and "Decide</a>" in page.text
    assert item_id[:8] not in (await stack.get("/ui/approvals?group=legal", headers=cookie)).text
    order = await stack.get(f"/ui/work-orders/{order_id}", headers=cookie)
    assert "waiting for a person" in order.text and 'content="15"' in order.text


async def test_the_cookie_is_an_opaque_session_id_never_the_credential(
    api: AppClient, token_for: TokenFor, database_url: str
) -> None:
    """The cookie holds a random id that is no API credential; the table holds the
    credential sealed and only a hash of the id; over HTTPS the cookie is Secure."""
    import httpx

    from myloware.db.models import UiSession
    from tests.rows import read_rows

    token = bearer(token_for("acme"))
    cookie = await sign_in(api, token)
    session_id = cookie["Cookie"].split("=", 1)[1]
    assert token not in session_id and len(session_id) >= 40
    for header in ({"Authorization": f"Bearer {session_id}"}, {"X-API-Key": session_id}):
        assert (await api.get("/v1/work-orders", headers=header)).status_code == 401
    [row] = await read_rows(database_url, UiSession)
    assert token not in row.credential and session_id not in row.id_hash
    assert row.subject == "user@acme" and (await api.get("/ui", headers=cookie)).status_code == 200

    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as tls:
        form = await tls.get("/ui/login")
        r = await tls.post(
            "/ui/login", data={"credential": token, "csrf_token": csrf_of(form.text)}
        )
    assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()


async def test_signing_out_ends_the_session_on_the_server(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """After sign-out the very same cookie no longer opens a page (a copy of it is useless)."""
    cookie = await sign_in(api, bearer(token_for("acme")))
    form = await api.get("/ui/logout", headers=cookie)
    out = await api.post("/ui/logout", data={"csrf_token": csrf_of(form.text)}, headers=cookie)
    assert out.status_code == 303
    again = await api.get("/ui", headers=cookie)
    assert again.status_code == 303 and again.headers["location"].startswith("/ui/login")


async def test_an_expired_session_is_refused(
    api: httpx.AsyncClient, token_for: TokenFor, database_url: str
) -> None:
    """A session past its expiry sends the browser to sign in, whatever the credential."""
    from sqlalchemy import update

    from myloware.db.engine import create_engine, session_factory
    from myloware.db.models import UiSession

    cookie = await sign_in(api, bearer(token_for("acme")))
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        await session.execute(update(UiSession).values(expires_at=UiSession.created_at))
    await engine.dispose()
    r = await api.get("/ui", headers=cookie)
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/login")


async def test_a_session_survives_a_restart_of_the_api(
    api: httpx.AsyncClient,
    token_for: TokenFor,
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
) -> None:
    """Sessions live in PostgreSQL: a new API process (with a flushed Redis) still knows one."""
    import redis.asyncio as aioredis

    from tests.pipeline_support import app_client

    cookie = await sign_in(api, bearer(token_for("acme")))
    flush = aioredis.from_url(clean_redis)
    await flush.flushdb()
    await flush.aclose()
    async with app_client(
        settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as restarted:
        page = await restarted.get("/ui", headers=cookie)
    assert page.status_code == 200 and "user@acme" in page.text


async def test_a_missing_total_and_line_items_can_be_filled_in_from_the_page(
    stack: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """The form offers every schema field — the missing total first, marked — and line-item
    rows to add; a bad value comes back 422 naming the field with what was typed kept; the
    total and a row approve the invoice; the order said AWAITING_APPROVAL while it waited."""
    await publish_policy(database_url, tenants["acme"], BROKEN_POLICY)
    headers = token_for("acme", *FINANCE, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(stack, headers, NO_TOTAL_INVOICE)
    cookie = await sign_in(stack, bearer(headers))
    listed = await stack.get("/ui?status=AWAITING_APPROVAL", headers=cookie)
    assert order_id[:8] in listed.text and "awaiting approval" in listed.text
    page = (await stack.get(f"/ui/work-items/{item_id}", headers=cookie)).text
    assert 'name="fix.total_amount"' in page and "(missing)" in page
    assert 'name="fix.due_date"' in page  # not extracted, offered all the same
    assert 'name="row.line_items.0.description"' in page
    assert 'name="row.line_items.shown" value="[]"' in page
    url = f"/ui/work-items/{item_id}/decision"
    form = {
        "csrf_token": csrf_of(page),
        "decision": "APPROVED",
        "row.line_items.shown": "[]",
        "row.line_items.0.description": "Desk",
        "row.line_items.0.amount": "150.00",
    }
    bad = await stack.post(url, data={**form, "fix.total_amount": "a lot"}, headers=cookie)
    assert bad.status_code == 422 and "total_amount" in bad.text
    assert 'value="a lot"' in bad.text and 'value="Desk"' in bad.text
    await wait_for_item_status(stack, item_id, headers, "AWAITING_APPROVAL")
    r = await stack.post(url, data={**form, "fix.total_amount": "150.00"}, headers=cookie)
    assert r.status_code == 303, r.text
    assert (await wait_for_order(stack, order_id, headers, timeout_s=20))["status"] == "COMPLETED"
    item = (await stack.get(f"/v1/work-items/{item_id}", headers=headers)).json()["data"]
    assert item["result"]["fields"]["total_amount"] == "150.00"
    assert item["result"]["fields"]["line_items"] == [{"description": "Desk", "amount": "150.00"}]
