"""Workflow templates and tools through the API: versions, activation, tenant isolation,
capability checks, the tools a tenant allows, and the CLI on top."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from myloware.agents import AgentDeps
from myloware.agents.tools import REGISTRY, Toolbox, ToolContext, ToolNotAllowed
from myloware.cli import app
from myloware.contracts import ItemRef, RecordGenInput
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import Capability, Tool, tool_capabilities
from myloware.pipeline_template import BUILTIN_TOOL_NAMES, BUILTIN_TOOLS, allowed_tools
from myloware.records import DocumentType
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.pipeline_support import AppClient, serving
from tests.worker_support import Agents, stored_item

ADMIN = ("admin",)
BASE = "/v1/workflow-templates"


def _template(version: str, **settings: Any) -> dict[str, Any]:
    return {
        "name": "acme-invoices",
        "version": version,
        "document_type": "INVOICE",
        "settings": settings,
    }


async def _active(api: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    r = await api.get(f"{BASE}/active", params={"document_type": "INVOICE"}, headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


async def test_without_templates_the_builtin_one_applies_with_every_tool(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """No stored template: the built-in one, every setting as configured, all tools."""
    active = await _active(api, token_for("acme"))
    assert (active["name"], active["version"], active["scope"]) == ("builtin", "1", "builtin")
    assert active["settings"] == {
        "extractor": {"mode": None, "providers": None, "model": None, "tools": None},
        "verifier": {"enabled": True, "pass_threshold": None},
    }
    assert active["tools"] == list(BUILTIN_TOOL_NAMES)


async def test_publish_versions_activate_an_older_one_and_refuse_duplicates(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """Each version published is active at once; activating v1 again makes it the one in
    force (and v2 inactive); the same version twice is 409; a version is immutable."""
    admin = token_for("acme", *ADMIN)
    v1 = await api.post(BASE, json=_template("1", verifier={"pass_threshold": 0.8}), headers=admin)
    assert v1.status_code == 201, v1.text
    assert v1.json()["data"]["is_active"] is True and v1.json()["data"]["scope"] == "tenant"
    v2 = await api.post(BASE, json=_template("2", extractor={"mode": "hybrid"}), headers=admin)
    assert v2.status_code == 201, v2.text
    assert (await _active(api, admin))["version"] == "2"
    again = await api.post(BASE, json=_template("2"), headers=admin)
    assert again.status_code == 409

    v1_id = v1.json()["data"]["id"]
    r = await api.post(f"{BASE}/{v1_id}/activate", headers=admin)
    assert r.status_code == 200, r.text
    active = await _active(api, admin)
    assert active["version"] == "1" and active["settings"]["verifier"]["pass_threshold"] == 0.8
    listed = (await api.get(BASE, headers=admin)).json()["data"]
    assert {(t["version"], t["is_active"]) for t in listed} == {("1", True), ("2", False)}

    # the active version cannot be deleted; the inactive one can; deactivating v1 falls back
    v2_id = v2.json()["data"]["id"]
    assert (await api.delete(f"{BASE}/{v1_id}", headers=admin)).status_code == 409
    assert (await api.delete(f"{BASE}/{v2_id}", headers=admin)).status_code == 200
    assert (await api.get(f"{BASE}/{v2_id}", headers=admin)).status_code == 404
    assert (await api.post(f"{BASE}/{v1_id}/deactivate", headers=admin)).status_code == 200
    assert (await _active(api, admin))["name"] == "builtin"


async def test_a_template_published_inactive_waits_until_activated(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    admin = token_for("acme", *ADMIN)
    r = await api.post(BASE, json={**_template("1"), "activate": False}, headers=admin)
    assert r.status_code == 201 and r.json()["data"]["is_active"] is False
    assert (await _active(api, admin))["name"] == "builtin"


async def test_templates_are_tenant_scoped(api: httpx.AsyncClient, token_for: TokenFor) -> None:
    """Another tenant neither sees, uses, activates nor deletes acme's template."""
    acme, globex = token_for("acme", *ADMIN), token_for("globex", *ADMIN)
    r = await api.post(BASE, json=_template("1", extractor={"mode": "model"}), headers=acme)
    tid = r.json()["data"]["id"]
    assert (await _active(api, globex))["name"] == "builtin"
    assert (await api.get(BASE, headers=globex)).json()["data"] == []
    assert (await api.get(f"{BASE}/{tid}", headers=globex)).status_code == 404
    assert (await api.post(f"{BASE}/{tid}/activate", headers=globex)).status_code == 404
    assert (await api.delete(f"{BASE}/{tid}", headers=globex)).status_code == 404
    # globex may use the same name and version for its own
    assert (await api.post(BASE, json=_template("1"), headers=globex)).status_code == 201


