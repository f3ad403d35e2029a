"""Every benchmark runs end to end in smoke mode and writes a sane JSON result.

Each test runs ``python -m benchmarks.run_all --smoke --only NAME`` in a subprocess (the real
entry point, its own embedded services) and checks the result's shape and values — never
its speed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.model_emulator import ModelEmulator
from tests.pipeline_support import AGENTS

ROOT = Path(__file__).resolve().parents[1]


def run_smoke(
    name: str,
    results: Path,
    *,
    argv: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 240,
) -> dict[str, Any]:
    argv = argv or [sys.executable, "-m", "benchmarks.run_all", "--smoke", "--only", name]
    argv += ["--results-dir", str(results), "--no-docs"]
    # its own process group: on a timeout SIGTERM lets it stop its servers, then the group goes
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, env={**os.environ, **(env or {})},
    )  # fmt: skip
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            stdout, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
        pytest.fail(f"{name} smoke run timed out:\n{stdout[-3000:]}{stderr[-3000:]}")
    assert proc.returncode == 0, stdout[-3000:] + stderr[-3000:]
    files = list(results.glob(f"{name}-*.json"))
    assert len(files) == 1, f"expected one {name} result, found {files}"
    result: dict[str, Any] = json.loads(files[0].read_text())
    meta = result["meta"]
    assert meta["benchmark"] == name and meta["mode"] == "smoke"
    assert meta["machine"]["cpu_count"] >= 1 and meta["machine"]["cpu_model"]
    assert meta["commit"]
    return result


def check_processes(
    processes: dict[str, Any], expected: set[str], busy: frozenset[str] = frozenset()
) -> None:
    """Every expected process was sampled; the ``busy`` ones used CPU (idle ones may not)."""
    assert expected <= set(processes)
    for name in expected:
        assert processes[name]["peak_rss_mb"] > 0, name
        if name in busy:
            assert processes[name]["cpu_seconds"] > 0, name


@pytest.mark.slow
def test_pipeline_smoke_measures_throughput_latency_and_bare_temporal(tmp_path: Path) -> None:
    """The pipeline benchmark completes every document and reports rates, stages and processes."""
    result = run_smoke("pipeline", tmp_path)
    run = result["platform"]["1"]
    assert run["completed"] == run["documents"] == result["config"]["documents"]
    assert run["failed"] == 0
    assert run["docs_per_second"] > 0
    assert 0 < run["latency_s"]["p50"] <= run["latency_s"]["p95"]
    assert run["memory_indexed_after_s"] is not None  # the relay embedded every document
    assert set(run["stage_ms"]) == set(AGENTS)
    cpu = run["cpu_ms_per_document"]["by_process"]
    assert cpu["worker-1"] > 0 and cpu["temporal"] > 0 and run["cpu_ms_per_document"]["stack"] > 0
    indexed = run["cpu_ms_per_document_with_indexing"]["by_process"]
    assert indexed["relay"] >= cpu["relay"] and indexed["worker-1"] == cpu["worker-1"]
    [(workflow, history)] = run["temporal_history"].items()  # one workflow per document
    assert workflow == "WorkOrderWorkflow" and history["by_type"]["marker_recorded"] >= len(AGENTS)
    check_processes(
        run["processes"],
        {"api", "worker-1", "relay", "temporal", "postgres", "redis"},
        busy=frozenset({"api", "worker-1", "temporal", "postgres"}),
    )
    for variant in ("regular", "local"):
        assert result["bare"]["1"][variant]["workflows_per_second"] > 0
    offered = result["offered_load"]
    assert offered["completed"] == offered["documents"] > 0
    assert offered["latency_s"]["p95"] > 0
    assert {"docs_per_second_2_workers", "platform_over_bare_regular", "offered_p95_s"} <= set(
        result["targets"]
    )
    assert result["targets"]["failed_documents"] == 0


def test_cpu_with_indexing_adds_only_what_the_relay_and_postgres_spent_after_the_burst() -> None:
    """The indexer's catch-up counts for the documents; other processes' idle polling does
    not."""
    from benchmarks.pipeline import with_indexing

    burst = {
        name: {"cpu_seconds": cpu, "peak_rss_mb": 1.0}
        for name, cpu in (("relay", 1.0), ("postgres", 2.0), ("temporal", 3.0))
    }
    whole = {
        name: {"cpu_seconds": cpu, "peak_rss_mb": 1.0}
        for name, cpu in (("relay", 4.5), ("postgres", 2.5), ("temporal", 9.0))
    }
    added = with_indexing(burst, whole)
    assert {name: f["cpu_seconds"] for name, f in added.items()} == {
        "relay": 4.5,
        "postgres": 2.5,
        "temporal": 3.0,
    }
    assert burst["relay"]["cpu_seconds"] == 1.0  # the burst's own figures are left as they were


@pytest.mark.slow
def test_api_latency_smoke_reports_percentiles_per_endpoint(tmp_path: Path) -> None:
    """The API benchmark drives the read endpoints from locust and reports p50/p95/p99."""
    if importlib.util.find_spec("locust") is None:  # importing it would gevent-patch threads
        pytest.skip("locust is not installed")
    result = run_smoke("api_latency", tmp_path)
    rate = result["rates"][str(result["config"]["rates"][0])]
    assert len(rate["endpoints"]) == 3
    overall = rate["overall"]
    assert overall["requests"] > 0 and overall["failures"] == 0
    assert 0 < overall["p50_ms"] <= overall["p95_ms"] <= overall["p99_ms"]
    check_processes(rate["processes"], {"api", "locust"}, busy=frozenset({"api", "locust"}))


@pytest.mark.slow
def test_retention_smoke_moves_every_old_row_and_reports_rates(tmp_path: Path) -> None:
    """The retention benchmark's sweeps find every seeded row due and handle all of them."""
    result = run_smoke("retention", tmp_path)
    rows = result["config"]["rows"]
    assert result["dry_run"]["due"] == {
        "outbox": rows, "processed_events": rows, "attempts": rows, "audit_logs": rows,
        "stream": rows,
    }  # fmt: skip
    sweeps = result["sweeps"]
    assert {name: s["rows"] for name, s in sweeps.items() if name != "stream"} == {
        "outbox": rows,
        "processed_events": rows,
        "attempts": rows,
        "audit_logs": rows,
    }
    assert 0 < sweeps["stream"]["rows"] <= rows  # ~: whole nodes only
    assert all(s["rows_per_s"] > 0 for s in sweeps.values())


