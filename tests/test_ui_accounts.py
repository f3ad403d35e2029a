"""Local accounts: an admin makes them, people sign in to the UI with a password, and their
approver groups decide what they may approve."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from myloware.db.models import ApprovalEvent, AuditLog, UiSession
from myloware.services.accounts import BAD_CREDENTIALS
from tests.auth_support import TokenFor
from tests.governance_support import publish_policy, submit_waiting_invoice
from tests.pipeline_support import AppClient, wait_for_order
from tests.rows import read_rows
from tests.ui_support import csrf_of, password_sign_in

ADMIN = ("admin",)
FINANCE = ["work_orders:read", "work_orders:write", "approvals:decide"]
PASSWORD = "correct horse battery"


async def _create(
    api: AppClient, admin: dict[str, str], username: str, **fields: object
) -> dict[str, object]:
    r = await api.post("/v1/accounts", json={"username": username, **fields}, headers=admin)
    assert r.status_code == 201, r.text
    data: dict[str, object] = r.json()["data"]
    return data


async def _set_password(
    api: AppClient, link: str, password: str, confirm: str | None = None
) -> int:
    url = urlsplit(link)
    page = await api.get(f"{url.path}?{url.query}")
    assert page.status_code == 200 and "Set your password" in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    r = await api.post(
        "/ui/set-password",
        data={
            "token": token.group(1),
            "password": password,
            "confirm": password if confirm is None else confirm,
            "csrf_token": csrf_of(page.text),
        },
    )
    api.cookies.clear()
    return r.status_code


async def test_an_account_made_without_a_password_chooses_one_with_its_link_once(
    api: AppClient, token_for: TokenFor, database_url: str
) -> None:
    """The one-time link sets the password (refusing a short or mistyped one first); it then
    signs in, and the link does not work twice."""
    admin = token_for("acme", *ADMIN)
    made = await _create(api, admin, "Alice", display_name="Alice A", email="alice@acme.test")
    assert made["username"] == "alice" and made["password_set_at"] is None
    link = str(made["set_password_url"])
    assert "/ui/set-password?token=" in link

    r, cookie = await password_sign_in(api, "alice", PASSWORD)
    assert r.status_code == 401 and not cookie  # no password yet: the same refusal
    assert await _set_password(api, link, "short") == 422
    assert await _set_password(api, link, PASSWORD, confirm=PASSWORD + "x") == 422
    assert await _set_password(api, link, PASSWORD) == 303
    assert await _set_password(api, link, "another long password") == 401  # used up

    r, cookie = await password_sign_in(api, "ALICE ", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/ui"
    page = await api.get("/ui", headers=cookie)
    assert page.status_code == 200 and "alice" in page.text
    actions = await read_rows(database_url, AuditLog.action, resource_type="account")
    assert sorted(actions) == ["account.create", "account.password_set", "account.sign_in"]


async def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(
    api: AppClient, token_for: TokenFor
) -> None:
    """No user enumeration: both are 401 with one message, and neither opens a session."""
    await _create(api, token_for("acme", *ADMIN), "bob", password=PASSWORD)
    wrong, cookie_a = await password_sign_in(api, "bob", "not the password at all")
    unknown, cookie_b = await password_sign_in(api, "nobody", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert not cookie_a and not cookie_b
    assert BAD_CREDENTIALS in wrong.text and BAD_CREDENTIALS in unknown.text
    strip = re.compile(r'value="[^"]*"')  # the forms' CSRF values differ
    assert strip.sub("", wrong.text) == strip.sub("", unknown.text)


async def test_disabling_an_account_ends_its_sessions_at_once(
    api: AppClient, token_for: TokenFor, database_url: str
) -> None:
    """A disabled account's open page goes to the login form; it cannot sign in until
    enabled; sign-out everywhere ends every session."""
    admin = token_for("acme", *ADMIN)
    await _create(api, admin, "carol", password=PASSWORD)
    _, cookie = await password_sign_in(api, "carol", PASSWORD)
    assert (await api.get("/ui", headers=cookie)).status_code == 200
    r = await api.post("/v1/accounts/carol/disable", headers=admin)
    assert r.status_code == 200 and r.json()["data"]["disabled_at"] is not None
    refused = await api.get("/ui", headers=cookie)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/ui/login")
    r, cookie = await password_sign_in(api, "carol", PASSWORD)
    assert r.status_code == 401 and "disabled" in r.text and not cookie
    listed = (await api.get("/v1/accounts", headers=admin)).json()["data"]
    assert listed == []
    everyone = (await api.get("/v1/accounts?include_disabled=true", headers=admin)).json()
    assert [a["username"] for a in everyone["data"]] == ["carol"]

    assert (await api.post("/v1/accounts/carol/enable", headers=admin)).status_code == 200
    _, first = await password_sign_in(api, "carol", PASSWORD)
    _, second = await password_sign_in(api, "carol", PASSWORD)
    r = await api.post("/v1/accounts/carol/sign-out", headers=admin)
    assert r.status_code == 200 and r.json()["data"]["sessions_ended"] == 2
    for cookie in (first, second):
        assert (await api.get("/ui", headers=cookie)).status_code == 303
    assert await read_rows(database_url, UiSession) == []


async def test_account_administration_is_for_admins_and_names_are_unique(
    api: AppClient, token_for: TokenFor
) -> None:
    """A non-admin gets 403; a taken name 409; an odd name or capability 422; an unknown
    account 404; a new link for an account keeps its password working until used."""
    admin = token_for("acme", *ADMIN)
    reader = token_for("acme", "work_orders:read")
    r = await api.post("/v1/accounts", json={"username": "dave"}, headers=reader)
    assert r.status_code == 403
    await _create(api, admin, "dave", password=PASSWORD)
    taken = await api.post("/v1/accounts", json={"username": "DAVE"}, headers=admin)
    assert taken.status_code == 409 and "taken" in taken.text
    bad_name = await api.post("/v1/accounts", json={"username": "a b"}, headers=admin)
    assert bad_name.status_code == 422
    bad_cap = await api.post(
        "/v1/accounts", json={"username": "eve", "capabilities": ["tenants:admin"]}, headers=admin
    )
    assert bad_cap.status_code == 422
    short = await api.post(
        "/v1/accounts", json={"username": "eve", "password": "short"}, headers=admin
    )
    assert short.status_code == 422 and "at least 12" in short.text
    assert (await api.post("/v1/accounts/nobody/disable", headers=admin)).status_code == 404
    link = await api.post("/v1/accounts/dave/password-link", headers=admin)
    assert link.status_code == 200 and link.json()["data"]["set_password_url"]
    r, _ = await password_sign_in(api, "dave", PASSWORD)
    assert r.status_code == 303


async def test_an_accounts_approver_groups_decide_what_it_may_approve(
    stack: AppClient, tenants: dict[str, uuid.UUID], database_url: str, token_for: TokenFor
) -> None:
    """A support account sees no decision form and is refused; a finance account approves
    and the workflow completes, with the account named as the decider."""
    await publish_policy(database_url, tenants["acme"])
    admin = token_for("acme", *ADMIN)
    owner = token_for("acme", *FINANCE, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(stack, owner)
    await _create(stack, admin, "sam", password=PASSWORD, capabilities=FINANCE, groups=["support"])
    await _create(
        stack, admin, "fiona", password=PASSWORD, capabilities=FINANCE, groups=["finance"]
    )
    url = f"/ui/work-items/{item_id}/decision"

    _, support = await password_sign_in(stack, "sam", PASSWORD)
    page = await stack.get(f"/ui/work-items/{item_id}", headers=support)
    assert 'value="APPROVED"' not in page.text and "You cannot decide this one" in page.text
    r = await stack.post(
        url, data={"csrf_token": csrf_of(page.text), "decision": "APPROVED"}, headers=support
    )
    assert r.status_code == 403

    _, finance = await password_sign_in(stack, "fiona", PASSWORD)
    page = await stack.get(f"/ui/work-items/{item_id}", headers=finance)
    assert 'value="APPROVED"' in page.text
    r = await stack.post(
        url, data={"csrf_token": csrf_of(page.text), "decision": "APPROVED"}, headers=finance
    )
    assert r.status_code == 303
    assert (await wait_for_order(stack, order_id, owner, timeout_s=20))["status"] == "COMPLETED"
    deciders = await read_rows(database_url, ApprovalEvent.approver_id, work_item_id=item_id)
    assert deciders == ["fiona"]