async def test_only_admins_change_templates_and_bad_ones_are_refused(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    reader = token_for("acme", "work_orders:read")
    assert (await api.get(BASE, headers=reader)).status_code == 200
    assert (await api.post(BASE, json=_template("1"), headers=reader)).status_code == 403
    admin = token_for("acme", *ADMIN)
    for bad in (
        _template("1", extractor={"mode": "psychic"}),
        _template("1", verifier={"pass_threshold": 1.5}),
        _template("1", extractor={"tools": ["shell.exec"]}),
        {**_template("1"), "document_type": "RECIPE"},
        _template("1", surprise={}),
    ):
        r = await api.post(BASE, json=bad, headers=admin)
        assert r.status_code == 422, (bad, r.text)
    unknown = await api.post(
        BASE, json=_template("1", extractor={"tools": ["shell.exec"]}), headers=admin
    )
    [detail] = unknown.json()["error"]["details"]
    assert detail["loc"][-2:] == ["tools", "0"] and "check.arithmetic" in detail["msg"]


async def test_builtin_tools_are_rows_with_their_capabilities(
    api: httpx.AsyncClient, token_for: TokenFor, database_url: str
) -> None:
    """Each built-in tool is a platform row of ``tools`` linked to the capabilities it needs,
    backed by a callable; the API lists them as allowed for a tenant."""
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session:
        rows = (
            await session.execute(
                select(Tool.name, Capability.name)
                .join(tool_capabilities, tool_capabilities.c.tool_id == Tool.id)
                .join(Capability, Capability.id == tool_capabilities.c.capability_id)
                .where(Tool.tenant_id.is_(None), Tool.connector_id.is_(None))
            )
        ).all()
    await engine.dispose()
    assert set(rows) == {(t.name, cap) for t in BUILTIN_TOOLS for cap in t.capabilities}
    assert set(REGISTRY) == set(BUILTIN_TOOL_NAMES)
    listed = (await api.get("/v1/tools", headers=token_for("acme"))).json()["data"]
    assert [(t["name"], t["enabled"]) for t in listed] == sorted(
        (n, True) for n in BUILTIN_TOOL_NAMES
    )
    memory = next(t for t in listed if t["name"] == "memory.sender_lookup")
    assert memory["capabilities"] == ["memory:read"]


async def test_an_agent_gets_only_what_its_template_and_tenant_allow(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """acme refuses memory lookups; its template asks for memory and arithmetic: its agent
    gets arithmetic only. globex (no refusal, built-in template) gets every tool."""
    admin = token_for("acme", *ADMIN)
    r = await api.put("/v1/tools/memory.sender_lookup", json={"enabled": False}, headers=admin)
    assert r.status_code == 200 and r.json()["data"]["enabled"] is False
    assert (
        await api.put("/v1/tools/nope", json={"enabled": False}, headers=admin)
    ).status_code == 404
    assert (
        await api.put(
            "/v1/tools/check.arithmetic", json={"enabled": False}, headers=token_for("acme")
        )
    ).status_code == 403
    await api.post(
        BASE,
        json=_template("1", extractor={"tools": ["memory.sender_lookup", "check.arithmetic"]}),
        headers=admin,
    )
    assert (await _active(api, admin))["tools"] == ["check.arithmetic"]
    assert (await _active(api, token_for("globex")))["tools"] == list(BUILTIN_TOOL_NAMES)
    # allowed again: the template's choice applies in full
    await api.put("/v1/tools/memory.sender_lookup", json={"enabled": True}, headers=admin)
    assert (await _active(api, admin))["tools"] == ["memory.sender_lookup", "check.arithmetic"]


def test_allowed_tools_is_the_intersection_in_catalogue_order() -> None:
    every = set(BUILTIN_TOOL_NAMES)
    assert allowed_tools(None, every) == list(BUILTIN_TOOL_NAMES)
    assert allowed_tools([], every) == []
    assert allowed_tools(["schema.active", "document.read"], every - {"schema.active"}) == [
        "document.read"
    ]


async def test_a_toolbox_calls_its_tools_and_refuses_any_other() -> None:
    """The toolbox an agent is handed runs the tools it holds and refuses the rest."""
    ref = ItemRef(work_item_id=uuid.uuid4(), work_order_id=uuid.uuid4(), tenant_id=uuid.uuid4())
    ctx = ToolContext(cast(Any, None), ref, DocumentType.INVOICE)
    box = Toolbox(ctx, ["check.arithmetic"])
    ok = await box.call(
        "check.arithmetic",
        line_items=[{"quantity": 2, "unit_price": "10.00", "amount": "20.00"}],
        subtotal="20.00",
        tax_amount="4.00",
        total_amount="24.00",
    )
    assert ok == {"consistent": True, "checks": 3, "problems": []}
    wrong = await box.call(
        "check.arithmetic", subtotal="20.00", tax_amount="4.00", total_amount="25.00"
    )
    assert wrong["consistent"] is False and "not the total 25.00" in wrong["problems"][0]
    with pytest.raises(ToolNotAllowed, match=r"memory\.sender_lookup"):
        await box.call("memory.sender_lookup", sender="ACME")
    with pytest.raises(ToolNotAllowed):
        Toolbox(ctx, ["shell.exec"])


async def test_template_and_tools_commands(
    stack: AppClient,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    token_for: TokenFor,
    tmp_path: Path,
) -> None:
    """`myloware template publish/list/show/activate` and `myloware tools list/refuse`
    against a running API."""
    headers = token_for("acme", *ADMIN)
    spec = tmp_path / "tpl.json"
    runner = CliRunner()
    with serving(
        stack.settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as url:
        env = {
            "MYLOWARE_API_URL": url,
            "MYLOWARE_API_TOKEN": headers["Authorization"][7:],
            "COLUMNS": "300",  # tables at full width
        }

        async def cli(*args: str) -> str:
            result = await asyncio.to_thread(runner.invoke, app, list(args), env=env)
            assert result.exit_code == 0, (args, result.output, result.exception)
            return str(result.output)

        spec.write_text(
            '{"name": "strict", "version": "1", "document_type": "INVOICE", '
            '"settings": {"verifier": {"pass_threshold": 0.9}}}'
        )
        out = await cli("template", "publish", str(spec))
        assert "published strict version 1 for INVOICE — now active" in out
        v1 = out.rsplit("(id ", 1)[1].split(")")[0]
        spec.write_text(spec.read_text().replace('"1"', '"2"').replace("0.9", "0.95"))
        assert "not active" in await cli("template", "publish", str(spec), "--inactive")
        listed = await cli("template", "list")
        assert "verifier.pass_threshold=0.9" in listed and "strict" in listed
        shown = await cli("template", "show", "INVOICE")
        assert "strict version 1 (tenant)" in shown and '"pass_threshold": 0.9' in shown
        assert "refused for your tenant" in await cli("tools", "refuse", "document.read")
        tools = await cli("tools", "list")
        assert "document.read" in tools and "memory:read" in tools
        assert (
            "document.read"
            not in (await cli("template", "show", "INVOICE"))
            .split("tools:", 1)[1]
            .split("\n", 1)[0]
        )
        assert "no longer active" in await cli("template", "deactivate", v1)
        assert "builtin version 1" in await cli("template", "show", "INVOICE")


async def test_the_builtin_tools_read_the_items_document_schema_and_memory(
    tenants: dict[str, uuid.UUID], clean_db: str, settings: Settings
) -> None:
    """Against a real database: after RecordGen, document.read gives a page and a line range,
    schema.active the active schema, memory.sender_lookup the sender's completed records
    (none yet for a new tenant)."""
    engine = create_engine(clean_db, pool_size=2)
    sessions = session_factory(engine)
    try:
        ref = await stored_item(sessions, tenants["acme"])
        deps = AgentDeps(sessions, settings, blobs=None)
        gen = await Agents(deps).record_gen.run(RecordGenInput(item=ref))
        assert gen.template is not None and gen.template.name == "builtin"
        box = Toolbox.for_item(deps, ref, gen.document_type, gen.template.tools)
        assert box.names == list(BUILTIN_TOOL_NAMES)
        page = await box.call("document.read", page=1)
        assert page["pages"] == 1 and "INV-2024-0042" in page["text"]
        head = await box.call("document.read", first_line=0, last_line=0)
        assert head["lines"] == 1 and head["text"] == "ACME Office Supplies Ltd"
        schema = await box.call("schema.active")
        assert schema["document_type"] == "INVOICE" and "vendor_name" in str(schema["schema"])
        sender = await box.call("memory.sender_lookup", sender="ACME Office Supplies Ltd")
        assert sender == {
            "sender": "ACME Office Supplies Ltd",
            "known": False,
            "records": 0,
            "recent": [],
        }
    finally:
        await engine.dispose()
