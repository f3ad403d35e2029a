"""Pure logic of the cockpit: stage costs, who extracted what, attempt I/O views, report
periods and the report pages' little charts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from myloware.db.base import AttemptStatus
from myloware.errors import ValidationFailed
from myloware.extraction.llm import model_supplied
from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.services.periods import MAX_DAYS, period
from myloware.ui.charts import SPARK_HEIGHT, SPARK_PAD, shares, sparkline
from myloware.ui.stages import REDACTED, extractor_answer, json_view, scrub, stage_costs
from tests.test_ui_trace import _attempt


def _extraction(extractor: str, fields: list[str], **output: object) -> dict[str, object]:
    record = {
        "extractor": extractor,
        "fields": {f: {"value": f, "confidence": 0.9} for f in fields},
    }
    return {"record": record, **output}


def test_stage_costs_sum_each_agent_with_its_retries_and_the_whole_item() -> None:
    """A retried ExtractorLLM counts two runs and one retry; only the paid call has tokens."""
    attempts = [
        _attempt("RecordGen", 0, 10),
        _attempt("ExtractorLLM", 1, 50, status=AttemptStatus.FAILED),
        _attempt(
            "ExtractorLLM",
            2,
            900,
            number=2,
            model="gpt-4o-mini",
            tokens_in=900,
            tokens_out=80,
            cost_usd=Decimal("0.000183"),
        ),
        _attempt("JsonRestyler", 3, 5),
    ]
    rows, total = stage_costs(attempts)
    assert [r.agent for r in rows] == ["RecordGen", "ExtractorLLM", "JsonRestyler"]
    extractor = rows[1]
    assert (extractor.cost.runs, extractor.cost.retries, extractor.cost.calls) == (2, 1, 1)
    assert (extractor.cost.tokens_in, extractor.cost.tokens_out) == (900, 80)
    assert extractor.models == ("gpt-4o-mini",)
    assert rows[0].cost.calls == 0 and rows[0].cost.cost_usd == 0
    assert (total.runs, total.retries, total.calls) == (4, 1, 1)
    assert total.cost_usd == Decimal("0.000183")


def test_a_hybrid_extraction_says_which_fields_the_model_gave_and_which_the_rules() -> None:
    """``from_model`` of the attempt's output splits the fields; learned ones stand apart."""
    output = _extraction(
        "hybrid:openai",
        ["vendor_name", "total_amount", "invoice_number"],
        from_model=["vendor_name"],
        learned=[{"field": "invoice_number", "work_item_id": "x", "provenance": "p"}],
    )
    answer = extractor_answer(
        [_attempt("ExtractorLLM", 0, 100, output=output, model="gpt-4o-mini", tokens_in=9)]
    )
    assert answer is not None and answer.kind == "hybrid" and answer.provider == "openai"
    assert answer.model_fields == ("vendor_name",)
    assert answer.rules_fields == ("total_amount",)
    assert answer.learned_fields == ("invoice_number",)
    assert answer.label == "hybrid: the rules, and openai (gpt-4o-mini) for 1 field"


@pytest.mark.parametrize(
    ("extractor", "kind", "label"),
    [
        ("model:anthropic", "model", "model: anthropic read every field"),
        ("rules", "rules", "rules (offline, no model)"),
        ("rules (fallback: no model answered)", "rules", "rules (fallback: no model answered)"),
        (
            "hybrid:rules (model unavailable)",
            "hybrid",
            "hybrid: the rules alone (no model answered)",
        ),
        ("einvoice (Factur-X CII)", "einvoice", "the document's embedded e-invoice (Factur-X CII)"),
    ],
)
def test_every_extractor_is_named_in_words(extractor: str, kind: str, label: str) -> None:
    """Each ``extractor`` a record can carry becomes a kind and a sentence."""
    answer = extractor_answer(
        [_attempt("ExtractorLLM", 0, 1, output=_extraction(extractor, ["a"]))]
    )
    assert answer is not None and (answer.kind, answer.label) == (kind, label)
    assert answer.model_fields == (("a",) if kind == "model" else ())


