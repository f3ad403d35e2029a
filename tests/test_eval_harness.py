"""The evaluation harness, report, CLI command and accuracy script on a tiny fixture set."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from myloware.cli.evaluation import register
from myloware.documents.model import LoadedDocument
from myloware.errors import ConfigurationError, UnsupportedDocument
from myloware.evaluation import EvalReport, format_report, run_eval
from myloware.evaluation.resume import MANIFEST, forget_run
from tests.model_emulator import ModelEmulator, Reply

FIXTURE_SET = Path(__file__).parent / "fixtures" / "eval" / "mini"
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "eval_accuracy.py"


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A copy of the fixture set where r3's text is not valid UTF-8 (it fails to load)."""
    root = tmp_path / "mini"
    shutil.copytree(FIXTURE_SET, root)
    (root / "dev" / "r3.txt").write_bytes(b"\xff\xfe\x00 not utf-8 \xc3\x28")
    return root / "dev"


def _accuracy(report: EvalReport) -> dict[str, tuple[int, int]]:
    return {name: (s.correct, s.scored) for name, s in report.sets["mini"].fields.items()}


def test_run_eval_scores_the_fixture_set_exactly(dataset: Path, tmp_path: Path) -> None:
    """Four documents: perfect, missing a field (and an empty truth), failing, unlabelled."""
    report = run_eval(dataset, tmp_path / "pred")
    result = report.sets["mini"]
    assert _accuracy(report) == {
        "company": (2, 3),
        "date": (2, 3),
        "address": (1, 3),
        "total": (1, 2),
    }
    assert (result.correct, result.scored) == (6, 11)
    assert report.overall_field_accuracy == pytest.approx(6 / 11)
    assert result.documents == 4
    assert list(result.failures) == ["r3"]
    assert "DocumentError" in result.failures["r3"]


def test_predictions_are_written_per_document(dataset: Path, tmp_path: Path) -> None:
    """PRED_DIR/<id>.json holds dataset-named fields, the canonical record and the time taken."""
    run_eval(dataset, tmp_path / "pred")
    written = sorted(p.name for p in (tmp_path / "pred").iterdir())
    assert written == [".eval-run", "r1.json", "r2.json", "r3.json", "r4.json"]
    r1 = json.loads((tmp_path / "pred" / "r1.json").read_text("utf-8"))
    assert r1["document_type"] == "INVOICE"
    assert r1["fields"] == {
        "company": "SINAR HARAPAN TRADING",
        "date": "2019-04-02",
        "address": "NO 5, JALAN KENANGA 2, 47301 PETALING JAYA, SELANGOR",
        "total": "13.20",
    }
    assert r1["canonical"]["fields"]["total_amount"]["confidence"] > 0
    assert r1["canonical"]["extractor"] == "rules"
    assert r1["seconds"] >= 0
    r3 = json.loads((tmp_path / "pred" / "r3.json").read_text("utf-8"))
    assert "DocumentError" in r3["error"] and r3["fields"] == {}


def test_ignored_fields_are_not_scored(dataset: Path, tmp_path: Path) -> None:
    """--ignore-fields removes fields from scoring."""
    report = run_eval(dataset, tmp_path / "pred", ignore_fields=["address", "total"])
    assert _accuracy(report) == {"company": (2, 3), "date": (2, 3)}


def test_document_mode_uses_the_given_loader(dataset: Path, tmp_path: Path) -> None:
    """input_mode='document' hands each document path to the loader; its errors are failures."""
    seen: list[str] = []

    def load(path: Path) -> LoadedDocument:
        seen.append(path.name)
        if path.name == "r2.txt":
            raise UnsupportedDocument("not today")
        return LoadedDocument.from_text(path.read_text("utf-8", errors="replace"))

    report = run_eval(dataset, tmp_path / "pred", input_mode="document", load=load)
    assert sorted(seen) == ["r1.txt", "r2.txt", "r3.txt", "r4.txt"]
    assert set(report.sets["mini"].failures) == {"r2"}


