"""Tenant isolation, route by route: a second tenant's credentials and the first tenant's ids
reach nothing.

Acme (tenant A) gets one of everything on the real stack (an order processed up to a
waiting approval, an evaluation, a webhook, an e-mail inbox and a Slack connector, an API
key, a dead letter, a policy of its own). Globex (tenant B), holding every capability a
tenant can have and signed in to the UI too, then calls every route of the app with Acme's
ids: each route that names an object answers 404, each list and search answers Globex's own
(empty) view, and no answer anywhere holds any of Acme's ids or values.

The routes are read from the app itself: a route added without a probe here, or without an
exemption that says why it needs none, fails :func:`test_every_route_is_probed_or_exempted`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from myloware.auth.principal import TENANT_CAPABILITIES
from myloware.db.engine import create_engine, session_factory
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.governance_support import publish_policy, submit_waiting_invoice
from tests.pipeline_support import AppClient
from tests.slack_support import (
    ALICE,
    FINANCE,
    GENERAL,
    INBOX,
    SECRET,
    TEAM,
    TOKEN,
    store_connector,
)
from tests.test_events_dead_letters import dead_letter
from tests.ui_support import bearer, csrf_of, sign_in

ADMIN = (*TENANT_CAPABILITIES,)
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@dataclass(frozen=True)
class Probe:
    """One request of tenant B: ``path`` is the route's template, its parameters filled with
    tenant A's ids; ``expect`` the statuses B may be answered."""

    method: str
    path: str
    expect: frozenset[int] = frozenset({404})
    json: Any = None
    data: dict[str, str] | None = None
    params: dict[str, str] = field(default_factory=dict)
    ui: bool = False  # with B's UI session cookie instead of its bearer token
    use: dict[str, str] = field(default_factory=dict)  # parameter -> which of A's ids

    @property
    def route(self) -> tuple[str, str]:
        return self.method, self.path


def _slack_config() -> dict[str, Any]:
    return {
        "team_id": TEAM,
        "bot_token": TOKEN,
        "signing_secret": SECRET,
        "channels": {"finance": FINANCE},
        "default_channel": GENERAL,
        "users": {ALICE: {"subject": "alice@globex.example", "groups": ["finance"]}},
        "intake_channels": [INBOX],
    }


_WEBHOOK = {"url": "http://127.0.0.1:9/hook", "events": ["work_item.*"]}
OK = frozenset({200})
CREATED = frozenset({200, 201})

