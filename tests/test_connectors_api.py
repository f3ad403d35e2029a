"""/v1/connectors: outgoing webhooks created, listed, changed and deleted by a tenant's admins."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.engine import transaction
from myloware.db.models import AuditLog, Connector, WebhookDelivery
from myloware.errors import ValidationFailed
from myloware.services.connectors import WebhookSpec, check_slack_api, create_webhook
from myloware.services.slack_connectors import SlackConfig, tenant_connector
from tests.auth_support import TokenFor

HOOK = "https://hooks.example.com/myloware"


def webhook_body(**config: Any) -> dict[str, Any]:
    return {"name": "erp", "config": {"url": HOOK, "events": ["work_order.*"], **config}}


async def create(api: httpx.AsyncClient, headers: dict[str, str], **config: Any) -> dict[str, Any]:
    r = await api.post("/v1/connectors", json=webhook_body(**config), headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json()["data"])


async def test_create_answers_the_secret_once_and_masks_it_afterwards(
    api: httpx.AsyncClient, token_for: TokenFor, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """POST returns a generated secret; GET one and the list show it masked; it is stored."""
    admin = token_for("acme", "admin")
    r = await api.post(
        "/v1/connectors",
        json=webhook_body(description="ERP sync"),
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert "not shown again" in r.json()["message"]
    created = r.json()["data"]
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert created["type"] == "API" and created["status"] == "ACTIVE"
    assert created["config"]["secret"] == "****" + secret[-4:]
    assert created["config"]["url"] == HOOK
    assert created["config"]["description"] == "ERP sync"
    one = (await api.get(f"/v1/connectors/{created['id']}", headers=admin)).json()["data"]
    listed = (await api.get("/v1/connectors", headers=admin)).json()
    assert listed["pagination"]["total"] == 1
    for shown in (one, listed["data"][0]):
        assert "secret" not in shown
        assert shown["config"]["secret"] == "****" + secret[-4:]
        assert secret not in str(shown)
    async with sessions() as session:
        row = await session.get(Connector, uuid.UUID(created["id"]))
    assert row is not None and row.config["secret"] == secret


async def test_a_given_secret_is_kept(api: httpx.AsyncClient, token_for: TokenFor) -> None:
    """A secret chosen by the admin is stored and answered as given."""
    created = await create(api, token_for("acme", "admin"), secret="my-own-secret-0123456789")
    assert created["secret"] == "my-own-secret-0123456789"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (webhook_body(url="ftp://hooks.example.com/x"), "url"),
        (webhook_body(url="https://user:pw@hooks.example.com/x"), "url"),
        (webhook_body(url="not a url"), "url"),
        (webhook_body(events=[]), "events"),
        (webhook_body(events=["work_order.create"]), "events"),
        (webhook_body(secret="short"), "secret"),
        (webhook_body(colour="blue"), "colour"),
        ({**webhook_body(), "type": "SLACK"}, "type"),
        ({**webhook_body(), "owner": "me"}, "owner"),
        ({"config": webhook_body()["config"]}, "name"),
    ],
)
async def test_invalid_webhooks_are_refused_with_the_field_named(
    api: httpx.AsyncClient, token_for: TokenFor, body: dict[str, Any], field: str
) -> None:
    """Bad schemes, credentials, unknown events, short secrets, extra fields: 422 on the field."""
    r = await api.post("/v1/connectors", json=body, headers=token_for("acme", "admin"))
    assert r.status_code == 422, r.text
    assert field in {loc for e in r.json()["error"]["details"] for loc in e["loc"]}


async def test_production_refuses_private_targets(
    sessions: async_sessionmaker[AsyncSession], tenants: dict[str, uuid.UUID]
) -> None:
    """Where private targets are disallowed, a loopback or private URL cannot be saved."""
    for url in ("http://127.0.0.1:9000/hook", "http://10.0.0.5/hook", "http://localhost/h"):
        with pytest.raises(ValidationFailed):
            async with transaction(sessions) as session:
                await create_webhook(
                    session,
                    tenant_id=tenants["acme"],
                    name="internal",
                    spec=WebhookSpec(url=url, events=["*"]),
                    allow_private_targets=False,
                    principal=None,
                )


async def test_only_admins_manage_connectors(api: httpx.AsyncClient, token_for: TokenFor) -> None:
    """Readers and writers get 403 on every connector endpoint; no credential gets 401."""
    user = token_for("acme", "work_orders:read", "work_orders:write")
    assert (await api.post("/v1/connectors", json=webhook_body(), headers=user)).status_code == 403
    assert (await api.get("/v1/connectors", headers=user)).status_code == 403
    assert (await api.get("/v1/connectors")).status_code == 401


async def test_patch_changes_status_and_subscription_and_resets_health(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """PATCH deactivates and re-activates, changes events and URL; ERROR cannot be set."""
    admin = token_for("acme", "admin")
    created = await create(api, admin)
    path = f"/v1/connectors/{created['id']}"
    off = await api.patch(path, json={"status": "INACTIVE"}, headers=admin)
    assert off.status_code == 200, off.text
    assert off.json()["data"]["status"] == "INACTIVE"
    assert off.json()["data"]["last_health_check"] is not None
    changed = await api.patch(
        path,
        json={
            "status": "ACTIVE",
            "name": "erp-v2",
            "config": {"events": ["approval.*", "record.persisted"], "url": HOOK + "/v2"},
        },
        headers=admin,
    )
    data = changed.json()["data"]
    assert data["status"] == "ACTIVE" and data["name"] == "erp-v2"
    assert data["config"]["events"] == ["approval.*", "record.persisted"]
    assert data["config"]["url"] == HOOK + "/v2"
    assert data["config"]["secret"] == created["config"]["secret"]  # untouched
    for bad in (
        {"status": "ERROR"},
        {},
        {"config": {"secret": "x" * 20}},
        {"config": {"events": ["*"], "x": 1}},
    ):
        r = await api.patch(path, json=bad, headers=admin)
        assert r.status_code == 422, (bad, r.text)


async def test_delete_removes_the_connector(api: httpx.AsyncClient, token_for: TokenFor) -> None:
    """DELETE answers 204; the connector is gone (404) and no longer listed."""
    admin = token_for("acme", "admin")
    created = await create(api, admin)
    gone = await api.delete(f"/v1/connectors/{created['id']}", headers=admin)
    assert gone.status_code == 204
    assert (await api.get(f"/v1/connectors/{created['id']}", headers=admin)).status_code == 404
    assert (await api.get("/v1/connectors", headers=admin)).json()["data"] == []


async def test_tenants_cannot_see_or_touch_each_others_connectors(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """Another tenant's connector id is 404 for get, patch, delete and deliveries; lists split."""
    mine = await create(api, token_for("acme", "admin"))
    spy = token_for("globex", "admin")
    path = f"/v1/connectors/{mine['id']}"
    assert (await api.get(path, headers=spy)).status_code == 404
    assert (await api.get(path + "/deliveries", headers=spy)).status_code == 404
    assert (await api.patch(path, json={"status": "INACTIVE"}, headers=spy)).status_code == 404
    assert (await api.delete(path, headers=spy)).status_code == 404
    assert (await api.get("/v1/connectors", headers=spy)).json()["data"] == []
    still = await api.get(path, headers=token_for("acme", "admin"))
    assert still.json()["data"]["status"] == "ACTIVE"