SCALE_ENDPOINTS = {
    "GET /v1/work-orders",
    "GET /v1/work-orders?status&priority",
    "GET /v1/work-orders/{id}",
    "GET /v1/work-orders/{id}/work-items",
    "GET /v1/approvals",
    "GET /v1/work-items/{id}/similar",
}


@pytest.mark.slow
def test_scale_smoke_loads_every_size_and_measures_lookups_for_every_tenant(
    tmp_path: Path,
) -> None:
    """The scale benchmark bulk-loads each size, and reports storage, API latency for the
    biggest and smallest tenant, look-up recall against exact search for all four, and
    pipeline throughput on the loaded database."""
    result = run_smoke("scale", tmp_path)
    sizes = result["sizes"]
    assert set(sizes) == {str(n) for n in result["config"]["sizes"]}
    for size in sizes.values():
        rows = size["load"]["rows"]
        assert rows["documents"] == size["documents"] > 0
        assert rows["attempts"] == 7 * rows["documents"] and rows["approval_requests"] > 0
        assert size["load"]["seconds"]["hnsw_build"] > 0
        # the embedded stack's superuser loads as pg_restore would: no per-row FK triggers
        assert size["load"]["settings"]["fk_triggers_during_copy"] == "off"
        # the memory index rebuilt as the migrations define it
        assert "USING hnsw (embedding vector_cosine_ops)" in size["load"]["settings"]["index"]
        assert size["settle"]["idle_wait_s"] == 0 and size["settle"]["checkpoint_s"] >= 0
        assert size["storage"]["bytes_per_document"] > 0
        assert size["storage"]["tables_mb"]["mem_docs"] > 0
        assert set(size["memory"]) == {"big", "mid", "small", "tiny"}
        sweep = size["memory"]["big"]["ef_sweep"]  # what each index scan size buys
        assert set(sweep) == {"200", "400", "800"}
        assert all(0 < ef["mean_recall"] <= ef["mean_recall_ties"] <= 1 for ef in sweep.values())
        for tenant in size["memory"].values():
            assert tenant["recall"]["search"] is not None  # every tenant found something
            assert 0 < tenant["recall"]["search"] <= 1
            for kind in ("search", "approved", "similar", "related"):
                assert 0 < tenant["ms"][kind]["p50"] <= tenant["ms"][kind]["p95"]
        assert set(size["api"]) == {"big", "tiny"}
        for tenant in size["api"].values():
            one = tenant["one_client_ms"]
            assert set(one) == {"list", "filter", "get", "items", "approvals", "similar"} | {
                "ui_orders",  # the UI's pages, signed in with the same token
                "ui_orders_filtered",
                "ui_order",
                "ui_trace",
                "ui_approvals",
            }
            assert all(0 < ms["p50"] <= ms["p95"] for ms in one.values())
            assert all(ms["cpu_ms"] >= 0 for ms in one.values())  # 4 requests: may be < a tick
            assert tenant["api_cpu_ms_per_request"] > 0
            assert {"api", "locust", "postgres", "other"} <= set(tenant["cpu_percent"])
            target = tenant["target_reads"]  # the target's own mix: list, filter, get only
            assert target["overall"]["failures"] == 0 and target["overall"]["requests"] > 0
            assert set(target["endpoints"]) <= {
                "GET /v1/work-orders",
                "GET /v1/work-orders?status&priority",
                "GET /v1/work-orders/{id}",
            }
            assert tenant["cpu_percent"]["api"] > 0
            assert tenant["overall"]["failures"] == 0 and tenant["overall"]["requests"] > 0
            assert set(tenant["endpoints"]) <= SCALE_ENDPOINTS  # a few requests: not all may
            assert len(tenant["endpoints"]) >= 4  # have come up, but the scale users' did
        pipeline = size["pipeline"]  # documents through the workers on the loaded tables
        assert (
            pipeline["completed"] == pipeline["documents"] == result["config"]["pipeline_documents"]
        )
        assert pipeline["docs_per_second"] > 0 and pipeline["failed"] == 0
    biggest = sizes[str(max(result["config"]["sizes"]))]["memory"]
    queries = result["config"]["queries"]
    assert biggest["tiny"]["paths"]["search"]["exact_by_size"] == queries  # a few docs
    assert biggest["big"]["paths"]["search"]["index"] > 0  # 1,200 docs: the index
    assert {"api_p99_met", "lookup_p95_met", "recall_met"} <= set(result["targets"])