#: Every route of the app and what tenant B asks of it. ``{…}`` is filled from A's ids.
PROBES: tuple[Probe, ...] = (
    # work orders and items: A's ids are not found; the lists hold none of A's
    Probe("GET", "/v1/work-orders", OK),
    Probe("GET", "/v1/work-orders/{work_order_id}"),
    Probe("GET", "/v1/work-orders/{work_order_id}/work-items"),
    Probe("GET", "/v1/work-items/{work_item_id}"),
    Probe("GET", "/v1/work-items/{work_item_id}/attempts"),
    Probe("GET", "/v1/work-items/{work_item_id}/evaluations"),
    Probe(
        "POST",
        "/v1/work-items/{work_item_id}/evaluations",
        json={"evaluation_type": "leak", "score": 0.5, "passed": True},
    ),
    Probe("GET", "/v1/work-items/{work_item_id}/similar"),
    Probe("GET", "/v1/work-items/{work_item_id}/pages"),
    Probe("GET", "/v1/work-items/{work_item_id}/pages/{number}"),
    Probe(  # A's page without a link A's platform signed: B's credentials are no signature
        "GET",
        "/v1/page-links/{work_item_id}/{number}",
        params={"tenant": "{tenant_id}", "expires": "4102444800", "signature": "0" * 64},
    ),
    Probe("GET", "/v1/memory/search", OK, params={"q": "Globex Corporation GX-1001 invoice"}),
    Probe("DELETE", "/v1/memory/lessons/{work_item_id}"),  # forget A's lesson: not B's to find
    # B creating its own: made in B's tenant, never touching A's (the answer is checked too)
    Probe("POST", "/v1/work-orders", CREATED, json={"work_items": [{"content": "B's own"}]}),
    Probe("POST", "/v1/work-orders/upload", CREATED),  # files=, see _request
    # approvals: A's waiting item cannot be decided, nor seen waiting
    Probe("GET", "/v1/approvals", OK),
    Probe(
        "POST",
        "/v1/approvals",
        json={"work_item_id": "{work_item_id}", "decision": "APPROVED"},
    ),
    # policies: B's own; a dry run on A's item is not found
    Probe("GET", "/v1/policies", OK),
    Probe("GET", "/v1/policies/active", OK),
    Probe("POST", "/v1/policies/dry-run", json={"work_item_id": "{work_item_id}"}),
    Probe("POST", "/v1/policies", frozenset({201, 422}), json={"yaml": "name: b"}),
    # audit, dead letters
    Probe("GET", "/v1/workflow-templates", OK),
    Probe("GET", "/v1/workflow-templates/active", OK, params={"document_type": "INVOICE"}),
    Probe("GET", "/v1/workflow-templates/{template_id}"),
    Probe("POST", "/v1/workflow-templates/{template_id}/activate"),
    Probe("POST", "/v1/workflow-templates/{template_id}/deactivate"),
    Probe("DELETE", "/v1/workflow-templates/{template_id}"),
    Probe(
        "POST",
        "/v1/workflow-templates",
        CREATED,
        json={"name": "b-flow", "version": "1", "document_type": "INVOICE", "settings": {}},
    ),
    Probe("GET", "/v1/tools", OK),
    Probe("PUT", "/v1/tools/{name}", OK, json={"enabled": False}, use={"name": "tool"}),
    Probe("GET", "/v1/audit-logs", OK),
    Probe("GET", "/v1/dead-letters", OK),
    Probe("POST", "/v1/dead-letters/{dead_letter_id}/replay"),
    # connectors: A's webhook, inbox and Slack workspace are not found, whatever B sends
    Probe("GET", "/v1/connectors", OK),
    Probe("GET", "/v1/connectors/{connector_id}"),
    Probe("PATCH", "/v1/connectors/{connector_id}", json={"name": "taken over"}),
    Probe("DELETE", "/v1/connectors/{connector_id}"),
    Probe("GET", "/v1/connectors/{connector_id}/deliveries"),
    Probe(
        "PUT",
        "/v1/connectors/{connector_id}/email",
        json={"allowed_senders": ["*@globex.example"], "document_type": None},
        use={"connector_id": "email_connector_id"},
    ),
    Probe(
        "PUT",
        "/v1/connectors/{connector_id}/slack",
        json=_slack_config(),
        use={"connector_id": "slack_connector_id"},
    ),
    Probe("POST", "/v1/connectors", CREATED, json={"name": "b-hook", "config": _WEBHOOK}),
    Probe("POST", "/v1/connectors/email", CREATED, json={"name": "b-inbox"}),
    # B's own workspace, with A's team id: refused or made as B's, never joined to A's
    Probe(
        "POST",
        "/v1/connectors/slack",
        frozenset({201, 409, 422}),
        json={"name": "b-slack", "config": _slack_config()},
    ),
    # API keys: A's key cannot be revoked; the list holds B's alone
    Probe("GET", "/v1/api-keys", OK),
    Probe("POST", "/v1/api-keys/{key}/revoke", use={"key": "api_key_id"}),
    Probe("POST", "/v1/api-keys", CREATED, json={"name": "b-key"}),
    # accounts: A's cannot be disabled, enabled, reset or signed out, by id or username
    Probe("GET", "/v1/accounts", OK),
    Probe("POST", "/v1/accounts", CREATED, json={"username": "b-person"}),
    Probe("POST", "/v1/accounts/{account}/disable", use={"account": "account_id"}),
    Probe("POST", "/v1/accounts/{account}/disable", use={"account": "account_username"}),
    Probe("POST", "/v1/accounts/{account}/enable", use={"account": "account_id"}),
    Probe("POST", "/v1/accounts/{account}/password-link", use={"account": "account_id"}),
    Probe("POST", "/v1/accounts/{account}/password-link", use={"account": "account_username"}),
    Probe("POST", "/v1/accounts/{account}/sign-out", use={"account": "account_id"}),
    # B's admin ending the sessions of A's person by name ends none of A's
    Probe("POST", "/v1/sessions/sign-out", OK, json={"subject": "acme-person"}),
    # tenants: platform operators only (tenants:admin, which no tenant's admin holds)
    Probe("GET", "/v1/tenants", frozenset({403})),
    Probe("POST", "/v1/tenants", frozenset({403}), json={"slug": "b-made", "name": "B"}),
    Probe("GET", "/v1/tenants/{tenant_id}", frozenset({403})),
    Probe("PATCH", "/v1/tenants/{tenant_id}", frozenset({403}), json={"status": "DISABLED"}),
    Probe("GET", "/v1/schemas", OK),  # the shared catalogue of document types
    # the cockpit's reports: B's own (empty) costs and accuracy, never A's evaluation or order
    Probe("GET", "/v1/costs", OK),
    Probe("GET", "/v1/accuracy", OK),
    Probe("GET", "/health", frozenset({200, 503})),
    Probe("GET", "/metrics", OK),  # platform-wide figures, no tenant's ids or values
    # the UI, signed in as B
    Probe("GET", "/ui", OK, ui=True),
    Probe("GET", "/ui/", OK, ui=True),
    Probe("GET", "/ui/approvals", OK, ui=True),
    Probe("GET", "/ui/search", OK, params={"q": "GX-1001"}, ui=True),
    Probe("GET", "/ui/costs", OK, ui=True),
    Probe("GET", "/ui/accuracy", OK, ui=True),
    Probe("GET", "/ui/work-orders/{work_order_id}", ui=True),
    Probe("GET", "/ui/work-items/{work_item_id}", ui=True),
    Probe("GET", "/ui/work-items/{work_item_id}/pages/{number}", ui=True),
    Probe(
        "POST",
        "/ui/work-items/{work_item_id}/decision",
        data={"decision": "APPROVED"},  # csrf_token added: B's own, valid
        ui=True,
    ),
    Probe(  # approving A's item in bulk: not found, nothing decided
        "POST",
        "/ui/approvals/approve",
        data={"item": "{work_item_id}:{work_item_id}:0"},  # csrf_token added
        ui=True,
    ),
    Probe("GET", "/ui/{rest}", params={}, ui=True),  # rest: A's order id, an unknown page
)

