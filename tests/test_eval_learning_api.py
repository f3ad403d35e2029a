"""``myloware eval HELDOUT --learn-from DEV --via-api URL``: learning measured on the running
platform (API on a real port, worker, the relay's memory indexer), through its approval API."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from myloware.db.engine import create_engine
from myloware.db.models import ApprovalEvent, Tenant, WorkItem
from myloware.evaluation.learning_api import EVAL_SUBJECT, _breakdown
from myloware.memory import Embedder
from myloware.memory.indexer import MemoryIndexer
from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.pipeline_support import running_worker, serving, unique_queue
from tests.rows import read_rows
from tests.test_learning import eval_app, learn_and_heldout

# subtotal + tax is not the total: the eval, vouching for neither, empties both
UNBALANCED = """Umbrella Corporation
7 Hive Road
Building C, Suite 400
GST ID: GB999888777
INVOICE
Invoice No: 9
Invoice Date: 01/02/2024
Subtotal 10.00
Tax 1.00
Total USD 20.00
"""
# due before it was issued: corrected, the record is still invalid
DUE_BEFORE = """Soylent Industries
9 Green Street
Building C, Suite 400
INVOICE
Invoice No: 11
Invoice Date: 01/02/2024
Due Date: 01/01/2024
Total USD 5.00
"""


@pytest.fixture
def eval_sets(
    tmp_path: Path, token_for: TokenFor, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """DEV and HELDOUT (see ``learn_and_heldout``), and the CLI's environment: an operator
    token of acme (tenants:admin), no ``myloware up`` runtime file."""
    operator = token_for("acme", "tenants:admin")["Authorization"].removeprefix("Bearer ")
    monkeypatch.setenv("MYLOWARE_API_TOKEN", operator)
    monkeypatch.setenv("MYLOWARE_DATA_DIR", str(tmp_path / "cli"))
    return learn_and_heldout(tmp_path)


@pytest.fixture
def platform(
    settings: Settings, database_url: str, clean_redis: str, temporal_address: str
) -> Iterator[tuple[str, Settings]]:
    """The API on a real loopback port, with its settings (a task queue of its own)."""
    local = settings.model_copy(update={"task_queue": unique_queue()})
    with serving(
        local, database_url=database_url, redis_url=clean_redis, temporal_address=temporal_address
    ) as url:
        yield url, local


async def _eval(url: str, learn: Path, heldout: Path, out: Path) -> Result:
    args = ["eval", str(heldout), "--out", str(out), "--learn-from", str(learn)]
    return await asyncio.to_thread(CliRunner().invoke, eval_app(), [*args, "--via-api", url])


async def test_eval_learns_through_the_approval_api_into_a_fresh_tenant(
    platform: tuple[str, Settings],
    database_url: str,
    temporal_address: str,
    eval_sets: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DEV's ground truth is approved by the eval in a new tenant; the held-out receipt of the
    same vendor comes out with the learned address there, not in the baseline tenant. A DEV
    record whose amounts do not add up is approved with the breakdown the truth does not
    give emptied; one the approval service refuses is counted, with why, and closed."""
    learn, heldout = eval_sets
    for name, text, company, address in (
        ("l2", UNBALANCED, "Umbrella Corporation", "7 Hive Road"),
        ("l3", DUE_BEFORE, "Soylent Industries", "9 Green Street"),
    ):
        (learn / f"{name}.txt").write_text(text)
        (learn / f"{name}.json").write_text(
            json.dumps({"fields": {"company": company, "address": address}})
        )
    out, (url, local) = tmp_path / "pred", platform
    # the worker's policy cache kept a second, and the eval's wait for it with it (10 s
    # otherwise): a held-out document still under the learning policy would wait for a person
    monkeypatch.setattr("myloware.agents.policy.POLICY_CACHE_S", 1.0)
    monkeypatch.setattr("myloware.evaluation.learning_api.POLICY_CACHE_S", 1.0)
    embedder = Embedder()
    engine = create_engine(database_url, pool_size=2)
    stop = asyncio.Event()
    indexer = asyncio.create_task(MemoryIndexer(engine, embedder, quiet_s=0).run(stop))
    try:
        async with running_worker(local, database_url, temporal_address):
            result = await _eval(url, learn, heldout, out)
    finally:
        stop.set()
        await indexer
        await engine.dispose()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "| seen | address | 1 | 0.000 | 1.000 |" in lines
    assert "| unseen | address | 1 | 0.000 | 0.000 |" in lines
    assert lines[-2:] == ["overall_without_learning=0.500", "overall_with_learning=0.750"]
    assert "DEV: 3 documents, 2 approved through the approval service, 2 teaching" in lines
    assert (
        "DEV: 1 approved with the breakdown the ground truth does not give emptied (their "
        "amounts did not add up)" in lines
    )
    assert (
        "DEV not teaching (1): the approval service refused the corrected record "
        "(due_before_invoice)" in lines
    )
    slugs = re.search(
        r"tenants: (eval-\w+-learning) \(learning\), (eval-\w+-baseline)", result.output
    )
    assert slugs is not None, result.output
    tenants = {t.slug: t for t in await read_rows(database_url, Tenant)}
    learner, baseline = tenants[slugs[1]].id, tenants[slugs[2]].id
    # disabled when done: the minted credentials stop working, the records stay
    assert {tenants[slugs[i]].status.value for i in (1, 2)} == {"DISABLED"}
    assert "disabled when done" in result.output

    # the approval went through the approval service: an event decided by the eval's subject
    events = await read_rows(database_url, ApprovalEvent, tenant_id=learner)
    decided = {
        (await read_rows(database_url, WorkItem.filename, id=e.work_item_id))[0]: e for e in events
    }
    assert {name: (e.approver_id, e.decision.value) for name, e in decided.items()} == {
        "l1.txt": (EVAL_SUBJECT, "APPROVED"),
        "l2.txt": (EVAL_SUBJECT, "APPROVED"),
        "l3.txt": (EVAL_SUBJECT, "REJECTED"),  # refused as approved: closed, not left waiting
    }
    emptied = decided["l2.txt"].corrections or {}
    assert {k: emptied.get(k, "kept") for k in ("subtotal", "tax_amount", "total_amount")} == {
        "subtotal": None,
        "tax_amount": None,
        "total_amount": "kept",  # the total is never emptied
    }
    [taught] = await read_rows(database_url, WorkItem, id=decided["l1.txt"].work_item_id)
    assert taught.status.value == "COMPLETED"
    assert await read_rows(database_url, ApprovalEvent, tenant_id=baseline) == []

    h1 = json.loads((out / "h1.json").read_text())
    assert h1["learned"] == ["vendor_address"]
    assert h1["fields"]["address"] == "1 Corporate Way, Springfield"
    source = h1["canonical"]["fields"]["vendor_address"]["source"]
    assert f"learned from the approval of l1.txt by {EVAL_SUBJECT}" in source
    # held-out documents were scored and rejected by the eval's policy: none teaches
    held = await read_rows(database_url, WorkItem, WorkItem.tenant_id.in_([learner, baseline]))
    assert sorted(i.status.value for i in held if i.filename[0] == "h") == ["REJECTED"] * 4


