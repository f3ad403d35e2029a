"""Pure display logic of the trace page: span highlighting, fields, timeline, versions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from myloware.db.base import ApprovalDecision, AttemptStatus
from myloware.db.models import ApprovalEvent, Attempt, RecordVersion
from myloware.ui.rendering import format_seconds, format_value
from myloware.ui.session import safe_next
from myloware.ui.trace import (
    field_rows,
    page_starts,
    pick_record,
    segments,
    timeline,
    version_rows,
)

T0 = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)


def _attempt(agent: str, start_s: float, ms: int | None, **kw: object) -> Attempt:
    return Attempt(
        id=uuid.uuid4(),
        agent_id=agent,
        attempt_number=kw.pop("number", 1),
        status=kw.pop("status", AttemptStatus.COMPLETED),
        input={},
        started_at=T0 + timedelta(seconds=start_s),
        completed_at=T0 + timedelta(seconds=start_s + (ms or 0) / 1000),
        duration_ms=ms,
        **kw,
    )


def test_segments_cut_text_at_spans_and_join_back_to_the_text() -> None:
    """Every character appears once; each span's pieces carry its field; anchors start spans."""
    text = "Invoice No: NW-7731\nTotal GBP 264.00\n"
    spans = {"invoice_number": (12, 19), "total_amount": (30, 36), "currency": (26, 29)}
    parts = segments(text, spans)
    assert "".join(p.text for p in parts) == text
    marked = {p.text: p.fields for p in parts if p.fields}
    assert marked == {
        "NW-7731": ("invoice_number",),
        "264.00": ("total_amount",),
        "GBP": ("currency",),
    }
    first = next(p for p in parts if p.text == "NW-7731")
    assert first.anchors == ("src-invoice_number",)


def test_overlapping_spans_mark_the_shared_piece_with_both_fields() -> None:
    """Two spans that overlap split into three pieces; the middle one belongs to both."""
    parts = segments("abcdefgh", {"a": (1, 5), "b": (3, 7)})
    assert [(p.text, p.fields) for p in parts] == [
        ("a", ()),
        ("bc", ("a",)),
        ("de", ("a", "b")),
        ("fg", ("b",)),
        ("h", ()),
    ]


def test_bad_or_out_of_range_spans_are_ignored_and_long_text_is_cut() -> None:
    """Empty, negative or beyond-the-limit spans mark nothing; text stops at the limit."""
    parts = segments("x" * 50, {"empty": (5, 5), "neg": (-3, 2), "far": (60, 70)}, limit=20)
    assert "".join(p.text for p in parts) == "x" * 20
    assert all(not p.fields for p in parts)


def test_page_breaks_come_from_the_line_layout() -> None:
    """Lines of page 2 onwards start a page marker at their first offset."""
    meta = {"lines": [[0, 5, 1, None], [6, 11, 2, [0, 0, 1, 1]], [12, 15, 2, None]]}
    assert page_starts(meta) == {2: 6}
    parts = segments("hello\nworld\nend", {}, page_starts(meta))
    assert [p.page for p in parts] == [None, 2]


def test_field_rows_keep_confidence_level_span_and_tables() -> None:
    """Fields report their confidence level; line items become a table; spans past the text drop."""
    record = {
        "fields": {
            "line_items": {"value": [{"amount": "2.00", "description": "Pen"}], "confidence": 0.7},
            "vendor_name": {"value": "Acme", "confidence": 0.5, "span": [900, 904]},
            "total": {"value": "9", "confidence": 0.9, "span": [40, 41]},
            "invoice_number": {"value": "A-1", "confidence": 0.95, "span": [0, 3], "page": 1},
        }
    }
    rows = field_rows(record, text_length=100)
    assert [r.name for r in rows] == ["invoice_number", "total", "line_items", "vendor_name"]
    by_name = {r.name: r for r in rows}
    assert by_name["invoice_number"].level == "high" and by_name["invoice_number"].span == (0, 3)
    assert by_name["vendor_name"].level == "low" and by_name["vendor_name"].span is None
    assert by_name["line_items"].level == "mid"
    items = record["fields"]["line_items"]["value"]
    assert by_name["line_items"].table == (["description", "amount"], items)


def test_a_corrected_value_points_at_the_span_the_original_was_read_from() -> None:
    """A person's correction has no span; the trace shows where the pipeline had read it."""
    corrected = {"fields": {"invoice_date": {"value": "2024-02-03", "confidence": 1.0}}}
    extracted = {"fields": {"invoice_date": {"value": "2024-01-02", "span": [14, 24]}}}
    [row] = field_rows(corrected, {"invoice_date"}, 100, extracted)
    assert row.corrected and row.span == (14, 24)
    [plain] = field_rows(corrected, (), 100, extracted)
    assert plain.span is None