def test_no_completed_extraction_means_no_answer_yet() -> None:
    """A failed or running ExtractorLLM tells nothing about who read the values."""
    failed = _attempt("ExtractorLLM", 0, 1, status=AttemptStatus.FAILED)
    assert extractor_answer([failed, _attempt("RecordGen", 0, 1, output={"x": 1})]) is None


def test_attempt_io_masks_credentials_keeps_counts_and_is_capped() -> None:
    """Values under token/secret/password keys are masked (token counts stay); long text is cut."""
    value = {
        "bot_token": "xoxb-123",
        "nested": [{"api_key": "sk-live-9", "Password": "hunter2"}],
        "usage": {"tokens_in": 900},
        "text": "<script>alert(1)</script>" + "x" * 50,
    }
    assert scrub(value)["nested"][0] == {"api_key": REDACTED, "Password": REDACTED}
    view = json_view(value)
    assert view is not None and not view.truncated
    for secret in ("xoxb-123", "sk-live-9", "hunter2"):
        assert secret not in view.text
    assert '"tokens_in": 900' in view.text
    short = json_view(value, limit=40)
    assert short is not None and short.truncated and len(short.text) == 40
    assert short.chars == view.chars
    assert json_view(None) is None


def test_model_supplied_names_what_a_model_gave() -> None:
    """Model records: every field; hybrid: the fields that differ from the rules'; else none."""
    rules = CanonicalRecord(
        document_type=DocumentType.INVOICE,
        fields={
            "a": FieldValue(value=1, confidence=0.9),
            "b": FieldValue(value=None, confidence=0),
        },
    )
    merged = rules.model_copy(
        update={
            "fields": {**rules.fields, "b": FieldValue(value=2, confidence=0.8)},
            "extractor": "hybrid:openai",
        }
    )
    assert model_supplied(merged, rules) == ["b"]
    assert model_supplied(merged.model_copy(update={"extractor": "model:openai"})) == ["a", "b"]
    unavailable = rules.model_copy(update={"extractor": "hybrid:rules (model unavailable)"})
    assert model_supplied(unavailable, rules) == []
    assert model_supplied(rules, rules) == []


def test_a_period_defaults_to_thirty_days_and_refuses_reversed_or_long_ones() -> None:
    """``to`` defaults to today, ``from`` to 29 days before; bad periods are a 422's reason."""
    today = date(2026, 12, 6)
    default = period(None, None, today=today)
    assert (default.first, default.last, len(default.days)) == (date(2026, 11, 7), today, 30)
    one = period(date(2026, 12, 1), date(2026, 12, 1), today=today)
    assert one.days == [date(2026, 12, 1)] and (one.until - one.since).days == 1
    with pytest.raises(ValidationFailed, match="before 'from'"):
        period(date(2026, 12, 5), date(2026, 12, 1), today=today)
    with pytest.raises(ValidationFailed, match=f"at most {MAX_DAYS} days"):
        period(date(2024, 1, 1), date(2026, 1, 1), today=today)


def test_sparkline_puts_one_at_the_top_and_zero_at_the_bottom() -> None:
    """Points go left to right; a perfect score sits at the top padding, zero at the bottom."""
    line = sparkline([1.0, 0.0, 0.5])
    assert line is not None
    ys = [float(p.split(",")[1]) for p in line.points.split()]
    assert ys == [SPARK_PAD, SPARK_HEIGHT - SPARK_PAD, SPARK_HEIGHT / 2]
    xs = [float(p.split(",")[0]) for p in line.points.split()]
    assert xs == sorted(xs) and line.last == (xs[-1], ys[-1])
    assert sparkline([]) is None
    single = sparkline([2.0])  # clamped, centred
    assert single is not None and single.last[1] == SPARK_PAD


def test_shares_are_percent_of_the_largest() -> None:
    """The largest value is 100 %, zeros stay 0, and all-zero input gives all zeros."""
    assert shares([Decimal("0.5"), Decimal(0), Decimal("0.25")]) == [100.0, 0.0, 50.0]
    assert shares([0, 0]) == [0.0, 0.0]