#: Routes no second tenant can reach A's data through, and why.
EXEMPT: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): "the API's description: no tenant data",
    ("HEAD", "/openapi.json"): "the API's description: no tenant data",
    ("GET", "/redoc"): "documentation page: no tenant data",
    ("GET", "/docs"): "documentation page: no tenant data",
    ("GET", "/ui/login"): "the sign-in form: no tenant data",
    ("POST", "/ui/login"): "signs in with the caller's own credential (tests/test_ui.py)",
    ("GET", "/ui/logout"): "ends the caller's own session",
    ("POST", "/ui/logout"): "ends the caller's own session",
    ("GET", "/ui/static/{name}"): "the UI's static files, the same for every tenant",
    ("GET", "/ui/set-password"): "the set-password form: no tenant data",
    ("POST", "/ui/set-password"): (
        "sets the password of the one account whose one-time token the caller holds "
        "(tests/test_ui_accounts.py)"
    ),
    ("GET", "/ui/oidc/start"): "sends the caller to the identity provider: no tenant data",
    ("GET", "/ui/oidc/callback"): (
        "signs in the person the identity provider vouches for, in the tenant its claims "
        "map to (tests/test_ui_oidc.py)"
    ),
    ("GET", "/ui/events"): (
        "an endless event stream (the ASGI test transport would wait for its end): "
        "tests/test_ui_live.py serves it over a socket and checks that tenant B's stream "
        "skips tenant A's event"
    ),
    ("POST", "/slack/events"): (
        "the tenant is the connector whose signing secret signed the request, never a "
        "parameter: tests/test_slack_approvals.py refuses forged signatures"
    ),
}