def test_a_resumed_run_keeps_what_the_stopped_one_read(dataset: Path, tmp_path: Path) -> None:
    """--resume extracts only the documents without a prediction (or with an error, or one
    cut off mid-write) and scores all of them as a whole run does; a folder holding another
    run's predictions is refused."""
    pred = tmp_path / "pred"
    seen: list[str] = []

    def load(path: Path) -> LoadedDocument:
        seen.append(path.stem)
        if path.stem in stopped:
            raise UnsupportedDocument("the run stopped before this one")
        return LoadedDocument.from_text(path.read_text("utf-8", errors="replace"))

    stopped = {"r2", "r4"}
    run_eval(dataset, pred, input_mode="document", load=load)
    (pred / "r1.json").write_text('{"document_type": "INVOICE", "fie', "utf-8")  # cut off
    stopped.clear()
    seen.clear()
    report = run_eval(dataset, pred, input_mode="document", load=load, resume=True)
    assert sorted(seen) == ["r1", "r2", "r4"]
    assert report.sets["mini"].resumed == 1
    whole = run_eval(dataset, tmp_path / "whole", input_mode="document", load=load)
    assert _accuracy(report) == _accuracy(whole)
    assert "1 resumed)" in format_report(report)
    seen.clear()
    again = run_eval(dataset, pred, input_mode="document", load=load, resume=True)
    assert (seen, again.sets["mini"].resumed) == ([], 4)
    with pytest.raises(ConfigurationError, match=r"another run .*input document"):
        run_eval(dataset, pred, input_mode="text", resume=True)
    (pred / MANIFEST).write_text('{"dataset": "/da', "utf-8")  # cut off, or edited by hand
    with pytest.raises(ConfigurationError, match="cannot be read as the settings of a run"):
        run_eval(dataset, pred, input_mode="document", load=load, resume=True)


def test_a_run_afresh_leaves_no_other_runs_predictions(dataset: Path, tmp_path: Path) -> None:
    """A run without --resume that stops after one document leaves only its own prediction
    (not the earlier run's), so resuming it reads the other documents itself; predictions
    marked as not resumable (a platform or learning run) are all read again."""
    pred = tmp_path / "pred"
    run_eval(dataset, pred)  # from the text files
    seen: list[str] = []

    def load(path: Path) -> LoadedDocument:
        if seen:
            raise KeyboardInterrupt  # the run stops here
        seen.append(path.stem)
        return LoadedDocument.from_text(path.read_text("utf-8", errors="replace"))

    with pytest.raises(KeyboardInterrupt):
        run_eval(dataset, pred, input_mode="document", load=load)
    assert sorted(p.name for p in pred.glob("*.json")) == ["r1.json"]

    def load_all(path: Path) -> LoadedDocument:
        seen.append(path.stem)
        return LoadedDocument.from_text(path.read_text("utf-8", errors="replace"))

    seen.clear()
    resumed = run_eval(dataset, pred, input_mode="document", load=load_all, resume=True)
    assert (sorted(seen), resumed.sets["mini"].resumed) == (["r2", "r3", "r4"], 1)
    forget_run(pred)
    seen.clear()
    run_eval(dataset, pred, input_mode="document", load=load_all, resume=True)
    assert sorted(seen) == ["r1", "r2", "r3", "r4"]


def test_parallel_workers_and_progress(dataset: Path, tmp_path: Path) -> None:
    """Two worker processes give the same scores; progress is reported once per document."""
    calls: list[tuple[int, int, str]] = []
    report = run_eval(
        dataset, tmp_path / "pred", workers=2, progress=lambda d, t, i: calls.append((d, t, i))
    )
    assert _accuracy(report) == {
        "company": (2, 3),
        "date": (2, 3),
        "address": (1, 3),
        "total": (1, 2),
    }
    assert [(d, t) for d, t, _ in calls] == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_parallel_workers_need_a_picklable_loader(dataset: Path, tmp_path: Path) -> None:
    """A lambda loader cannot reach worker processes: refused before any work starts."""
    with pytest.raises(ConfigurationError, match="picklable"):
        run_eval(
            dataset,
            tmp_path / "pred",
            input_mode="document",
            load=lambda path: LoadedDocument.from_text(path.name),
            workers=2,
        )


