"""Policy publishing and dry runs, and the audit trail, through the API."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select

from myloware.auth.principal import Principal
from myloware.db.audit import record_audit
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import AuditLog
from tests.auth_support import TokenFor
from tests.governance_support import FINANCE_POLICY

ADMIN = ("admin",)


async def test_publish_policy_versions_and_refuse_duplicates(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """An admin publishes YAML; it becomes active; the same version again is 409."""
    admin = token_for("acme", *ADMIN)
    r = await api.post("/v1/policies", json={"yaml": FINANCE_POLICY}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["data"]["version"] == "2" and r.json()["data"]["scope"] == "tenant"
    active = (await api.get("/v1/policies/active", headers=admin)).json()["data"]
    assert active["name"] == "test-finance"
    again = await api.post("/v1/policies", json={"yaml": FINANCE_POLICY}, headers=admin)
    assert again.status_code == 409
    listed = (await api.get("/v1/policies", headers=admin)).json()["data"]
    assert {p["scope"] for p in listed} == {"tenant", "platform"}
    other = (await api.get("/v1/policies/active", headers=token_for("globex", *ADMIN))).json()
    assert other["data"]["name"] != "test-finance"


async def test_invalid_policy_is_422_with_the_rule_named(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """A policy naming an undefined approver group is refused with a readable reason."""
    broken = FINANCE_POLICY.replace("approver_group: finance,", "approver_group: cfo,")
    r = await api.post("/v1/policies", json={"yaml": broken}, headers=token_for("acme", *ADMIN))
    assert r.status_code == 422
    assert "cfo" in r.json()["error"]["message"]
    both = await api.post(
        "/v1/policies",
        json={"yaml": FINANCE_POLICY, "document": {}},
        headers=token_for("acme", *ADMIN),
    )
    assert both.status_code == 422


async def test_only_admins_publish(api: httpx.AsyncClient, token_for: TokenFor) -> None:
    """A non-admin principal cannot change policy."""
    r = await api.post(
        "/v1/policies", json={"yaml": FINANCE_POLICY}, headers=token_for("acme", "approvals:decide")
    )
    assert r.status_code == 403


async def test_dry_run_explains_the_decision_and_changes_nothing(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """A dry run of a draft policy on given values names the rule, group and version."""
    headers = token_for("acme")
    r = await api.post(
        "/v1/policies/dry-run",
        json={
            "document_type": "INVOICE",
            "values": {"vendor_name": "Globex", "total_amount": "2500.00"},
            "policy": {"yaml": FINANCE_POLICY},
        },
        headers=headers,
    )
    assert r.status_code == 200, r.text
    decision = r.json()["data"]
    assert decision["action"] == "REQUIRE_APPROVAL"
    assert decision["approver_group"] == "finance"
    assert decision["policy_version"] == "2"
    assert [f["rule_id"] for f in decision["fired"]] == ["invoice-over-1000"]
    small = await api.post(
        "/v1/policies/dry-run",
        json={
            "document_type": "INVOICE",
            "values": {"total_amount": "20.00"},
            "policy": {"yaml": FINANCE_POLICY},
        },
        headers=headers,
    )
    assert small.json()["data"]["action"] == "AUTO_APPROVE"
    missing = await api.post("/v1/policies/dry-run", json={}, headers=headers)
    assert missing.status_code == 422


async def test_audit_log_lists_actions_of_the_tenant_only(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """Creating an order and publishing a policy are audited; filters and isolation hold."""
    await api.post(
        "/v1/work-orders", json={"work_items": [{"content": "x"}]}, headers=token_for("acme")
    )
    await api.post("/v1/policies", json={"yaml": FINANCE_POLICY}, headers=token_for("acme", *ADMIN))
    logs = (await api.get("/v1/audit-logs", headers=token_for("acme", *ADMIN))).json()
    actions = {entry["action"] for entry in logs["data"]}
    assert {"work_order.create", "policy.publish"} <= actions
    only = (
        await api.get(
            "/v1/audit-logs?action=policy.publish&user_id=user@acme",
            headers=token_for("acme", *ADMIN),
        )
    ).json()
    assert only["pagination"]["total"] == 1
    assert only["data"][0]["user_id"] == "user@acme"
    assert (await api.get("/v1/audit-logs", headers=token_for("acme"))).status_code == 403
    other = (
        await api.get(
            "/v1/audit-logs?action=work_order.create", headers=token_for("globex", *ADMIN)
        )
    ).json()
    assert other["pagination"]["total"] == 0


async def test_audit_rows_commit_and_roll_back_with_their_transaction(
    clean_db: str, tenants: dict[str, uuid.UUID]
) -> None:
    """An audit row staged in a transaction that rolls back is gone with it."""
    engine = create_engine(clean_db, pool_size=1)
    sessions = session_factory(engine)
    who = Principal("auditor", tenants["acme"], frozenset({"admin"}))
    async with sessions() as session:
        record_audit(
            session,
            principal=who,
            tenant_id=who.tenant_id,
            action="x.rollback",
            resource_type="test",
            resource_id=None,
        )
        await session.rollback()
    async with sessions() as session, session.begin():
        record_audit(
            session,
            principal=who,
            tenant_id=who.tenant_id,
            action="x.commit",
            resource_type="test",
            resource_id=None,
        )
    async with sessions() as session:
        counts = dict(
            (
                await session.execute(
                    select(AuditLog.action, func.count()).group_by(AuditLog.action)
                )
            ).all()
        )
    await engine.dispose()
    assert counts.get("x.commit") == 1
    assert "x.rollback" not in counts