def _routes_of(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path template) of every route, through included routers."""
    for route in routes:
        context = getattr(route, "include_context", None)
        if context is not None:  # FastAPI includes routers lazily, keeping their prefix here
            yield from _routes_of(route.original_router.routes, prefix + context.prefix)
            continue
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None)
        if path is None or not methods:  # mounts (the docs' assets) serve files
            continue
        template = _PARAM.sub(r"{\1}", prefix + path)
        for method in methods:
            yield method, template


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    return set(_routes_of(app.routes))


def test_every_route_is_probed_or_exempted(settings: Settings) -> None:
    """A new route must get a probe in PROBES or a reason in EXEMPT; a removed one, leave."""
    from myloware.api.app import create_app

    app = create_app(
        settings,
        database_url="postgresql+asyncpg://unused/unused",
        redis_url="redis://unused",
        temporal_address="unused:7233",
    )
    routes = app_routes(app)
    assert ("GET", "/v1/work-orders/{work_order_id}") in routes  # the walk finds included ones
    assert ("GET", "/ui/work-items/{work_item_id}") in routes
    probed = {p.route for p in PROBES}
    covered = probed | set(EXEMPT)
    assert not probed & set(EXEMPT), "a route is both probed and exempted"
    assert sorted(routes - covered) == [], "routes without an isolation probe or exemption"
    assert sorted(covered - routes) == [], "probes or exemptions for routes that are gone"
    with_ids = {r for r in routes if "{" in r[1]}
    assert with_ids - set(EXEMPT) <= {p.route for p in PROBES if "{" in p.path}


@dataclass
class TenantA:
    ids: dict[str, str]
    values: tuple[str, ...]  # what must never reach B: A's ids and a few of its values

    def fill(self, text: str, use: dict[str, str] | None = None) -> str:
        return text.format(**{**self.ids, **{p: self.ids[k] for p, k in (use or {}).items()}})


async def _make_tenant_a(
    api: AppClient, token_for: TokenFor, tenants: dict[str, uuid.UUID], database_url: str
) -> TenantA:
    await publish_policy(database_url, tenants["acme"])
    admin = token_for("acme", *ADMIN, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(api, admin)
    r = await api.post(
        f"/v1/work-items/{item_id}/evaluations",
        json={"evaluation_type": "acme-eval", "score": 0.9, "passed": True},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    hook = await api.post(
        "/v1/connectors", json={"name": "acme-hook", "config": _WEBHOOK}, headers=admin
    )
    inbox = await api.post("/v1/connectors/email", json={"name": "acme-inbox"}, headers=admin)
    key = await api.post("/v1/api-keys", json={"name": "acme-key"}, headers=admin)
    person = await api.post("/v1/accounts", json={"username": "acme-person"}, headers=admin)
    template = await api.post(
        "/v1/workflow-templates",
        json={"name": "acme-flow", "version": "1", "document_type": "INVOICE", "settings": {}},
        headers=admin,
    )
    for answer in (hook, inbox, key, template, person):
        assert answer.status_code == 201, answer.text
    await store_connector(database_url, tenants["acme"], "http://127.0.0.1:9/api/")
    connectors = (await api.get("/v1/connectors", headers=admin)).json()["data"]
    [slack] = [c for c in connectors if c["type"] == "SLACK"]
    letter = dead_letter(tenants["acme"])
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        session.add(letter)
    await engine.dispose()
    ids = {
        "work_order_id": order_id,
        "work_item_id": item_id,
        "connector_id": hook.json()["data"]["id"],
        "email_connector_id": inbox.json()["data"]["id"],
        "slack_connector_id": slack["id"],
        "api_key_id": key.json()["data"]["id"],
        "account_id": person.json()["data"]["id"],
        "account_username": "acme-person",
        "dead_letter_id": str(letter.id),
        "tenant_id": str(tenants["acme"]),
        "rest": f"no-such-page/{order_id}",
        "number": "1",  # a page number: not A's, any tenant's first page
        "template_id": template.json()["data"]["id"],
        "tool": "check.arithmetic",  # a platform tool: B switches its own use of it
    }
    mailbox = inbox.json()["data"]["config"]["mailbox"]
    secrets = (
        key.json()["data"]["key"],
        hook.json()["data"]["secret"],
        person.json()["data"]["set_password_url"].partition("token=")[2],
    )
    shared = ("rest", "number", "tool")
    values = (*[v for k, v in ids.items() if k not in shared], mailbox, *secrets, "acme-flow")
    return TenantA(ids=ids, values=(*values, "GX-1001", "user@acme", "acme-eval", "test-finance"))


async def _request(
    api: AppClient, probe: Probe, a: TenantA, bearer_b: dict[str, str], ui_b: dict[str, str]
) -> httpx.Response:
    url = a.fill(probe.path, probe.use)
    headers = ui_b if probe.ui else bearer_b
    json = probe.json
    if isinstance(json, dict):
        json = {k: a.fill(v) if isinstance(v, str) else v for k, v in json.items()}
    data = probe.data
    if data is not None:
        page = await api.get("/ui", headers=ui_b)
        data = {
            **{key: a.fill(value, probe.use) for key, value in data.items()},
            "csrf_token": csrf_of(page.text),
        }
    files = None
    if probe.path == "/v1/work-orders/upload":
        files = {"files": ("b.txt", b"Invoice No: B-1\nTotal EUR 1.00\n", "text/plain")}
    params = {key: a.fill(value, probe.use) for key, value in probe.params.items()}
    r = await api.request(
        probe.method, url, headers=headers, json=json, data=data, files=files, params=params
    )
    r.request.extensions["sent"] = (json, data)  # what B itself named
    return r


async def test_a_second_tenant_reaches_nothing_of_the_first_on_any_route(
    stack: AppClient, token_for: TokenFor, tenants: dict[str, uuid.UUID], database_url: str
) -> None:
    a = await _make_tenant_a(stack, token_for, tenants, database_url)
    bearer_b = token_for("globex", *ADMIN, groups=("finance",))
    ui_b = await sign_in(stack, bearer(bearer_b))
    problems: list[str] = []
    for probe in PROBES:
        r = await _request(stack, probe, a, bearer_b, ui_b)
        where = f"{probe.method} {probe.path} -> {r.status_code}"
        if r.status_code not in probe.expect:
            problems.append(f"{where}, expected {sorted(probe.expect)}: {r.text[:200]}")
        sent = str(r.request.url) + repr(r.request.extensions.get("sent"))
        # a 404 may name the id B sent it ("no work order …"): that tells B nothing new
        leaked = [v for v in a.values if v in r.text and v not in sent]
        if leaked:
            problems.append(f"{where} shows tenant A's {leaked}")
    assert problems == [], "\n".join(problems)

    # and A's objects are untouched by all of it: the item still waits, the key still works
    admin = token_for("acme", *ADMIN, groups=("finance",))
    item = (await stack.get(f"/v1/work-items/{a.ids['work_item_id']}", headers=admin)).json()
    assert item["data"]["status"] == "AWAITING_APPROVAL"
    keys = (await stack.get("/v1/api-keys", headers=admin)).json()["data"]
    assert [k["revoked_at"] for k in keys if k["id"] == a.ids["api_key_id"]] == [None]
    connectors = (await stack.get("/v1/connectors", headers=admin)).json()["data"]
    assert {c["name"] for c in connectors} >= {"acme-hook", "acme-inbox"}
    [person] = (await stack.get("/v1/accounts", headers=admin)).json()["data"]
    assert person["username"] == "acme-person" and person["disabled_at"] is None
