"""The fault suite's smoke run: nothing accepted is lost, stuck or recorded twice.

One subprocess runs ``python -m benchmarks.faults --smoke`` (its own embedded services and
role processes): the worker and the relay are killed -9, Redis is killed -9 and restarted,
PostgreSQL is stopped for 10 s, each while orders are being processed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOKE_FAULTS = {"worker", "relay", "redis", "postgres-10s"}


def test_no_order_is_lost_stuck_or_duplicated_when_a_part_dies(tmp_path: Path) -> None:
    """After each fault every accepted order settles once, with one record and one event,
    and every stage that ran has its attempt row and stage event."""
    argv = [sys.executable, "-m", "benchmarks.faults", "--smoke"]
    argv += ["--results-dir", str(tmp_path), "--no-docs"]
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:  # SIGTERM lets it stop its servers; then the group goes
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            stdout, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
        pytest.fail(f"the fault suite timed out:\n{stdout[-3000:]}{stderr[-3000:]}")
    [path] = tmp_path.glob("faults-*.json")
    result = json.loads(path.read_text())
    assert result["meta"]["mode"] == "smoke"
    assert set(result["faults"]) == SMOKE_FAULTS
    for fault, figures in result["faults"].items():
        detail = f"{fault}: {figures}"
        assert figures["accepted"] == figures["documents"] > 0, detail
        assert figures["client_gave_up"] == 0 and figures["client_rejected"] == [], detail
        assert figures["lost"] == 0, detail
        assert figures["stuck"] == 0, detail
        assert figures["completed"] + figures["failed"] == figures["accepted"], detail
        assert figures["duplicated_records"] == 0, detail
        assert figures["completed_items_without_record"] == 0, detail
        assert figures["duplicated_events"] == 0, detail
        assert figures["orders_without_settle_event"] == 0, detail
        assert figures["events_unpublished"] == figures["stream_missing"] == 0, detail
        assert figures["stage_events_missing"] == 0, detail  # every stage's trace written
    assert result["faults"]["postgres-10s"]["down_seconds"] >= 10
    assert proc.returncode == 0, stdout[-3000:] + stderr[-3000:]
