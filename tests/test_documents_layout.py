"""Grouping boxed text into visual lines and laying pages out as one text (pure functions)."""

from __future__ import annotations

import subprocess
import sys

from myloware.documents import LoadedDocument
from myloware.documents.layout import Segment, build_document, group_lines


def test_boxes_overlapping_vertically_form_one_line_left_to_right() -> None:
    """Segments on the same row join with TABs in x order, whatever order they came in."""
    segments = [
        Segment("12.00", (300, 52, 360, 70)),
        Segment("TOTAL", (10, 50, 80, 70)),
        Segment("ACME", (10, 10, 90, 30)),
    ]
    lines = group_lines(segments)
    assert [line.text for line in lines] == ["ACME", "TOTAL\t12.00"]
    assert lines[1].box == (10, 50, 360, 70)


def test_slight_skew_does_not_chain_neighbouring_lines() -> None:
    """A skewed row stays one line, and the next row below stays separate."""
    segments = [
        Segment("a", (0, 0, 50, 20)),
        Segment("b", (60, 6, 110, 26)),
        Segment("c", (120, 12, 170, 32)),
        Segment("next", (0, 30, 50, 50)),
    ]
    assert [line.text for line in group_lines(segments)] == ["a\tb\tc", "next"]


def test_stacked_boxes_in_one_column_stay_two_lines() -> None:
    """Padded OCR boxes of two lines that overlap vertically but share a column do not merge."""
    segments = [
        Segment("LIGHTROOM GALLERY SDN BHD", (168, 80, 687, 153)),
        Segment("NO: 28, JALAN ASTANA 1C,", (227, 122, 619, 182)),
        Segment("41050", (640, 130, 700, 180)),
    ]
    assert [line.text for line in group_lines(segments)] == [
        "LIGHTROOM GALLERY SDN BHD",
        "NO: 28, JALAN ASTANA 1C,\t41050",
    ]


def test_blank_and_unboxed_segments_are_dropped_and_tabs_cleaned() -> None:
    """Empty text and missing boxes are ignored; TABs inside a segment become spaces."""
    segments = [Segment("  ", (0, 0, 5, 5)), Segment("x", None), Segment("a\tb", (0, 0, 9, 9))]
    assert [line.text for line in group_lines(segments)] == ["a b"]


def test_build_document_keeps_offsets_pages_and_boxes() -> None:
    """Lines get offsets into the text, page numbers, and keep their boxes; empty pages count."""
    box = (1.0, 2.0, 3.0, 4.0)
    document = build_document(
        [[Segment("one", box), Segment("two")], [], [Segment("three")]],
        media_type="application/pdf",
        name="x.pdf",
    )
    assert document.text == "one\ntwo\n\f\n\n\f\nthree"
    assert document.pages == 3
    assert [(line.text, line.page) for line in document.lines] == [
        ("one", 1),
        ("two", 1),
        ("three", 3),
    ]
    assert document.lines[0].box == box
    for line in document.lines:
        assert document.text[line.start : line.end] == line.text
    reread = LoadedDocument.from_text(document.text)
    assert reread.pages == 3 and reread.lines[-1].page == 3


def test_importing_the_data_classes_does_not_load_document_libraries() -> None:
    """Code that only needs LoadedDocument (workflows) does not import PDFium, Pillow or bs4."""
    code = (
        "import sys, myloware.documents.model, myloware.documents; "
        "heavy = {'pypdfium2', 'PIL', 'bs4', 'docx', 'rapidocr'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