@pytest.mark.slow
def test_accuracy_smoke_scores_every_set_in_both_input_modes(tmp_path: Path) -> None:
    """The accuracy benchmark scores each dataset from text and from documents, at no cost."""
    result = run_smoke("accuracy", tmp_path)
    if "skipped" in result:
        pytest.skip(result["skipped"])
    rules = result["providers"]["rules"]
    assert set(rules["modes"]) == {"text", "document"}
    for mode in rules["modes"].values():
        assert 0 <= mode["overall_field_accuracy"] <= 1
        for figures in mode["sets"].values():
            assert 0 <= figures["field_accuracy"] <= 1
            assert figures["documents"] > 0 and figures["fields_scored"] > 0
            assert figures["seconds_per_document"]["mean"] > 0
            assert figures["tokens_per_document"] == 0 and figures["cost_usd_per_document"] == 0
            assert figures["pages"] >= figures["documents"] and figures["cpu_seconds_per_page"] > 0
        check = mode["calibration"]
        assert check["table"][0].startswith("| kind |")
        assert any(line.startswith("| all |") for line in check["table"])


@pytest.mark.slow
def test_accuracy_reports_tokens_and_cost_of_model_providers(tmp_path: Path) -> None:
    """Per provider: a model provider's tokens and cost per document come from its usage; one
    without settings is listed as skipped, with the reason."""
    env = {
        "MYLOWARE_OPENAI_API_KEY": "sk-test",
        "MYLOWARE_ANTHROPIC_API_KEY": "",
        "MYLOWARE_MODEL_MAX_RETRIES": "0",
    }
    argv = [sys.executable, "-m", "benchmarks.accuracy", "--smoke"]
    argv += ["--datasets", str(ROOT / "tests" / "fixtures" / "eval")]
    argv += ["--providers", "rules,openai,anthropic"]
    with ModelEmulator() as emu:
        env["MYLOWARE_OPENAI_BASE_URL"] = emu.openai_url
        result = run_smoke("accuracy", tmp_path, argv=argv, env=env)
        calls = len(emu.requests)
    providers = result["providers"]
    assert "MYLOWARE_ANTHROPIC_API_KEY" in providers["anthropic"]["skipped"]
    rules_sets = providers["rules"]["modes"]["text"]["sets"]
    assert rules_sets["mini"]["tokens_per_document"] == 0
    openai = providers["openai"]["modes"]
    documents = sum(m["sets"]["mini"]["documents"] for m in openai.values())
    assert calls >= documents > 0  # every document asked the model
    for mode in openai.values():
        mini = mode["sets"]["mini"]
        # the emulator bills 120 tokens in and 40 out per call, at gpt-4o-mini's prices
        assert mini["tokens_per_document"] >= 160 and mini["tokens_per_document"] % 160 == 0
        assert mini["cost_usd_per_document"] > 0


@pytest.mark.slow
def test_footprint_smoke_measures_size_startup_and_memory(tmp_path: Path) -> None:
    """The footprint benchmark sizes the install, times `myloware up` and samples its memory."""
    result = run_smoke("footprint", tmp_path)
    install = result["install"]
    assert install["venv_mb"] > install["runtime_closure_mb"] > 0
    assert result["startup_first_seconds"] > 0
    for phase in ("idle", "loaded"):
        check_processes(
            result[phase]["processes"], {"myloware-up", "postgres", "temporal", "redis"}
        )
        assert result[phase]["totals"]["peak_pss_mb"] > 0
    assert result["load"]["documents"] == result["config"]["documents"]
    assert result["targets"]["target_mb"] == 1024.0


