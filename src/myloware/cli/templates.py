"""Workflow templates and tools from the terminal: ``myloware template …``, ``myloware tools``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from myloware.cli._common import console, settings_for_cli
from myloware.cli._http import api_client, check

template_app = typer.Typer(
    help="Workflow templates: list, show, publish, activate, deactivate, delete.",
    no_args_is_help=True,
)
tools_app = typer.Typer(
    help="The tools agents may call: list, allow, refuse.", no_args_is_help=True
)

TemplateId = Annotated[str, typer.Argument(help="the template version's id")]


def _settings_line(settings: dict[str, Any]) -> str:
    parts = []
    for stage, values in settings.items():
        for key, value in (values or {}).items():
            if value is not None:
                shown = ",".join(value) if isinstance(value, list) else value
                parts.append(f"{stage}.{key}={shown}")
    return " ".join(parts) or "(as configured)"


@template_app.command("list")
def template_list(
    document_type: Annotated[str | None, typer.Option("--type", help="only this type")] = None,
) -> None:
    """Template versions your tenant sees (its own and the platform's)."""
    params = {"document_type": document_type} if document_type else None
    with api_client(settings_for_cli()) as client:
        rows = check(client.get("/v1/workflow-templates", params=params))["data"]
    if not rows:
        console.print("no templates: every document type runs with the built-in template")
        return
    table = Table("id", "name", "version", "type", "scope", "active", "settings")
    for row in rows:
        table.add_row(
            row["id"],
            row["name"],
            row["version"],
            row["document_type"],
            row["scope"],
            "yes" if row["is_active"] else "",
            _settings_line(row["settings"]),
        )
    console.print(table)


@template_app.command("show")
def template_show(
    document_type: Annotated[str, typer.Argument(help="a document type, e.g. invoice")],
) -> None:
    """The template a new document of this type runs with, and the tools its agent gets."""
    with api_client(settings_for_cli()) as client:
        tpl = check(
            client.get("/v1/workflow-templates/active", params={"document_type": document_type})
        )["data"]
    console.print(
        f"[bold]{tpl['name']}[/] version {tpl['version']} ({tpl['scope']}) for "
        f"{tpl['document_type']}",
        highlight=False,
    )
    console.print(f"tools: {', '.join(tpl['tools'] or []) or 'none'}", highlight=False)
    print(json.dumps(tpl["settings"], indent=2))


@template_app.command("publish")
def template_publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON")],
    inactive: Annotated[
        bool, typer.Option("--inactive", help="publish without making it active")
    ] = False,
) -> None:
    """Publish a template version from a JSON file: {name, version, document_type, settings}
    (admin). It becomes the active one for its type unless --inactive."""
    body = json.loads(file.read_text())
    if inactive:
        body["activate"] = False
    with api_client(settings_for_cli()) as client:
        tpl = check(client.post("/v1/workflow-templates", json=body))["data"]
    state = "now active" if tpl["is_active"] else "not active"
    console.print(
        f"published {tpl['name']} version {tpl['version']} for {tpl['document_type']} — "
        f"{state} (id {tpl['id']})",
        highlight=False,
    )


def _switch(template_id: str, action: str) -> dict[str, Any]:
    with api_client(settings_for_cli()) as client:
        data: dict[str, Any] = check(client.post(f"/v1/workflow-templates/{template_id}/{action}"))[
            "data"
        ]
    return data


@template_app.command("activate")
def template_activate(template_id: TemplateId) -> None:
    """Make this version the active one for its document type (admin)."""
    tpl = _switch(template_id, "activate")
    console.print(
        f"{tpl['name']} version {tpl['version']} is now active for {tpl['document_type']}",
        highlight=False,
    )


@template_app.command("deactivate")
def template_deactivate(template_id: TemplateId) -> None:
    """Stop using this version: the platform's or the built-in template applies (admin)."""
    tpl = _switch(template_id, "deactivate")
    console.print(f"{tpl['name']} version {tpl['version']} is no longer active", highlight=False)


@template_app.command("delete")
def template_delete(template_id: TemplateId) -> None:
    """Delete a version that is not active (admin)."""
    with api_client(settings_for_cli()) as client:
        check(client.delete(f"/v1/workflow-templates/{template_id}"))
    console.print(f"deleted template version {template_id}", highlight=False)


@tools_app.command("list")
def tools_list() -> None:
    """The platform's tools, the capabilities they need, and whether your tenant allows each."""
    with api_client(settings_for_cli()) as client:
        rows = check(client.get("/v1/tools"))["data"]
    table = Table("tool", "capabilities", "allowed", "what it does")
    for row in rows:
        table.add_row(
            row["name"],
            ", ".join(row["capabilities"]),
            "yes" if row["enabled"] else "no",
            (row["description"] or "")[:70],
        )
    console.print(table)


def _tool(name: str, enabled: bool) -> None:
    with api_client(settings_for_cli()) as client:
        row = check(client.put(f"/v1/tools/{name}", json={"enabled": enabled}))["data"]
    console.print(
        f"{row['name']}: {'allowed' if row['enabled'] else 'refused'} for your tenant",
        highlight=False,
    )


@tools_app.command("allow")
def tools_allow(name: Annotated[str, typer.Argument()]) -> None:
    """Let your tenant's agents call this tool (where their template asks for it; admin)."""
    _tool(name, True)


@tools_app.command("refuse")
def tools_refuse(name: Annotated[str, typer.Argument()]) -> None:
    """No agent of your tenant gets this tool, whatever its template says (admin)."""
    _tool(name, False)


def register(app: typer.Typer) -> None:
    app.add_typer(template_app, name="template")
    app.add_typer(tools_app, name="tools")