async def test_a_platform_with_another_jwt_secret_is_named_as_the_cause(
    platform: tuple[str, Settings],
    eval_sets: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The eval tenants' credentials are signed by the eval: a platform with another secret
    refuses them, and the eval says why and which tenants it made (exit 2)."""
    learn, heldout = eval_sets
    monkeypatch.setenv("MYLOWARE_JWT_SECRET", "not-the-platform-secret-" + "x" * 40)
    result = await _eval(platform[0], learn, heldout, tmp_path / "pred")
    assert result.exit_code == 2, result.output
    assert "refused the eval tenant's credential" in result.output
    assert "MYLOWARE_JWT_SECRET" in result.output and "-learning (learning)" in result.output


def test_the_breakdown_is_emptied_only_where_the_amounts_do_not_add_up() -> None:
    """The eval empties line items, subtotal and tax only for a record that does not add up,
    never the total, and never a value the ground truth gives."""
    record = CanonicalRecord(
        document_type=DocumentType.INVOICE,
        fields={
            "total_amount": FieldValue(value="20.00", confidence=1.0),
            "subtotal": FieldValue(value="10.00", confidence=1.0),
            "tax_amount": FieldValue(value="1.00", confidence=1.0),
            "line_items": FieldValue(value=[{"amount": "3.00"}], confidence=1.0),
            "tax_rate": FieldValue(value=None, confidence=1.0),
        },
    )
    assert _breakdown({"due_before_invoice"}, record, set()) == {}
    assert _breakdown({"totals_mismatch"}, record, set()) == {
        "line_items": None,
        "subtotal": None,
        "tax_amount": None,
    }
    assert _breakdown({"line_items_mismatch"}, record, {"subtotal"}) == {
        "line_items": None,
        "tax_amount": None,
    }
