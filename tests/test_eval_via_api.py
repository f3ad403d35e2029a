"""`myloware eval --via-api`: the whole running platform measured on a labelled folder."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from myloware.api.app import create_app
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import EvalResult
from myloware.evaluation import run_eval
from myloware.evaluation.via_api import ApiRunner
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.pipeline_support import running_worker, unique_queue

MINI = Path(__file__).parent / "fixtures" / "eval" / "mini" / "dev"


@pytest.fixture
def served(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
) -> Iterator[tuple[str, Settings]]:
    """The API on a real loopback port (uvicorn in a thread)."""
    local = settings.model_copy(update={"task_queue": unique_queue()})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(
        local, database_url=database_url, redis_url=clean_redis, temporal_address=temporal_address
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", local
    server.should_exit = True
    thread.join(timeout=10)


async def test_eval_via_api_scores_like_in_process_and_stores_results(
    served: tuple[str, Settings],
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    tmp_path: Path,
) -> None:
    """The platform scores the fixture set as the in-process extractor does, and keeps it."""
    url, local = served
    token = token_for("acme")["Authorization"].removeprefix("Bearer ")
    runner = ApiRunner(url, token, workers=2, timeout_s=180)  # a loaded CI machine
    async with running_worker(local, database_url, temporal_address):
        report = await asyncio.to_thread(
            run_eval, MINI, tmp_path / "api", runner=runner, on_scored=runner.store_scores
        )
    runner.close()
    local_report = run_eval(MINI, tmp_path / "local")
    # which documents failed, and why, say more than the two accuracies (a flake under load
    # once: 0.36 against 0.55, not reproduced alone)
    failures = (report.sets["mini"].failures, local_report.sets["mini"].failures)
    assert set(failures[0]) == set(failures[1]), failures
    assert report.overall_field_accuracy == pytest.approx(local_report.overall_field_accuracy), (
        failures
    )
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session:
        rows = (
            await session.scalars(
                select(EvalResult).where(EvalResult.evaluation_type == "dataset:mini")
            )
        ).all()
    await engine.dispose()
    assert len(rows) == 2
    assert {float(r.score) for r in rows} <= {0.0, 0.25, 0.33, 0.5, 0.67, 0.75, 1.0}


def test_the_runner_waits_out_the_platforms_rate_limit() -> None:
    """A request refused with 429 is sent again after its Retry-After, not failed."""
    answers = iter(
        [
            httpx.Response(
                429, headers={"Retry-After": "0.2"}, json={"error": {"message": "slow"}}
            ),
            httpx.Response(200, json={"data": {"ok": True}}),
        ]
    )
    seen: list[float] = []

    def platform(request: httpx.Request) -> httpx.Response:
        seen.append(time.monotonic())
        return next(answers)

    runner = ApiRunner("http://platform", "token")
    runner.client = httpx.Client(
        base_url="http://platform", transport=httpx.MockTransport(platform)
    )
    assert runner.call("GET", "/v1/work-items/x") == {"ok": True}
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.2
    runner.close()
