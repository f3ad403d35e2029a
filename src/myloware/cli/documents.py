"""Working with documents: ``submit`` (through the API) and ``extract`` (local, no services)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from myloware.cli._common import console, console_err, settings_for_cli
from myloware.cli._http import api_client, check
from myloware.cli.governance import print_pending
from myloware.errors import MylowareError
from myloware.records import DocumentType

TypeOpt = Annotated[
    DocumentType | None, typer.Option("--type", "-t", help="skip detection: the document type")
]
TERMINAL = {"COMPLETED", "FAILED", "REJECTED"}
SETTLED = TERMINAL | {"AWAITING_APPROVAL"}


def extract_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    doc_type: TypeOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the canonical record as JSON")
    ] = False,
) -> None:
    """Extract the canonical record of one file locally (no services needed)."""
    from myloware.documents import DocumentLimits, load_document
    from myloware.extraction import extract
    from myloware.normalize import restyle
    from myloware.schemas import load_builtin_schemas
    from myloware.validation import validate

    settings = settings_for_cli()
    started = time.perf_counter()
    doc = load_document(
        file.read_bytes(), filename=file.name, limits=DocumentLimits.from_settings(settings)
    )
    record = restyle(extract(doc, doc_type))
    report = validate(record, load_builtin_schemas()[record.document_type])
    out: dict[str, Any] = {
        "file": str(file),
        "document_type": record.document_type.value,
        "language": record.language,
        "fields": record.model_dump(mode="json")["fields"],
        "validation": report.model_dump(mode="json"),
        "seconds": round(time.perf_counter() - started, 4),
    }
    if as_json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]{file.name}[/]: {record.document_type.value}")
    for name, fv in record.fields.items():
        console.print(f"  {name:<24} {fv.value!s:<40} conf={fv.confidence:.2f}", highlight=False)
    state = "valid" if report.valid else f"{len(report.errors)} error(s)"
    console.print(f"  validation: {state}, quality {report.quality_score:.2f}")


def submit(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    doc_type: TypeOpt = None,
    priority: Annotated[str, typer.Option(help="LOW, MEDIUM, HIGH or URGENT")] = "MEDIUM",
    wait: Annotated[
        bool, typer.Option("--wait", help="follow progress and print the result")
    ] = False,
    timeout: Annotated[float, typer.Option(help="seconds to wait with --wait")] = 600.0,
) -> None:
    """Submit files as one work order through the API; prints the work order id."""
    settings = settings_for_cli()
    with api_client(settings) as client:
        multipart = [("files", (f.name, f.read_bytes())) for f in files]
        data = {"priority": priority.upper()}
        if doc_type is not None:
            data["type"] = doc_type.value
        order = check(client.post("/v1/work-orders/upload", files=multipart, data=data))["data"]
        console.print(f"work order [bold]{order['id']}[/] ({order['status']})", highlight=False)
        if wait:
            _follow(client, order["id"], timeout)


def show(
    order_id: Annotated[str, typer.Argument(help="the work order id submit printed")],
    wait: Annotated[bool, typer.Option("--wait", help="first wait until it settles")] = False,
    timeout: Annotated[float, typer.Option(help="seconds to wait with --wait")] = 600.0,
) -> None:
    """Show a work order's status and each document's result (e.g. after an approval)."""
    settings = settings_for_cli()
    with api_client(settings) as client:
        if wait:
            _follow(client, order_id, timeout)
            return
        order = check(client.get(f"/v1/work-orders/{order_id}"))["data"]
        items = check(client.get(f"/v1/work-orders/{order_id}/work-items"))["data"]
        pending = _pending_of(client, items)
    console.print(
        f"work order {order['id']}: [bold]{order['status']}[/]", highlight=False, soft_wrap=True
    )
    for item in items:
        _print_item(item, pending.get(item["id"]))


def _pending_of(client: httpx.Client, items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The pending approvals of those items that wait for a person, by work item id."""
    waiting = {i["id"] for i in items if i["status"] == "AWAITING_APPROVAL"}
    found: dict[str, dict[str, Any]] = {}
    offset = 0
    while waiting - set(found):
        rows = check(client.get("/v1/approvals", params={"limit": 200, "offset": offset}))["data"]
        found.update({r["work_item_id"]: r for r in rows if r["work_item_id"] in waiting})
        if len(rows) < 200:
            break
        offset += 200
    return found


def _follow(client: httpx.Client, order_id: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console_err,
        transient=True,
    ) as progress:
        task = progress.add_task("processing", total=None)
        while True:
            items = check(client.get(f"/v1/work-orders/{order_id}/work-items"))["data"]
            done = sum(1 for i in items if i["status"] in SETTLED)
            progress.update(task, total=len(items), completed=done)
            order = check(client.get(f"/v1/work-orders/{order_id}"))["data"]
            if order["status"] in TERMINAL or done == len(items):
                break
            if time.monotonic() > deadline:
                raise MylowareError(
                    f"gave up waiting after {timeout:.0f} s; order still {order['status']}"
                )
            time.sleep(0.3)
        pending = _pending_of(client, items)
    console.print(
        f"work order {order['id']}: [bold]{order['status']}[/]", highlight=False, soft_wrap=True
    )
    for item in items:
        _print_item(item, pending.get(item["id"]))


def _print_item(item: dict[str, Any], pending: dict[str, Any] | None = None) -> None:
    name = item.get("filename") or item["id"]
    result = item.get("result") or {}
    if item["status"] == "AWAITING_APPROVAL":
        console.print(
            f"\n[bold yellow]⏸ {name}[/] (work item {item['id']}) waits for a human decision",
            highlight=False,
            soft_wrap=True,
        )
        if pending is not None:
            print_pending(pending, heading=False)
        else:
            console.print(
                f"  decide: myloware approve {item['id']}  (or reject / escalate, with "
                "--reason; see myloware approvals list)",
                highlight=False,
                soft_wrap=True,
            )
        return
    if item["status"] != "COMPLETED" or not result:
        mark = "⊘ rejected" if item["status"] == "REJECTED" else "✘"
        console.print(
            f"\n[bold red]{mark} {name}[/]: {item.get('error') or item['status']}",
            highlight=False,
            soft_wrap=True,
        )
        return
    console.print(
        f"\n[bold green]✔ {name}[/] ({result.get('document_type')})",
        highlight=False,
        soft_wrap=True,
    )
    confidence = result.get("confidence") or {}
    for key, value in (result.get("fields") or {}).items():
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = "; ".join(
                ", ".join(f"{k}={v}" for k, v in entry.items() if v is not None)
                if isinstance(entry, dict)
                else str(entry)
                for entry in value
            )
        conf = confidence.get(key)
        shown = f"{value}" if conf is None else f"{value}  [dim]({conf:.2f})[/]"
        console.print(f"  {key:<22} {shown}", highlight=False, soft_wrap=True)
    validation = result.get("validation") or {}
    problems = [f"{e.get('field') or ''}: {e.get('message')}" for e in validation.get("errors", [])]
    state = "[green]valid[/]" if validation.get("valid") else "[red]invalid[/]"
    verification = result.get("verification") or {}
    console.print(
        f"  [bold]validation[/] {state}, quality {validation.get('quality_score', 0):.2f}; "
        f"[bold]verified[/] {verification.get('score', 0):.2f}",
        highlight=False,
        soft_wrap=True,
    )
    for problem in problems:
        console.print(f"    [red]•[/] {problem}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("extract")(extract_cmd)
    app.command("submit")(submit)
    app.command("show")(show)