def test_refused_corrections_are_not_taken_as_the_record() -> None:
    """An ApplyCorrections run whose result failed validation is skipped and flagged."""
    restyled = {"fields": {"a": {"value": 1, "confidence": 0.9}}}
    refused = {"record": {"fields": {"a": {"value": "junk"}}}, "validation": {"valid": False}}
    attempts = [
        _attempt("JsonRestyler", 0, 10, output=restyled),
        _attempt("ApplyCorrections", 5, 10, output=refused),
    ]
    assert pick_record([], attempts)[0] == restyled
    assert timeline(attempts)[1].detail == {"outcome": "corrections refused (invalid)"}


def test_timeline_places_attempts_and_decisions_on_one_axis() -> None:
    """Steps are ordered by start; bars are positioned in percent of the whole run."""
    attempts = [
        _attempt("RecordGen", 0, 1000),
        _attempt("ExtractorLLM", 1, 1000, model="qwen", tokens_in=900, tokens_out=120),
        _attempt("ExtractorLLM", 2, 2000, number=2, status=AttemptStatus.FAILED, error="boom"),
    ]
    event = ApprovalEvent(
        approver_id="ann",
        decision=ApprovalDecision.APPROVED,
        reason="ok",
        timestamp=T0 + timedelta(seconds=3),
        policy_version="2",
    )
    steps = timeline(attempts, events=[event], now=T0 + timedelta(seconds=10))
    assert [(s.label, s.attempt) for s in steps] == [
        ("RecordGen", 1),
        ("ExtractorLLM", 1),
        ("ExtractorLLM", 2),
        ("Approved", None),
    ]
    assert steps[0].left == 0 and steps[0].width == 25.0
    assert steps[1].detail == {"model": "qwen", "tokens": "900 in / 120 out"}
    assert steps[2].error == "boom" and steps[3].detail["by"] == "ann"


def test_record_comes_from_the_latest_version_else_the_latest_record_stage() -> None:
    """A stored version wins; before the Persister, the newest restyled record is used."""
    restyled = {"document_type": "INVOICE", "fields": {"x": {"value": 1, "confidence": 1.0}}}
    attempts = [
        _attempt("ExtractorLLM", 0, 10, output={"record": {"fields": {}}}),
        _attempt("JsonRestyler", 1, 10, output=restyled),
    ]
    assert pick_record([], attempts) == (restyled, "latest pipeline stage")
    version = RecordVersion(
        version=2, data={}, canonical={"fields": {}}, content_hash="h", source="s"
    )
    assert pick_record([version], attempts) == ({"fields": {}}, "record version 2")
    assert pick_record([], []) == (None, "not extracted yet")


def test_version_rows_name_the_fields_that_changed() -> None:
    """Each version after the first lists the fields whose values differ from the one before."""

    def version(n: int, data: dict[str, object]) -> RecordVersion:
        return RecordVersion(
            version=n, data=data, canonical={}, content_hash="h", source="s", created_at=T0
        )

    rows = version_rows([version(1, {"a": 1, "b": 2}), version(2, {"a": 1, "b": 3, "c": 4})])
    assert [r.changed for r in rows] == [(), ("b", "c")]


def test_display_helpers_and_safe_redirects() -> None:
    """Durations read naturally, values flatten, and only UI paths are followed after login."""
    assert [format_seconds(s) for s in (0.25, 12.34, 185, 7800, 90000)] == [
        "250 ms",
        "12.3 s",
        "3 min 05 s",
        "2 h 10 min",
        "1 d 1 h",
    ]
    assert format_value(["a", {"k": 1, "n": None}]) == "a, k: 1"
    assert safe_next("/ui/work-items/1?x=1") == "/ui/work-items/1?x=1"
    for hostile in ("https://evil.example", "//evil.example", "/v1/work-orders", None, "/ui\r\n"):
        assert safe_next(hostile) == "/ui"


def test_field_rows_say_which_values_an_approval_taught() -> None:
    source = (
        "memory: learned from the approval of gx.pdf by alice@acme, 2026-12-01 (similarity 0.95)"
    )
    record = {
        "fields": {
            "vendor_address": {"value": "1 Corporate Way", "confidence": 0.9, "source": source},
            "total_amount": {"value": "200.00", "confidence": 0.9, "source": "something else"},
        }
    }
    rows = {row.name: row for row in field_rows(record, text_length=100)}
    assert rows["vendor_address"].learned == source.removeprefix("memory: ")
    assert rows["total_amount"].learned is None
