"""The bundled model on the real llama.cpp server (xllamacpp), as `myloware up` runs it.

Few and small on purpose: on a busy 2-core machine one short model call takes 10–60 s. The
rest of the model path (fallback chain, breakers, budgets, costs) is tested against the
protocol emulator in test_models.py and test_pipeline_models.py.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from myloware.documents.model import LoadedDocument
from myloware.extraction.llm import ask, extract_hybrid, fields_from_reply, needs_model
from myloware.models import ModelError, ModelRouter
from myloware.models.bundled import QWEN_CODER_1_5B
from myloware.models.providers import OpenAIProvider
from myloware.records import DocumentType
from myloware.runtime._llama import EmbeddedModel
from myloware.runtime._process import pick_free_ports

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

INVOICE = (
    "ACME Tools Ltd\n12 Mill Road, Leeds LS1 4AB\n\nINVOICE\n"
    "Invoice number: INV-2041\nBill to: Northwind Traders\n\n"
    "Hammer  2 x 9.00  18.00\nLadder  1 x 100.00  100.00\n\nTotal due: 118.00 GBP\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedModel]:
    root = tmp_path_factory.mktemp("local-model")
    model = EmbeddedModel(
        root / "models",
        model=QWEN_CODER_1_5B,
        port=pick_free_ports(1)[0],
        threads=1,  # on a busy machine one thread beats two (docs/models.md)
        context=2048,
        parallel=1,
        log_path=root / "model.log",
        nice=0,  # the test waits for it: no reason to let others first
    )
    model.start()
    yield model
    model.stop()
    shutil.rmtree(root / "models")  # 1 GB


def _router(server: EmbeddedModel, *, max_tokens: int = 256) -> ModelRouter:
    provider = OpenAIProvider(
        name="local",
        model=QWEN_CODER_1_5B.name,
        api_key=None,
        base_url=server.url,
        timeout=600,
        max_retries=0,
        local=True,
        max_tokens=max_tokens,
    )
    return ModelRouter([provider], deadline_s=700)


@pytest.fixture
async def router(server: EmbeddedModel) -> AsyncIterator[ModelRouter]:
    router = _router(server)
    yield router
    await router.close()


async def test_the_bundled_model_answers_the_asked_fields_as_json(router: ModelRouter) -> None:
    doc = LoadedDocument.from_text(INVOICE)
    reply = await ask(router, doc, DocumentType.INVOICE, only=("invoice_number", "total_amount"))
    assert reply.provider == "local"
    assert set(reply.data) <= {"invoice_number", "total_amount"}  # what was asked, no more
    assert reply.data["invoice_number"] == "INV-2041"
    # the grammar keeps the schema's shapes: a two-place decimal string or a number, which
    # the record gets as the canonical decimal string
    assert reply.data["total_amount"] in ("118.00", 118, 118.0)
    answered = fields_from_reply(reply.data, doc, DocumentType.INVOICE)
    assert answered["total_amount"].value == "118.00"
    assert reply.usage.tokens_in > 50 and reply.usage.tokens_out > 0
    assert reply.usage.cost_usd == 0  # a local model costs no money


async def test_an_answer_cut_off_by_the_token_limit_is_a_clear_model_error(
    server: EmbeddedModel,
) -> None:
    router = _router(server, max_tokens=3)  # '{"invoice' is not JSON
    try:
        with pytest.raises(ModelError, match="not JSON") as caught:
            await ask(router, LoadedDocument.from_text(INVOICE), DocumentType.INVOICE)
    finally:
        await router.close()
    assert caught.value.usage.tokens_out == 3  # what the failed call cost is still counted


async def test_a_model_server_killed_mid_call_leaves_the_rules_record(
    server: EmbeddedModel, router: ModelRouter
) -> None:
    """Killed while it reads the document: hybrid keeps the rules' record and says why; the
    server started again (what the watchdog does) answers again."""
    doc = LoadedDocument.from_text(INVOICE)
    seen = await asyncio.to_thread(_requests_begun, server)
    call = asyncio.create_task(extract_hybrid(doc, DocumentType.INVOICE, router))
    while await asyncio.to_thread(_requests_begun, server) == seen:  # until it is working
        assert not call.done(), "the rules left nothing for the model to do"
        await asyncio.sleep(0.2)
    assert server.pid is not None
    os.killpg(server.pid, 9)
    record, _usage = await asyncio.wait_for(call, 120)
    assert record.extractor == "hybrid:rules (model unavailable)"
    assert needs_model(record)  # the rules' record, unchanged: still missing what it missed
    await asyncio.to_thread(server.restart)
    answer = await asyncio.to_thread(httpx.get, f"{server.url}/models", timeout=10)
    assert answer.is_success


def _requests_begun(server: EmbeddedModel) -> int:
    """How many requests the server has begun (llama.cpp logs each one)."""
    return Path(server.log_path).read_text(errors="replace").count("launch_slot_")


def test_the_model_role_serves_the_bundled_model_until_sigterm(server: EmbeddedModel) -> None:
    """``myloware model`` (the chart's model Deployment): the bundled model behind llama.cpp
    on the given address, found by its name, stopped cleanly by SIGTERM."""
    port = pick_free_ports(1)[0]
    env = {
        **os.environ,
        "MYLOWARE_DATA_DIR": str(server.models_dir.parent),  # the model joined already
        "MYLOWARE_LOCAL_MODEL_THREADS": "1",
        "MYLOWARE_LOCAL_MODEL_CONTEXT": "512",
    }
    argv = [sys.executable, "-m", "myloware.cli", "model", "--host", "127.0.0.1"]
    proc = subprocess.Popen(
        [*argv, "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert _healthy_within(base, proc, timeout_s=300)
        models = httpx.get(f"{base}/v1/models", timeout=10).json()
        assert QWEN_CODER_1_5B.name in [m["id"] for m in models["data"]]
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output.decode(errors="replace")[-2000:]
    assert b"model server stopping" in output


def _healthy_within(base: str, proc: subprocess.Popen[bytes], *, timeout_s: float) -> bool:
    """Whether ``base``/health answered 200 before ``timeout_s`` (False at once if ``proc``
    ended)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/health", timeout=2).is_success:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    return False


def test_the_model_role_names_a_taken_port_before_loading_anything(tmp_path: Path) -> None:
    """A port in use is refused with a sentence naming it, not llama.cpp's "check the input
    params" traceback, and before the model is joined."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = ["model", "--host", "127.0.0.1", "--port", str(port)]
        done = subprocess.run(
            [sys.executable, "-m", "myloware.cli", *argv],
            env={**os.environ, "MYLOWARE_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "models").exists()  # nothing joined for a server that cannot run