def test_unknown_or_unconfigured_provider_is_refused(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown provider, or a model provider without its key, fails before any document."""
    monkeypatch.delenv("MYLOWARE_OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="unknown provider 'gpt9'"):
        run_eval(dataset, tmp_path / "pred", provider="gpt9")
    with pytest.raises(ConfigurationError, match="MYLOWARE_OPENAI_API_KEY"):
        run_eval(dataset, tmp_path / "pred", provider="openai")
    assert not (tmp_path / "pred").exists()


def test_model_provider_predictions_carry_tokens_and_cost(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--provider openai`` against an OpenAI-protocol server: fields scored, usage kept."""
    answer = {
        "vendor_name": "SINAR HARAPAN TRADING",
        "invoice_date": "2019-04-02",
        "vendor_address": "NO 5, JALAN KENANGA 2, 47301 PETALING JAYA, SELANGOR",
        "total_amount": 13.2,
    }
    with ModelEmulator() as emu:
        emu.script(Reply(data=answer, tokens_in=500, tokens_out=50))
        monkeypatch.setenv("MYLOWARE_OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("MYLOWARE_OPENAI_BASE_URL", emu.openai_url)
        monkeypatch.setenv("MYLOWARE_MODEL_MAX_RETRIES", "0")
        report = run_eval(dataset, tmp_path / "pred", provider="openai")
    assert len(emu.requests) == 3  # r3 does not load, so it never reaches the model
    r1 = json.loads((tmp_path / "pred" / "r1.json").read_text("utf-8"))
    assert r1["canonical"]["extractor"] == "model:openai"
    assert r1["fields"]["company"] == "SINAR HARAPAN TRADING"
    assert r1["usage"]["tokens_in"] == 500 and r1["usage"]["cost_usd"] > 0
    result = report.sets["mini"]
    assert (result.fields["company"].correct, result.fields["total"].correct) == (1, 1)
    assert (result.tokens_in, result.tokens_out) == (1500, 150)
    assert "model tokens 1500 in / 150 out" in format_report(report)


def test_missing_mapping_is_a_configuration_error(tmp_path: Path) -> None:
    """A folder without mapping.json (here or in the parent) cannot be scored."""
    (tmp_path / "set" / "dev").mkdir(parents=True)
    with pytest.raises(ConfigurationError, match=r"mapping\.json"):
        run_eval(tmp_path / "set" / "dev", tmp_path / "pred")


def test_report_ends_with_the_overall_accuracy_line(dataset: Path, tmp_path: Path) -> None:
    """The rendered table names each field and ends with overall_field_accuracy=0.xxx."""
    text = format_report(run_eval(dataset, tmp_path / "pred"))
    assert "address" in text and "failed mini/r3" in text
    assert text.rstrip().splitlines()[-1] == "overall_field_accuracy=0.545"


def test_cli_eval_command(dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`eval DATASET_DIR --out PRED_DIR` prints the table; unknown providers exit with an error."""
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test application."""

    monkeypatch.delenv("MYLOWARE_OPENAI_API_KEY", raising=False)
    runner = CliRunner()
    ok = runner.invoke(
        app, ["eval", str(dataset), "--out", str(tmp_path / "pred"), "--ignore-fields", "total"]
    )
    assert ok.exit_code == 0, ok.output
    assert ok.output.rstrip().splitlines()[-1] == "overall_field_accuracy=0.556"
    bad = runner.invoke(
        app, ["eval", str(dataset), "--out", str(tmp_path / "pred"), "--provider", "openai"]
    )
    assert bad.exit_code == 2
    assert "MYLOWARE_OPENAI_API_KEY" in bad.output


def test_accuracy_script_skips_without_datasets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """scripts/eval_accuracy.py exits 0 with a message when the datasets folder is absent."""
    spec = importlib.util.spec_from_file_location("eval_accuracy", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([str(tmp_path / "absent")]) == 0
    assert "skipping" in capsys.readouterr().out
