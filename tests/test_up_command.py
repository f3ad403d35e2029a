"""`myloware up` as a user runs it: starts, answers, stops cleanly on Ctrl-C, keeps its data."""

from __future__ import annotations

import json
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import httpx
import psutil
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(
    data_dir: Path, port: int, smtp_port: int | None = None, *, model: bool = False
) -> subprocess.Popen[bytes]:
    """``myloware up`` on free ports; without the bundled model unless ``model`` (it is
    tested once, below: on a busy 2-core machine each model call takes tens of seconds)."""
    env = {
        **os.environ,
        "MYLOWARE_LOCAL_MODEL_EMBEDDED": "true" if model else "false",
        "MYLOWARE_LOCAL_MODEL_PORT": "0",
        "MYLOWARE_DATA_DIR": str(data_dir),
        "MYLOWARE_API_PORT": str(port),
        "MYLOWARE_REDIS_PORT": "0",
        "MYLOWARE_TEMPORAL_PORT": "0",
        "MYLOWARE_TEMPORAL_UI_PORT": "0",
        "MYLOWARE_TEMPORAL_UI": "false",
    }
    if smtp_port is not None:
        env["MYLOWARE_SMTP_PORT"] = str(smtp_port)
    return subprocess.Popen(
        [sys.executable, "-m", "myloware.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=data_dir,
    )


def _wait_healthy(
    proc: subprocess.Popen[bytes], data_dir: Path, timeout: float = 240
) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    runtime = data_dir / "runtime.json"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            raise AssertionError(f"myloware up exited early ({proc.returncode}):\n{out}")
        if runtime.exists():
            info = json.loads(runtime.read_text())
            try:
                r = httpx.get(f"{info['api_url']}/health", timeout=2)
                if r.status_code == 200 and r.json()["status"] == "healthy":
                    return dict(info)
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    raise AssertionError("myloware up did not become healthy in time")


def _stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return out.decode()


def _leftovers(data_dir: Path) -> list[str]:
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(p.info["cmdline"] or [])
        if str(data_dir) in cmdline:
            found.append(f"{p.info['pid']}: {cmdline[:120]}")
    return found


def _cli(data_dir: Path, *args: str) -> str:
    env = {**os.environ, "MYLOWARE_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "myloware.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, cwd=data_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _mail_an_invoice(data_dir: Path, smtp_port: int) -> None:
    """An inbox opened from the CLI takes a mailed document (the API's SMTP listener)."""
    opened = _cli(data_dir, "email", "open", "--allow", "*@vendor.example", "--type", "INVOICE")
    address = opened.split("send documents to: ")[1].split()[0]
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ap@vendor.example", address, "Inv 7"
    message.set_content("Invoice No: INV-7\nTotal EUR 12.50\n")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
        assert smtp.send_message(message) == {}


def _submit_and_show_from_the_cli(data_dir: Path) -> None:
    """A user submits a file to the running platform (found without settings), then looks
    the order up again: both show the same state and the document's fields."""
    ticket = data_dir / "ticket.txt"
    ticket.write_text("Subject: Printer on floor 3 is down\n\nUrgent, nobody can print.")
    submitted = _cli(data_dir, "submit", str(ticket), "--type", "TICKET", "--wait")
    order_id = submitted.split()[2]
    state = submitted.split(f"work order {order_id}: ")[1].split()[0]
    assert state in {"COMPLETED", "AWAITING_APPROVAL"}, submitted  # or it waits for a person
    shown = _cli(data_dir, "show", order_id)
    assert f"work order {order_id}: {state}" in shown
    assert "ticket.txt" in shown

    slack = data_dir / "slack.yaml"
    slack.write_text(
        "team_id: T0ACME\nbot_token: xoxb-1-2-3\nsigning_secret: 0123456789abcdef\n"
        "channels: {finance: C0FIN}\nusers: {U0ALICE: {subject: alice@acme, groups: [finance]}}\n"
    )
    key = _cli(data_dir, "apikey", "create", "--name", "ci-bot").strip().splitlines()[-1]
    prefix = key[:12]
    assert prefix in _cli(data_dir, "apikey", "list")
    assert "revoked" in _cli(data_dir, "apikey", "revoke", prefix)
    api_url = json.loads((data_dir / "runtime.json").read_text())["api_url"]
    refused = httpx.get(f"{api_url}/v1/work-orders", headers={"X-API-Key": key}, timeout=10)
    assert refused.status_code == 401 and "revoked" in refused.text
    assert prefix not in _cli(data_dir, "apikey", "list")

    schemas = _cli(data_dir, "schema", "list")
    assert "INVOICE" in schemas and "TICKET" in schemas and "active" in schemas

    connected = _cli(data_dir, "slack", "connect", str(slack))
    assert "workspace T0ACME" in connected and "finance" in connected and "C0FIN" in connected
    assert "xoxb-1-2-3" not in connected and "/slack/events" in connected

    # the relay's memory indexer embeds the ticket in the background: then it is found
    deadline = time.monotonic() + 60
    while "ticket.txt" not in (found := _cli(data_dir, "memory", "search", "printer broken")):
        assert time.monotonic() < deadline, found
        time.sleep(0.5)
    assert "TICKET" in found


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_up_serves_stops_cleanly_and_restarts_with_data() -> None:
    """up answers /health, stops on SIGINT with no child left, and restarts with its data."""
    data_dir = Path(tempfile.mkdtemp(prefix="myloware-up-", dir="/tmp"))
    os.chmod(data_dir, 0o755)
    port, smtp_port = _free_port(), _free_port()
    proc = _start(data_dir, port, smtp_port)
    try:
        info = _wait_healthy(proc, data_dir)
        headers = {"Authorization": f"Bearer {info['dev_token']}"}
        created = httpx.post(
            f"{info['api_url']}/v1/work-orders",
            json={"work_items": [{"type": "TICKET", "content": "Subject: printer down\n\nhelp"}]},
            headers=headers,
            timeout=10,
        )
        assert created.status_code == 201, created.text
        order_id = created.json()["data"]["id"]
        _submit_and_show_from_the_cli(data_dir)
        _mail_an_invoice(data_dir, smtp_port)
    finally:
        output = _stop(proc)
    assert proc.returncode == 0, output
    assert "MyloWare is up" in output and "MyloWare stopped" in output
    assert f"smtp://127.0.0.1:{smtp_port}" in output
    assert "Traceback" not in output
    assert _leftovers(data_dir) == []
    assert not (data_dir / "runtime.json").exists()

    proc = _start(data_dir, port)
    try:
        info = _wait_healthy(proc, data_dir)
        headers = {"Authorization": f"Bearer {info['dev_token']}"}
        again = httpx.get(
            f"{info['api_url']}/v1/work-orders/{order_id}", headers=headers, timeout=10
        )
        assert again.status_code == 200
        assert again.json()["data"]["id"] == order_id
    finally:
        _stop(proc)
    assert proc.returncode == 0
    assert _leftovers(data_dir) == []


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_up_runs_the_bundled_model_and_stops_it() -> None:
    """The README's first command gets a model with no other step: up joins the bundled
    model, serves it on llama.cpp, says so, checks it in /health, and stops it on Ctrl-C."""
    data_dir = Path(tempfile.mkdtemp(prefix="myloware-up-", dir="/tmp"))
    os.chmod(data_dir, 0o755)
    proc = _start(data_dir, _free_port(), model=True)
    try:
        info = _wait_healthy(proc, data_dir)
        model_url = info["model_url"]
        assert info["extractor"] == "hybrid"
        listed = httpx.get(f"{model_url}/models", timeout=10).json()
        assert [m["id"] for m in listed["data"]] == ["qwen2.5-coder-1.5b-instruct-q4_k_m"]
        headers = {"Authorization": f"Bearer {info['dev_token']}"}
        health = httpx.get(f"{info['api_url']}/health", headers=headers, timeout=10).json()
        assert health["checks"]["model"] == "healthy"
        assert health["embedded"]["model"]["status"] == "up"
    finally:
        output = _stop(proc)
        for leftover in _leftovers(data_dir):  # never leave a 1 GB server behind
            psutil.Process(int(leftover.split(":")[0])).kill()
    assert proc.returncode == 0, output
    assert "Model" in output and model_url in output and "hybrid" in output
    assert "Traceback" not in output
    assert _leftovers(data_dir) == []
    assert (data_dir / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf.sha256").exists()
    shutil.rmtree(data_dir / "models")


def test_up_refuses_a_taken_port_with_a_clear_message() -> None:
    """When the API port is taken, up exits non-zero with a one-line reason, no traceback."""
    data_dir = Path(tempfile.mkdtemp(prefix="myloware-up-", dir="/tmp"))
    os.chmod(data_dir, 0o755)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = _start(data_dir, port)
        out, _ = proc.communicate(timeout=60)
    text = out.decode()
    assert proc.returncode == 1
    assert f"port {port}" in text and "MYLOWARE_API_PORT" in text
    assert "Traceback" not in text
