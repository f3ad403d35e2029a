"""``myloware eval HELDOUT --learn-from DEV --via-api URL``: learning measured on the running
platform (API on a real port, worker, the relay's memory indexer), through its approval API."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from myloware.db.engine import create_engine
from myloware.db.models import ApprovalEvent, Tenant, WorkItem
from myloware.evaluation.learning_api import EVAL_SUBJECT
from myloware.memory import Embedder
from myloware.memory.indexer import MemoryIndexer
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.pipeline_support import running_worker, serving, unique_queue
from tests.rows import read_rows
from tests.test_learning import eval_app, learn_and_heldout


async def test_eval_learns_through_the_approval_api_into_a_fresh_tenant(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
    token_for: TokenFor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DEV's ground truth is approved by the eval in a new tenant; the held-out receipt of the
    same vendor comes out with the learned address there, not in the baseline tenant."""
    learn, heldout = learn_and_heldout(tmp_path)
    out = tmp_path / "pred"
    local = settings.model_copy(update={"task_queue": unique_queue()})
    operator = token_for("acme", "tenants:admin")["Authorization"].removeprefix("Bearer ")
    monkeypatch.setenv("MYLOWARE_API_TOKEN", operator)
    monkeypatch.setenv("MYLOWARE_DATA_DIR", str(tmp_path / "cli"))
    embedder = Embedder()
    engine = create_engine(database_url, pool_size=2)
    stop = asyncio.Event()
    indexer = asyncio.create_task(MemoryIndexer(engine, embedder, quiet_s=0).run(stop))
    try:
        with serving(
            local,
            database_url=database_url,
            redis_url=clean_redis,
            temporal_address=temporal_address,
        ) as url:
            async with running_worker(local, database_url, temporal_address):
                args = ["eval", str(heldout), "--out", str(out), "--learn-from", str(learn)]
                result = await asyncio.to_thread(
                    CliRunner().invoke, eval_app(), [*args, "--via-api", url]
                )
    finally:
        stop.set()
        await indexer
        await engine.dispose()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "| seen | address | 1 | 0.000 | 1.000 |" in lines
    assert "| unseen | address | 1 | 0.000 | 0.000 |" in lines
    assert lines[-2:] == ["overall_without_learning=0.500", "overall_with_learning=0.750"]
    assert "DEV: 1 documents, 1 approved through the approval service, 1 teaching" in lines
    slugs = re.search(
        r"tenants: (eval-\w+-learning) \(learning\), (eval-\w+-baseline)", result.output
    )
    assert slugs is not None, result.output
    by_slug = {t.slug: t.id for t in await read_rows(database_url, Tenant)}
    learner, baseline = by_slug[slugs[1]], by_slug[slugs[2]]

    # the approval went through the approval service: an event decided by the eval's subject
    [event] = await read_rows(database_url, ApprovalEvent, tenant_id=learner)
    assert (event.approver_id, event.decision.value) == (EVAL_SUBJECT, "APPROVED")
    [taught] = await read_rows(database_url, WorkItem, id=event.work_item_id)
    assert taught.filename == "l1.txt" and taught.status.value == "COMPLETED"
    assert await read_rows(database_url, ApprovalEvent, tenant_id=baseline) == []

    h1 = json.loads((out / "h1.json").read_text())
    assert h1["learned"] == ["vendor_address"]
    assert h1["fields"]["address"] == "1 Corporate Way, Springfield"
    source = h1["canonical"]["fields"]["vendor_address"]["source"]
    assert f"learned from the approval of l1.txt by {EVAL_SUBJECT}" in source
    # held-out documents were scored and rejected by the eval's policy: none teaches
    held = await read_rows(database_url, WorkItem, WorkItem.tenant_id.in_([learner, baseline]))
    assert sorted(i.status.value for i in held if i.filename != "l1.txt") == ["REJECTED"] * 4
