"""Human decisions and policies from the terminal: approve, reject, escalate, approvals, policy."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from myloware.cli._common import console, settings_for_cli
from myloware.cli._http import api_client, check
from myloware.errors import NotFoundError, ValidationFailed

approvals_app = typer.Typer(help="Pending approvals.", no_args_is_help=True)
policy_app = typer.Typer(help="Governance policies: show, publish, dry-run.", no_args_is_help=True)

Reason = Annotated[str | None, typer.Option("--reason", "-r", help="why (kept in the audit trail)")]
Item = Annotated[
    str,
    typer.Argument(
        help="the work item id, or an unambiguous start of it (8 or more hex characters) "
        "among the items awaiting a decision"
    ),
]

#: The start of a work item id as typed: at least its first 8 hex digits, hyphens allowed.
SHORT_ID = re.compile(r"[0-9a-f]{8}[0-9a-f-]{0,28}")
PAGE = 200  # GET /v1/approvals' largest page


def match_short_id(short: str, awaiting: Iterable[str]) -> str:
    """The one id in ``awaiting`` that starts with ``short`` (case-insensitive).

    Raises ``ValidationFailed`` if ``short`` is too short or not hex, or if it starts more
    than one id (each listed), and ``NotFoundError`` if it starts none."""
    prefix = short.strip().lower()
    if not SHORT_ID.fullmatch(prefix):
        raise ValidationFailed(
            f"{short!r} is not a work item id or the start of one (8 or more hex characters)"
        )
    matches = sorted({item for item in awaiting if item.lower().startswith(prefix)})
    if not matches:
        raise NotFoundError(f"no work item awaiting a decision starts with {prefix}")
    if len(matches) > 1:
        raise ValidationFailed(
            f"{prefix} starts {len(matches)} work items awaiting a decision: "
            f"{', '.join(matches)}; type more of the id"
        )
    return matches[0]


def _awaiting(client: httpx.Client) -> Iterator[str]:
    """The ids of the caller's tenant's work items awaiting a decision, page by page."""
    offset = 0
    while True:
        page = check(client.get("/v1/approvals", params={"limit": PAGE, "offset": offset}))
        rows = page["data"]
        yield from (str(row["work_item_id"]) for row in rows)
        if len(rows) < PAGE:
            return
        offset += PAGE


def resolve_item(client: httpx.Client, item: str) -> str:
    """``item`` as a full work item id: one already is; a short one is looked up."""
    try:
        return str(uuid.UUID(item))
    except ValueError:
        return match_short_id(item, _awaiting(client))


def _decide(
    item: str, decision: str, reason: str | None, corrections: dict[str, Any] | None
) -> None:
    with api_client(settings_for_cli()) as client:
        item = resolve_item(client, item)
        body: dict[str, Any] = {"work_item_id": item, "decision": decision, "reason": reason}
        if corrections:
            body["corrections"] = corrections
        outcome = check(client.post("/v1/approvals", json=body))["data"]
    console.print(
        f"{decision.lower()}: work item {item} — request now {outcome['status']} "
        f"(group {outcome['group']}, tier {outcome['tier'] + 1})",
        highlight=False,
    )


def _corrections(pairs: list[str]) -> dict[str, Any]:
    """``--set`` pairs as corrections; a value in ``[…]`` or ``{…}`` is JSON (line items)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValidationFailed(f"--set takes FIELD=VALUE, not {pair!r}")
        if value.lstrip().startswith(("[", "{")):
            try:
                out[name.strip()] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValidationFailed(f"--set {name.strip()}: not valid JSON ({exc})") from None
            continue
        out[name.strip()] = value
    return out


def approve(
    item: Item,
    reason: Reason = None,
    set_: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="correct or add any field of the schema: FIELD=VALUE (repeatable); "
            'line items as JSON, e.g. line_items=\'[{"description": "Desk", '
            '"amount": "120.00"}]\'',
        ),
    ] = [],  # noqa: B006 - typer needs a literal default
) -> None:
    """Approve a work item that waits for a human, optionally with corrected fields."""
    _decide(item, "APPROVED", reason, _corrections(set_))


def reject(
    item: Item,
    reason: Annotated[
        str, typer.Option("--reason", "-r", help="why (required; kept in the audit trail)")
    ],
) -> None:
    """Reject a waiting work item: it ends REJECTED with the reason (required)."""
    if not reason.strip():
        raise ValidationFailed("a rejection needs a reason: --reason TEXT")
    _decide(item, "REJECTED", reason, None)


