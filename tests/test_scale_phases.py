"""The scale benchmark's phases: asked for or skipped, and a failed one never loses the rest.

At 1M documents the load alone takes most of an hour, so a phase that fails (or one not
asked for with ``--phases``) must leave the size's other figures, the targets and the
summary line intact. No stack is started here: the functions that assemble the result are
fed a result as a run leaves it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest

from benchmarks import scale
from benchmarks._scale_load import VECTOR_TEXT, index_build_memory
from myloware.memory.ann import Found, Near


def _size(**phases: dict[str, Any]) -> dict[str, Any]:
    tenant = {
        "ms": {"search": {"p50": 5.0, "p95": 9.0}},
        "mean_recall": {"search": 0.97, "approved": None},
    }
    endpoints = {name: {"p99_ms": 30.0} for name in scale.P99_ENDPOINTS}
    api = {
        "big": {"overall": {"p99_ms": 40.0}, "endpoints": endpoints},
        "tiny": {"overall": {"p99_ms": 20.0}, "endpoints": endpoints},
    }
    size = {
        "documents": 100,
        "load": {"documents_per_second": 500},
        "storage": {"bytes_per_document": 9000},
        "load_average": [1.0, 1.0, 1.0],
        "memory": {"big": tenant, "tiny": tenant},
        "api": api,
        "pipeline": {"docs_per_second": 7.5, "workers": 2, "latency_s": {"p95": 3.0}},
    }
    return {**size, **phases}


def _result(size: dict[str, Any]) -> dict[str, Any]:
    return {"config": {"rate": 200}, "sizes": {"100": size}}


def test_a_phase_not_asked_for_is_skipped_and_one_that_raises_is_reported() -> None:
    config = replace(scale.ScaleConfig(), phases=("api",))
    assert scale._phase("memory", config, lambda: {"never": "called"}) == {"skipped": True}

    def broken() -> dict[str, Any]:
        raise ConnectionResetError("reset by peer")

    assert scale._phase("api", config, broken) == {"error": "ConnectionResetError: reset by peer"}
    assert scale._phase("api", config, lambda: {"ok": 1}) == {"ok": 1}


def test_targets_come_from_the_phases_that_ran() -> None:
    measured = scale._targets(_result(_size()))
    assert measured["api_p99_ms"] == 30.0 and measured["api_p99_met"]  # list, filter, get
    assert measured["api_p99_all_reads_ms"] == 40.0
    assert measured["lookup_p95_ms"] == 9.0 and measured["lookup_p95_met"]
    assert measured["worst_recall"] == 0.97 and measured["recall_met"]

    # the target's own mix (list, filter, get at the rate) decides where a run has one
    slow = {name: {"p99_ms": 80.0} for name in scale.P99_ENDPOINTS}
    both = {
        name: {**tenant, "endpoints": slow, "target_reads": {"endpoints": tenant["endpoints"]}}
        for name, tenant in _size()["api"].items()
    }
    assert scale._targets(_result(_size(api=both)))["api_p99_ms"] == 30.0

    only_memory = scale._targets(_result(_size(api={"skipped": True})))
    assert only_memory["api_p99_ms"] is None and not only_memory["api_p99_met"]
    assert only_memory["lookup_p95_met"]

    failed = scale._targets(_result(_size(memory={"error": "OperationalError: gone"})))
    assert failed["lookup_p95_ms"] is None and not failed["lookup_p95_met"]
    assert failed["worst_recall"] is None and not failed["recall_met"]


def test_the_summary_line_names_what_was_not_measured_and_what_failed() -> None:
    line = scale.figures(
        _result(_size(api={"skipped": True}, pipeline={"error": "ReadError: reset"}))
    )
    assert "API not measured" in line
    assert "pipeline failed (ReadError: reset)" in line
    assert "look-up p95 ≤ 9.0 ms, mean recall@k ≥ 0.97" in line
    full = scale.figures(_result(_size()))
    assert "API p99 40.0 ms (biggest tenant) / 20.0 ms (smallest) at 200 rps" in full
    assert "pipeline 7.5 docs/s (2 workers, p95 3.0 s)" in full


def test_unknown_phases_are_refused_on_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        scale.main(["--phases", "memory,lookups"])
    assert exit_info.value.code == 2
    assert "unknown phase(s): lookups" in capsys.readouterr().err


def test_embeddings_are_written_in_pgvectors_text_form() -> None:
    text = VECTOR_TEXT % tuple([0.5, -0.125] + [0.0] * (VECTOR_TEXT.count("%") - 2))
    assert text.startswith("[0.5,-0.125,0,") and text.endswith(",0]")
    assert [float(x) for x in text[1:-1].split(",")][:2] == [0.5, -0.125]


def test_the_index_build_gets_between_one_and_eight_gigabytes() -> None:
    megabytes = int(index_build_memory().removesuffix("MB"))
    assert 1024 <= megabytes <= 8 * 1024


def _found(*distances: float) -> Found:
    return Found([Near(uuid.uuid4(), uuid.uuid4(), d) for d in distances], exact=False)


def test_recall_by_id_and_as_ann_benchmarks_counts_ties() -> None:
    """Docs as near as the exact k-th are no miss when counting ties; by id they are."""
    truth = _found(0.10, 0.20, 0.30)
    tied = Found([truth.near[0], truth.near[1], *_found(0.3005).near], exact=False)
    assert scale._recall(tied, truth) == pytest.approx(2 / 3)
    assert scale._recall_ties(tied, truth) == 1.0
    farther = Found([truth.near[0], *_found(0.25, 0.32).near], exact=False)
    assert scale._recall_ties(farther, truth) == pytest.approx(2 / 3)
    assert scale._recall_ties(_found(), _found()) is None


def test_a_mean_recall_leaves_out_the_queries_with_nothing_to_find() -> None:
    """None (no exact answer) is no miss; 0.0 (found none of it) is."""
    assert scale._mean([1.0, None, 0.5]) == 0.75
    assert scale._mean([0.0, 1.0]) == 0.5
    assert scale._mean([None, None]) is None