async def test_changes_are_audited_without_the_secret(
    api: httpx.AsyncClient, token_for: TokenFor, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Create, update and delete each leave an audit row naming the admin, never the secret."""
    admin = token_for("acme", "admin")
    created = await create(api, admin)
    path = f"/v1/connectors/{created['id']}"
    await api.patch(path, json={"status": "INACTIVE"}, headers=admin)
    await api.delete(path, headers=admin)
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(AuditLog)
                .where(AuditLog.resource_type == "connector")
                .order_by(AuditLog.created_at)
            )
        ).all()
    assert [r.action for r in rows] == ["connector.create", "connector.update", "connector.delete"]
    assert {r.user_id for r in rows} == {"user@acme"}
    assert {str(r.resource_id) for r in rows} == {created["id"]}
    assert rows[0].details["url"] == HOOK
    assert rows[1].details == {"changes": {"status": "INACTIVE"}, "previous_status": "ACTIVE"}
    assert all(created["secret"] not in str(r.details) for r in rows)


async def test_deliveries_are_listed_newest_first(
    api: httpx.AsyncClient, token_for: TokenFor, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A connector's delivery log is paged newest first and filters on success."""
    admin = token_for("acme", "admin")
    created = await create(api, admin)
    connector_id = uuid.UUID(created["id"])
    async with sessions() as session:
        tenant_id = (await session.get(Connector, connector_id)).tenant_id  # type: ignore[union-attr]
    event_id = uuid.uuid4()
    for n, ok in enumerate((False, False, True)):
        async with transaction(sessions) as session:
            session.add(
                WebhookDelivery(
                    tenant_id=tenant_id,
                    connector_id=connector_id,
                    event_id=event_id,
                    event_type="work_order.created",
                    succeeded=ok,
                    status_code=200 if ok else 500,
                    error=None if ok else f"HTTP 500 #{n}",
                    duration_ms=5,
                )
            )
    path = f"/v1/connectors/{created['id']}/deliveries"
    page = (await api.get(path, params={"limit": 2}, headers=admin)).json()
    assert page["pagination"]["total"] == 3
    assert [d["succeeded"] for d in page["data"]] == [True, False]
    failed = (await api.get(path, params={"succeeded": "false"}, headers=admin)).json()
    assert [d["error"] for d in failed["data"]] == ["HTTP 500 #1", "HTTP 500 #0"]


SLACK: dict[str, Any] = {
    "team_id": "T0ACME",
    "bot_token": "xoxb-0000-secret-bot-token",
    "signing_secret": "8f1c0000aaaabbbbccccdddd",
    "channels": {"finance": "C0FIN"},
    "users": {"U0ALICE": {"subject": "alice@acme.example", "groups": ["finance"]}},
}


async def test_a_slack_workspace_is_connected_and_changed_through_the_api(
    api: httpx.AsyncClient,
    token_for: TokenFor,
    tenants: dict[str, uuid.UUID],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """POST /slack connects it (credentials masked in every answer, audited); one active
    workspace per tenant; PUT replaces its config; other tenants and non-admins cannot."""
    admin = token_for("acme", "admin")
    r = await api.post("/v1/connectors/slack", json={"config": SLACK}, headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()["data"]
    assert created["type"] == "SLACK" and "/slack/events" in r.json()["message"]
    assert "secret-bot-token" not in r.text and SLACK["signing_secret"] not in r.text
    async with sessions() as session:
        connector = await tenant_connector(session, tenants["acme"])
    assert connector is not None and connector.config.channel_for("finance") == "C0FIN"
    assert connector.config.bot_token.get_secret_value() == SLACK["bot_token"]

    again = await api.post("/v1/connectors/slack", json={"config": SLACK}, headers=admin)
    assert again.status_code == 409 and created["id"] in again.text
    no_channel = {k: v for k, v in SLACK.items() if k != "channels"}
    bad = await api.post("/v1/connectors/slack", json={"config": no_channel}, headers=admin)
    assert bad.status_code == 422 and "default_channel" in bad.text
    bad_team = await api.post(
        "/v1/connectors/slack", json={"config": {**SLACK, "team_id": "acme"}}, headers=admin
    )
    assert bad_team.status_code == 422

    path = f"/v1/connectors/{created['id']}/slack"
    moved = {**SLACK, "channels": {"finance": "C0NEWFIN"}, "default_channel": "C0ALL"}
    assert (
        await api.put(path, json=moved, headers=token_for("globex", "admin"))
    ).status_code == 404
    assert (
        await api.put(
            path, json=moved, headers=token_for("acme", "work_orders:read", "work_orders:write")
        )
    ).status_code == 403
    r = await api.put(path, json=moved, headers=admin)
    assert r.status_code == 200 and r.json()["data"]["config"]["channels"] == {
        "finance": "C0NEWFIN"
    }
    async with sessions() as session:
        connector = await tenant_connector(session, tenants["acme"])
        actions = (
            await session.scalars(
                select(AuditLog.action).where(AuditLog.resource_type == "connector")
            )
        ).all()
    assert connector is not None and connector.config.channel_for("legal") == "C0ALL"
    assert sorted(actions) == ["connector.create", "connector.update"]

    webhook = await create(api, admin)
    not_slack = await api.put(f"/v1/connectors/{webhook['id']}/slack", json=SLACK, headers=admin)
    assert not_slack.status_code == 404 and "not a Slack connector" in not_slack.text


async def test_one_active_slack_workspace_and_only_slack_gets_the_token(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """Re-activating a second Slack connector is refused like connecting it; outside
    development and test the bot token may only go to Slack itself."""
    admin = token_for("acme", "admin")
    first = (await api.post("/v1/connectors/slack", json={"config": SLACK}, headers=admin)).json()
    path = f"/v1/connectors/{first['data']['id']}"
    assert (await api.patch(path, json={"status": "INACTIVE"}, headers=admin)).status_code == 200
    second = await api.post("/v1/connectors/slack", json={"config": SLACK}, headers=admin)
    assert second.status_code == 201
    again = await api.patch(path, json={"status": "ACTIVE"}, headers=admin)
    assert again.status_code == 409 and second.json()["data"]["id"] in again.text

    internal = SlackConfig.model_validate({**SLACK, "api_url": "http://169.254.169.254/latest/"})
    with pytest.raises(ValidationFailed, match="api_url must stay"):
        check_slack_api(internal, allow_private_targets=False)
    check_slack_api(SlackConfig.model_validate(SLACK), allow_private_targets=False)
    check_slack_api(internal, allow_private_targets=True)  # development and test: emulators


async def test_a_socket_mode_workspace_keeps_its_app_token_sealed_and_masked(
    api: httpx.AsyncClient,
    token_for: TokenFor,
    tenants: dict[str, uuid.UUID],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    admin = token_for("acme", "admin")
    app_token = "xapp-1-A0ACME-1-very-secret-app-token"
    wrong = await api.post(
        "/v1/connectors/slack", json={"config": {**SLACK, "app_token": "xoxb-1"}}, headers=admin
    )
    assert wrong.status_code == 422 and "app-level token" in wrong.text
    r = await api.post(
        "/v1/connectors/slack", json={"config": {**SLACK, "app_token": app_token}}, headers=admin
    )
    assert r.status_code == 201, r.text
    assert "Socket Mode" in r.json()["message"] and "very-secret-app-token" not in r.text
    async with sessions() as session:
        stored = await session.scalar(
            text("SELECT config ->> 'app_token' FROM connectors WHERE type = 'SLACK'")
        )
        connector = await tenant_connector(session, tenants["acme"])
    assert stored and app_token not in stored  # sealed at rest
    assert connector is not None and connector.config.app_token is not None
    assert connector.config.app_token.get_secret_value() == app_token