def test_memory_smoke_measures_the_embedder(tmp_path: Path) -> None:
    """The memory benchmark embeds a few documents and reports speed, latency and memory."""
    result = run_smoke("memory", tmp_path)
    assert result["documents"] == result["config"]["documents"] == sum(result["mix"].values())
    assert result["docs_per_second"] > 0 and result["load_seconds"] > 0
    assert 0 < result["ms_per_document"]["p50"] <= result["ms_per_document"]["p95"]
    assert result["rss_mb"]["after"] > result["rss_mb"]["before_load"] > 0


def test_signin_smoke_measures_argon2_and_the_event_loop(tmp_path: Path) -> None:
    """The sign-in benchmark times argon2 for each answer and the loop's stall meanwhile."""
    result = run_smoke("signin", tmp_path)
    assert result["hash_prefix"].startswith("$argon2id$")
    for timing in result["ms"].values():
        assert 0 < timing["p50"] <= timing["p95"]
    assert result["unknown_vs_wrong_p50"] > 0 and result["loop_stall_ms"] >= 0


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_model_mix_smoke_runs_rules_documents_beside_a_model_backlog(tmp_path: Path) -> None:
    """The mixed-load benchmark runs the bundled model: rules-only documents alone and behind
    a model backlog, and the model documents' seconds and tokens (real llama.cpp calls)."""
    result = run_smoke("model_mix", tmp_path, timeout=840)
    behind = result["behind_backlog"]
    assert result["alone"]["rules_only"]["completed"] == result["config"]["documents"]
    assert behind["rules_only"]["completed"] == result["config"]["documents"]
    assert behind["backlog"]["completed"] == result["config"]["model_documents"]
    work = behind["model_work"]
    assert work["model_documents"] == result["config"]["model_documents"]
    assert work["model_seconds_per_document"] > 0 and work["tokens_in_per_document"] > 0
    assert 0 < behind["share_using_model"] < 1
    assert result["p95_ratio"] is not None and result["p95_ratio"] > 0


def test_agent_overhead_smoke_times_a_model_call_and_an_agent_run(tmp_path: Path) -> None:
    """The agent benchmark times one structured call and an agent run with a tool against
    the emulator, and reports the SDK's CPU beyond the two calls."""
    result = run_smoke("agent_overhead", tmp_path)
    for kind in ("model", "agent"):
        assert 0 < result[kind]["wall_ms"]["p50"] <= result[kind]["wall_ms"]["p95"], kind
        assert result[kind]["cpu_ms"]["p50"] > 0, kind
    assert result["agent"]["cpu_ms"]["p50"] > result["model"]["cpu_ms"]["p50"]


def test_agent_workflow_smoke_runs_the_agent_in_an_activity_and_in_the_workflow(
    tmp_path: Path,
) -> None:
    """The agent benchmark runs documents through a real deployment both ways; in the workflow
    each model and tool call is an activity, so its history holds more events."""
    result = run_smoke("agent_workflow", tmp_path)
    activity, workflow = result["activity"], result["workflow"]
    for mode in (activity, workflow):
        assert 0 < mode["seconds"]["p50"] <= mode["seconds"]["p95"]
    assert workflow["last_history"]["activity_task_scheduled"] == 5  # 2 model, 1 tool, 2 ours
    assert workflow["history_events"] > activity["history_events"]


def test_profile_summary_attributes_samples_to_packages_and_roles(tmp_path: Path) -> None:
    """py-spy's collapsed lines are split by innermost known package and by pipeline role; the
    files the roles are recognised by still exist (a rename would silently blind --profile)."""
    from benchmarks import _profile

    site = "/venv/lib/python3.11/site-packages"
    extract = "ExtractorLLM.run (/src/myloware/agents/extractor.py:40)"
    execute = f"Session.execute ({site}/sqlalchemy/orm/session.py:2300)"
    activate = f"_WorkflowWorker._handle_activation ({site}/temporalio/worker/_workflow.py:300)"
    recording = tmp_path / "worker.collapsed.txt"
    recording.write_text(f"main (cli.py:1);{extract};{execute} 3\nmain (cli.py:1);{activate} 1\n")
    summary = _profile.summarize(recording)
    assert summary["samples"] == 4
    assert summary["by_package"] == {"sqlalchemy": 0.75, "temporalio (other)": 0.25}
    assert summary["by_role"] == {
        "ExtractorLLM.run": 0.75,
        "workflow activation (sandbox)": 0.25,
    }
    import temporalio

    packages = Path(temporalio.__file__).parents[1]
    for _label, marker, _outermost in _profile.ROLES:  # markers are path prefixes
        assert [*(ROOT / "src").glob(f"{marker}*"), *packages.glob(f"{marker}*")], marker
