"""`myloware approve / reject / escalate` from the terminal: reasons and short ids."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from typer.testing import CliRunner

from myloware.cli import app
from myloware.cli.governance import match_short_id
from myloware.errors import NotFoundError, ValidationFailed
from tests.auth_support import TokenFor
from tests.governance_support import publish_policy, submit_waiting_invoice
from tests.pipeline_support import AppClient, serving, wait_for_order

FINANCE = ("work_orders:read", "work_orders:write", "approvals:decide")


def test_reject_without_a_reason_is_refused_before_calling_the_api() -> None:
    """`reject ITEM` needs --reason: missing is a usage error, blank a ValidationFailed."""
    runner = CliRunner()
    item = str(uuid.uuid4())
    missing = runner.invoke(app, ["reject", item])
    assert missing.exit_code == 2
    assert "Missing option '--reason'" in missing.output
    blank = runner.invoke(app, ["reject", item, "--reason", "  "])
    assert isinstance(blank.exception, ValidationFailed)
    assert "a rejection needs a reason" in blank.exception.message


AWAITING = [
    "2b69a867-0000-4000-8000-000000000001",
    "2b69a867-1111-4000-8000-000000000002",
    "9f00c0de-2222-4000-8000-000000000003",
]


def test_a_short_id_names_the_one_awaiting_item_it_starts() -> None:
    """An unambiguous start of an id (8+ hex characters, any case) resolves to that id."""
    assert match_short_id("9F00C0DE", AWAITING) == AWAITING[2]
    assert match_short_id("2b69a867-1", AWAITING) == AWAITING[1]


def test_an_ambiguous_short_id_lists_what_it_matched() -> None:
    """A start shared by several awaiting items is refused, naming each of them."""
    with pytest.raises(ValidationFailed) as refused:
        match_short_id("2b69a867", AWAITING)
    assert "starts 2 work items" in refused.value.message
    assert AWAITING[0] in refused.value.message and AWAITING[1] in refused.value.message


def test_an_unknown_or_too_short_id_is_refused() -> None:
    """No match is NotFoundError; fewer than 8 hex characters (or not hex) is refused."""
    with pytest.raises(NotFoundError, match="no work item awaiting a decision starts"):
        match_short_id("deadbeef", AWAITING)
    for bad in ("2b69a86", "2b69a86z", "inv-2024"):
        with pytest.raises(ValidationFailed, match="8 or more hex characters"):
            match_short_id(bad, AWAITING)


async def test_approve_by_short_id_through_the_api(
    stack: AppClient,
    tenants: dict[str, uuid.UUID],
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    token_for: TokenFor,
) -> None:
    """`myloware approve <first 8 characters>` approves the waiting item against a running
    API, and a start no waiting item has says so."""
    await publish_policy(database_url, tenants["acme"])
    headers = token_for("acme", *FINANCE, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(stack, headers)
    other = "0" * 8 if not item_id.startswith("0" * 8) else "f" * 8
    with serving(
        stack.settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as url:
        env = {"MYLOWARE_API_URL": url, "MYLOWARE_API_TOKEN": headers["Authorization"][7:]}
        runner = CliRunner()
        unknown = await asyncio.to_thread(runner.invoke, app, ["approve", other], env=env)
        assert isinstance(unknown.exception, NotFoundError), unknown.output
        approved = await asyncio.to_thread(
            runner.invoke, app, ["approve", item_id[:8], "--reason", "checked"], env=env
        )
        assert approved.exit_code == 0, (approved.output, approved.exception)
        assert f"approved: work item {item_id}" in approved.output
    assert (await wait_for_order(stack, order_id, headers, timeout_s=20))["status"] == "COMPLETED"
