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
from tests.governance_support import (
    BROKEN_POLICY,
    NO_TOTAL_INVOICE,
    publish_policy,
    submit_waiting_invoice,
)
from tests.pipeline_support import AppClient, serving, wait_for_order

FINANCE = ("work_orders:read", "work_orders:write", "approvals:decide")


@pytest.mark.parametrize(
    ("command", "told"), [("reject", "a rejection"), ("escalate", "an escalation")]
)
def test_reject_or_escalate_without_a_reason_is_refused_before_calling_the_api(
    command: str, told: str
) -> None:
    """`reject ITEM` and `escalate ITEM` need --reason: missing is a usage error, blank a
    ValidationFailed."""
    runner = CliRunner()
    item = str(uuid.uuid4())
    missing = runner.invoke(app, [command, item])
    assert missing.exit_code == 2
    assert "Missing option '--reason'" in missing.output
    blank = runner.invoke(app, [command, item, "--reason", "  "])
    assert isinstance(blank.exception, ValidationFailed)
    assert f"{told} needs a reason" in blank.exception.message


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


async def test_show_and_approvals_list_print_what_to_decide_on(
    stack: AppClient,
    tenants: dict[str, uuid.UUID],
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    token_for: TokenFor,
) -> None:
    """`show` and `approvals list` print the full ids, why a person is asked, the vendor,
    the total and the fields; `approve --set` fills in the missing total and line items
    (JSON), and `show` then prints the order COMPLETED."""
    await publish_policy(database_url, tenants["acme"], BROKEN_POLICY)
    headers = token_for("acme", *FINANCE, groups=("finance",))
    order_id, item_id = await submit_waiting_invoice(stack, headers, NO_TOTAL_INVOICE)
    with serving(
        stack.settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as url:
        env = {
            "MYLOWARE_API_URL": url,
            "MYLOWARE_API_TOKEN": headers["Authorization"][7:],
            "COLUMNS": "60",  # a narrow terminal cuts nothing
        }
        runner = CliRunner()

        def run(*args: str) -> str:
            result = runner.invoke(app, list(args), env=env)
            assert result.exit_code == 0, (result.output, result.exception)
            return result.output

        shown = await asyncio.to_thread(run, "show", order_id)
        listed = await asyncio.to_thread(run, "approvals", "list")
        for out in (shown, listed):
            assert item_id in out
            assert "why: Policy 'test-broken'" in out and "the record has errors" in out
            assert "vendor: Globex Corporation" in out and "total: —" in out
            assert "GX-2002" in out
        assert f"work order {order_id}: AWAITING_APPROVAL" in shown
        lines = '[{"description": "Desk", "amount": "150.00"}]'
        approved = await asyncio.to_thread(
            run,
            "approve",
            item_id[:8],
            "--set",
            "total_amount=150.00",
            "--set",
            f"line_items={lines}",
        )
        assert f"approved: work item {item_id}" in approved
        assert (await wait_for_order(stack, order_id, headers, timeout_s=20))[
            "status"
        ] == "COMPLETED"
        done = await asyncio.to_thread(run, "show", order_id)
    assert f"work order {order_id}: COMPLETED" in done
    assert "150.00" in done and "description=Desk" in done