def escalate(
    item: Item,
    reason: Annotated[
        str, typer.Option("--reason", "-r", help="why (required; the next tier reads it)")
    ],
) -> None:
    """Hand a waiting work item to the next tier of its approver ladder (reason required)."""
    if not reason.strip():
        raise ValidationFailed("an escalation needs a reason: --reason TEXT")
    _decide(item, "ESCALATED", reason, None)


@approvals_app.command("list")
def approvals_list(
    group: Annotated[str | None, typer.Option(help="only this group")] = None,
) -> None:
    """Pending approvals, oldest deadline first: each with its full work item id, group,
    age and time left, why a person is asked, the vendor, total and fields to decide on."""
    with api_client(settings_for_cli()) as client:
        rows = check(client.get("/v1/approvals", params={"group": group} if group else None))[
            "data"
        ]
    if not rows:
        console.print("nothing is waiting for a decision")
        return
    for row in rows:
        print_pending(row)


def why_asked(row: dict[str, Any]) -> str:
    """Why a person is asked, in words: the policy's explanation, else its rules' reasons."""
    rules = "; ".join(row.get("reasons", {}).get("rules") or [])
    return str(row.get("explanation") or rules or "the policy requires approval")


def print_pending(row: dict[str, Any], *, heading: bool = True) -> None:
    """One pending approval as lines that are never cut (ids in full, values unwrapped)."""
    left = row["seconds_left"]
    item = row["work_item_id"]
    if heading:
        console.print(
            f"\n[bold]{item}[/]  {row.get('document_type') or 'document'}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"  waits for {row['approver_group']} (tier {row['tier'] + 1}), "
        f"{_duration(row['age_seconds'])} so far, "
        + (f"{_duration(left)} left" if left > 0 else "[red]overdue[/]"),
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"  why: {why_asked(row)}", highlight=False, soft_wrap=True)
    facts = [f"vendor: {row.get('vendor') or '—'}", f"total: {row.get('total') or '—'}"]
    console.print("  " + "   ".join(facts), highlight=False, soft_wrap=True)
    for name, value in (row.get("fields") or {}).items():
        console.print(f"    {name:<22} {show_value(value)}", highlight=False, soft_wrap=True)
    console.print(
        f"  decide: myloware approve {item} [--set FIELD=VALUE] | "
        f"reject {item} -r WHY | escalate {item} -r WHY",
        highlight=False,
        soft_wrap=True,
    )


def show_value(value: Any) -> str:
    """A field's value on one line (line items as ``k=v, …; …``; empty as ``—``)."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return "; ".join(
            ", ".join(f"{k}={v}" for k, v in entry.items() if v is not None)
            if isinstance(entry, dict)
            else str(entry)
            for entry in value
        )
    return str(value)


def _duration(seconds: float) -> str:
    seconds = int(abs(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


@policy_app.command("show")
def policy_show() -> None:
    """Print the policy in force for your tenant."""
    with api_client(settings_for_cli()) as client:
        policy = check(client.get("/v1/policies/active"))["data"]
    console.print(f"[bold]{policy['name']}[/] version {policy['version']} ({policy['scope']})")
    print(json.dumps(policy["document"], indent=2))


@policy_app.command("publish")
def policy_publish(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Publish a policy file (YAML or JSON) as the tenant's active version (admin)."""
    text = file.read_text()
    body = {"document": json.loads(text)} if file.suffix == ".json" else {"yaml": text}
    with api_client(settings_for_cli()) as client:
        policy = check(client.post("/v1/policies", json=body))["data"]
    console.print(f"published {policy['name']} version {policy['version']} — now active")


@policy_app.command("dry-run")
def policy_dry_run(
    item: Annotated[str | None, typer.Option("--item", help="a processed work item id")] = None,
    record: Annotated[
        Path | None, typer.Option("--record", help="JSON: {document_type, values, ...}")
    ] = None,
    draft: Annotated[Path | None, typer.Option("--policy", help="a draft policy file")] = None,
) -> None:
    """Show what a policy would decide for a record, without changing anything."""
    body: dict[str, Any] = json.loads(record.read_text()) if record else {}
    if item:
        body["work_item_id"] = item
    if draft:
        text = draft.read_text()
        body["policy"] = (
            {"document": json.loads(text)} if draft.suffix == ".json" else {"yaml": text}
        )
    with api_client(settings_for_cli()) as client:
        decision = check(client.post("/v1/policies/dry-run", json=body))["data"]
    console.print(
        f"[bold]{decision['action']}[/]  ({decision['policy_name']} {decision['policy_version']})"
    )
    console.print(decision["explanation"], highlight=False)


def register(app: typer.Typer) -> None:
    for fn in (approve, reject, escalate):
        app.command()(fn)
    app.add_typer(approvals_app, name="approvals")
    app.add_typer(policy_app, name="policy")
