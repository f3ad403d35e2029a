"""Learning from approvals: what an approved record teaches the next extraction (pure rules),
and ``myloware eval --learn-from`` on a tiny dataset."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import numpy as np
import typer
from typer.testing import CliRunner

from myloware.agents.verifier import verify_record
from myloware.cli.evaluation import register
from myloware.evaluation import run_eval
from myloware.evaluation.learning import LessonBook
from myloware.evaluation.resume import MANIFEST
from myloware.extraction.learned import (
    BY_NAME,
    Lesson,
    apply_lessons,
    nearly_printed,
    printed,
)
from myloware.memory.embedder import Embedder
from myloware.records import CanonicalRecord, DocumentType, FieldValue

TEXT = """Globex Corporation
1 Corporate Way, Springfield
Building C, Suite 400
VAT ID: DE123456789
"""


_ITEMS = itertools.count(1)


def _record(**values: tuple[str, float]) -> CanonicalRecord:
    return CanonicalRecord(
        document_type=DocumentType.INVOICE,
        fields={k: FieldValue(value=v, confidence=c) for k, (v, c) in values.items()},
    )


def _approved(
    address: str, *, matched_by: str = "vendor_tax_id", similarity: float = 1.0
) -> Lesson:
    return Lesson(
        work_item_id=f"item-{next(_ITEMS)}",  # each approval another item: each votes
        values={
            "vendor_name": "Globex Corporation",
            "vendor_address": address,
            "vendor_tax_id": "DE123456789",
        },
        similarity=similarity,
        matched_by=matched_by,
        document="gx-1001.pdf",
        approved_by="alice@acme",
        approved_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_a_strong_lesson_replaces_the_reading_and_says_where_it_came_from() -> None:
    record = _record(
        vendor_name=("Globex Corporation", 0.85),
        vendor_address=("1 Corporate Way, Springfield Building C, Suite 400", 0.75),
        vendor_tax_id=("DE123456789", 0.8),
    )
    applied = apply_lessons(record, [_approved("1 Corporate Way, Springfield")], text=TEXT)
    address = applied.record.fields["vendor_address"]
    assert address.value == "1 Corporate Way, Springfield"
    assert address.source == (
        "memory: learned from the approval of gx-1001.pdf by alice@acme, 2026-12-01 "
        "(matched by vendor tax id)"
    )
    assert set(applied.fields) == {"vendor_address"}  # name and tax id agreed already
    assert applied.record.fields["vendor_name"].source is None


def test_an_approved_value_not_printed_here_only_fills_a_gap() -> None:
    """Another vendor's address (not in this text) never replaces a reading; it fills a
    missing field only."""
    lesson = _approved("99 Elsewhere Road")
    read = _record(vendor_address=("1 Corporate Way, Springfield", 0.75))
    kept = apply_lessons(read, [lesson], text=TEXT)
    assert kept.record.get("vendor_address") == "1 Corporate Way, Springfield"
    assert set(kept.fields) == {"vendor_name", "vendor_tax_id"}  # missing here: filled
    missing = _record(vendor_name=("Globex Corporation", 0.85))
    filled = apply_lessons(missing, [lesson], text=TEXT)
    assert filled.record.get("vendor_address") == "99 Elsewhere Road"


def test_a_weak_similarity_replaces_only_a_low_confidence_reading() -> None:
    weak = _approved("1 Corporate Way, Springfield", matched_by="similarity", similarity=0.85)
    sure = _record(vendor_address=("1 Corporate Way, Springfield Building C", 0.9))
    # name and tax id were missing and are printed here: filled; the sure address stays
    assert apply_lessons(sure, [weak], text=TEXT).fields.keys() == {"vendor_name", "vendor_tax_id"}
    unsure = _record(vendor_address=("1 Corporate Way, Springfield Building C", 0.4))
    assert set(apply_lessons(unsure, [weak], text=TEXT).fields) == {
        "vendor_name",
        "vendor_address",
        "vendor_tax_id",
    }
    assert apply_lessons(unsure, [weak], text="nothing alike").fields == {}
    too_far = _approved("1 Corporate Way, Springfield", matched_by="similarity", similarity=0.7)
    assert apply_lessons(unsure, [too_far], text=TEXT).fields == {}


def test_many_approvals_outvote_one() -> None:
    """The approvals of one vendor vote: one odd approval does not override three."""
    record = _record(vendor_address=("1 Corporate Way", 0.75), vendor_tax_id=("DE123456789", 0.8))
    odd = _approved("Building C, Suite 400")
    usual = [_approved("1 Corporate Way, Springfield") for _ in range(3)]
    applied = apply_lessons(record, [odd, *usual], text=TEXT)
    assert applied.record.get("vendor_address") == "1 Corporate Way, Springfield"


def test_a_reading_against_many_approvals_goes_to_a_person() -> None:
    """Three approvals of the vendor (by its tax id) say one address; this document reads
    another and does not print theirs: the reading stays, with an error finding (a person
    decides). One or two approvals raise nothing."""
    record = _record(
        vendor_address=("7 New Street, Shelbyville", 0.75), vendor_tax_id=("DE123456789", 0.8)
    )
    text = "Globex Corporation\n7 New Street, Shelbyville\nVAT ID: DE123456789\n"
    many = [_approved("1 Corporate Way, Springfield") for _ in range(3)]
    applied = apply_lessons(record, many, text=text)
    assert applied.record.get("vendor_address") == "7 New Street, Shelbyville"
    [conflict] = applied.conflicts
    assert (conflict.code, conflict.field, conflict.severity) == (
        "learned_identity_conflict",
        "vendor_address",
        "error",
    )
    assert "3 approvals" in conflict.message
    assert applied.record.findings == [conflict]
    assert apply_lessons(record, many[:2], text=text).conflicts == []


def _by(lesson: Lesson, who: str | None, **values: str) -> Lesson:
    """Another approval like ``lesson``, by ``who`` (None: the policy), ``values`` changed."""
    return Lesson(
        work_item_id=f"item-{next(_ITEMS)}",
        values={**lesson.values, **values},
        similarity=lesson.similarity,
        matched_by=lesson.matched_by,
        approved_by=who,
    )


def test_a_reading_the_vendor_had_approved_stays_even_against_more_approvals() -> None:
    """A vendor renamed (both names approved under one tax id): the name this page prints
    and the rules read stays, in its approved spelling, though the old one has more votes."""
    text = "NORTHWIND TRADING SDN BHD\nFORMERLY KNOWN AS\nSOUTHWIND TRADING SDN BHD\n"
    record = _record(vendor_name=("Northwind Trading Sdn Bhd", 0.85))
    old = _by(_approved("Level 6"), None, vendor_name="SOUTHWIND TRADING SDN BHD")
    new = _by(_approved("Level 6"), None, vendor_name="NORTHWIND TRADING SDN BHD")
    older = _by(_approved("Level 6"), None, vendor_name="SOUTHWIND TRADING SDN BHD")
    applied = apply_lessons(record, [old, older, new], text=text)
    assert applied.record.get("vendor_name") == "NORTHWIND TRADING SDN BHD"
    assert applied.record.fields["vendor_name"].raw == "Northwind Trading Sdn Bhd"


def test_a_persons_correction_outranks_the_policys_approval_of_the_reading() -> None:
    """The policy auto-approved the rules' reading once; a person then corrected it: the
    correction is learned, though the reading was approved too."""
    reading = "1 Corporate Way, Springfield Building C, Suite 400"
    record = _record(vendor_address=(reading, 0.75), vendor_tax_id=("DE123456789", 0.8))
    corrected = _approved("1 Corporate Way, Springfield")
    auto = _by(corrected, None, vendor_address=reading)
    for lessons in ([corrected, auto], [auto, corrected]):
        applied = apply_lessons(record, lessons, text=TEXT)
        assert applied.record.get("vendor_address") == "1 Corporate Way, Springfield"
    # approved by the policy only, the reading is one of the approved values: it stays
    kept = apply_lessons(record, [_by(corrected, None), auto], text=TEXT)
    assert kept.record.get("vendor_address") == reading


def test_the_approved_spelling_of_the_reading_is_learned_from_weaker_lessons_too() -> None:
    """The rules read the address the vendor's approvals give, spaced and cased otherwise:
    the spelling most of them approved is learned, even from similarities under the strong
    bar (only the spelling changes); a tie goes to the spelling closest to the reading."""
    text = "12, Mill Lane 7/4,Riverside Industrial Park,81200 Springfield, Kent\n"
    record = _record(vendor_address=(" ".join(text.split()), 0.75))
    spelt = "12, MILL LANE 7/4,RIVERSIDE INDUSTRIAL PARK,81200 SPRINGFIELD,KENT"
    best = _approved(spelt.replace("12,", "12"), matched_by="similarity", similarity=0.91)
    weaker = [_approved(spelt, matched_by="similarity", similarity=0.88) for _ in range(2)]
    applied = apply_lessons(record, [best, *weaker], text=text)
    assert applied.record.get("vendor_address") == spelt
    tie = apply_lessons(record, [best, weaker[0]], text=text)
    assert tie.record.get("vendor_address") == spelt  # "12," as the page prints it
    alone = apply_lessons(record, [best], text=text)
    assert alone.record.get("vendor_address") == spelt.replace("12,", "12")


def test_a_lesson_found_by_the_vendor_name_alone_is_weak() -> None:
    """Approvals found by the vendor name as read (no key, no similar document) mend the
    spelling of what the rules read and a low-confidence reading printed here; they do not
    replace a sure reading, fill a missing value, or raise a conflict (names repeat across
    branches and owners)."""
    by_name = [
        _approved("1 Corporate Way, Springfield", matched_by=BY_NAME, similarity=0.0)
        for _ in range(3)
    ]
    assert not by_name[0].strong
    spelled = _record(vendor_address=("1 corporate way springfield", 0.9))
    applied = apply_lessons(spelled, by_name, text=TEXT)
    assert applied.record.get("vendor_address") == "1 Corporate Way, Springfield"
    sure = _record(vendor_address=("1 Corporate Way, Springfield Building C", 0.9))
    kept = apply_lessons(sure, by_name, text=TEXT)
    assert kept.record.get("vendor_address") == "1 Corporate Way, Springfield Building C"
    assert kept.conflicts == []
    elsewhere = apply_lessons(
        _record(vendor_address=("7 New Street", 0.9)), by_name, text="7 New Street"
    )
    assert (elsewhere.fields, elsewhere.conflicts) == ({}, [])
    missing = apply_lessons(_record(vendor_name=("Globex Corporation", 0.9)), by_name, text="x")
    assert missing.record.get("vendor_address") is None
    unsure = _record(vendor_address=("1 Corporate Way, Springfield Building C", 0.4))
    mended = apply_lessons(unsure, by_name, text=TEXT)
    assert mended.record.get("vendor_address") == "1 Corporate Way, Springfield"
    # a lesson by the vendor's tax id leads over one by its name
    keyed = _approved("Building C, Suite 400")
    assert apply_lessons(unsure, [*by_name, keyed], text=TEXT).fields["vendor_address"] is keyed


class _AxisEmbedder:
    """Each text a unit vector of its own: no two texts alike (the similarity look-up finds
    only the very same text)."""

    def __init__(self) -> None:
        self.axes: dict[str, int] = {}

    def embed_one(self, text: str) -> np.ndarray:
        vector = np.zeros(8, dtype=np.float32)
        vector[self.axes.setdefault(text, len(self.axes))] = 1.0
        return vector


def test_the_evals_memory_looks_lessons_up_as_the_platform_does() -> None:
    """The eval's memory: a record whose key matches learns from those approvals alone;
    one without a key from the similar documents, then from the approvals of the vendor
    name it reads."""
    book = LessonBook(cast(Embedder, _AxisEmbedder()))
    globex = _record(vendor_name=("Globex Corporation", 1.0), vendor_tax_id=("DE123456789", 1.0))
    book.approve("g1", TEXT, globex)
    book.approve("i1", "Initech GmbH, Main Street", _record(vendor_name=("Initech GmbH", 1.0)))
    keyed = book.lessons_for(TEXT, _record(vendor_tax_id=("de 123 456 789", 0.9)))
    assert [(x.work_item_id, x.matched_by) for x in keyed] == [("g1", "vendor_tax_id")]
    named = book.lessons_for("another text", _record(vendor_name=(" INITECH GMBH", 0.9)))
    assert [(x.work_item_id, x.matched_by) for x in named] == [("i1", BY_NAME)]
    both = book.lessons_for(TEXT, _record(vendor_name=("Globex Corporation", 0.9)))
    assert [(x.work_item_id, x.matched_by) for x in both] == [("g1", "similarity"), ("g1", BY_NAME)]


def test_a_reading_approved_once_does_not_silence_many_approvals() -> None:
    """The reading is a value the policy approved once; five approvals of the vendor (by its
    tax id) say another, not printed here: the reading stays, and a person is asked. Four
    policy approvals of one value and a person's of another, the document reading a third:
    the four are the conflict."""
    text = "Globex Corporation\n7 New Street, Shelbyville\nVAT ID: DE123456789\n"
    reading = "7 New Street, Shelbyville"
    record = _record(vendor_address=(reading, 0.75), vendor_tax_id=("DE123456789", 0.8))
    usual = [_approved("1 Corporate Way, Springfield") for _ in range(5)]
    odd = _by(usual[0], None, vendor_address=reading)
    applied = apply_lessons(record, [*usual, odd], text=text)
    assert applied.record.get("vendor_address") == reading
    [conflict] = applied.conflicts
    assert conflict.message.startswith("5 approvals of this vendor (vendor tax id matched) say")
    policy = [_by(usual[0], None) for _ in range(4)]
    person = _approved("99 Elsewhere Road")
    mixed = apply_lessons(record, [person, *policy], text=text)
    assert mixed.record.get("vendor_address") == reading
    [conflict] = mixed.conflicts
    assert "4 approvals" in conflict.message and "1 Corporate Way" in conflict.message


def test_numbers_grouped_otherwise_are_another_address() -> None:
    """``NO 12, 3`` and ``NO 1, 23`` squeeze to the same letters and digits, but are not one
    address spelled otherwise: a weak lesson does not rewrite a sure reading."""
    text = "NO 12, 3 JALAN MAJU, KLANG\n"
    record = _record(vendor_address=("NO 12, 3 JALAN MAJU, KLANG", 0.9))
    weak = _approved("NO 1, 23 JALAN MAJU, KLANG", matched_by="similarity", similarity=0.82)
    applied = apply_lessons(record, [weak], text=text)
    assert applied.record.get("vendor_address") == "NO 12, 3 JALAN MAJU, KLANG"


def test_ticket_routing_is_voted_where_the_rules_are_unsure() -> None:
    ticket = CanonicalRecord(
        document_type=DocumentType.TICKET,
        fields={
            "queue": FieldValue(value="General Inquiry", confidence=0.3),
            "priority": FieldValue(value="high", confidence=0.9),
        },
    )
    lessons = [
        Lesson(f"t{i}", {"queue": q, "priority": "low"}, similarity=s)
        for i, (q, s) in enumerate([("IT Support", 0.92), ("IT Support", 0.85), ("Billing", 0.95)])
    ]
    applied = apply_lessons(ticket, lessons)
    assert applied.record.get("queue") == "IT Support"  # 1.77 against 0.95
    assert applied.record.get("priority") == "high"  # the rules were sure
    assert applied.record.get("ticket_type") is None  # nobody approved one


def test_printed_ignores_case_spaces_and_punctuation() -> None:
    assert printed("1 corporate way,springfield", TEXT) == "1 Corporate Way, Springfield"
    assert printed("2 Corporate Way", TEXT) is None


SCANNED = """Globex Corporation
1 C0rporate Way, Spr1ngfield
VAT ID: DE123456789
"""


def test_nearly_printed_finds_a_value_with_a_few_characters_misread() -> None:
    assert nearly_printed("1 Corporate Way, Springfield", SCANNED) == "1 C0rporate Way, Spr1ngfield"
    assert nearly_printed("9 Harbour Road, Shelbyville", SCANNED) is None
    assert nearly_printed("Globex Co", "Glebux Co") is None  # too short to tolerate misreads
    # an identifier of one token: one character makes another one
    assert nearly_printed("DE123456789", "VAT ID: DE123456780") is None


def test_a_strong_lesson_corrects_an_ocr_misreading_a_weak_one_does_not() -> None:
    """The scan misreads two characters of the address the vendor's approvals agree on:
    a lesson matched by the tax id replaces the reading (and says how the page prints it, so
    the Verifier finds it); a merely similar document does not, nor a text not read by OCR."""
    record = _record(vendor_address=("1 C0rporate Way, Spr1ngfield", 0.75))
    lesson = _approved("1 Corporate Way, Springfield")
    applied = apply_lessons(record, [lesson], text=SCANNED, ocr=True)
    address = applied.record.fields["vendor_address"]
    assert (address.value, address.raw) == (
        "1 Corporate Way, Springfield",
        "1 C0rporate Way, Spr1ngfield",
    )
    similar = _approved("1 Corporate Way, Springfield", matched_by="similarity", similarity=0.85)
    kept = apply_lessons(record, [similar], text=SCANNED, ocr=True)
    assert kept.record.get("vendor_address") == "1 C0rporate Way, Spr1ngfield"
    # a text layer prints exactly what it says: "C0rporate" is how this sender spells it
    exact = apply_lessons(record, [lesson], text=SCANNED, ocr=False)
    assert exact.record.get("vendor_address") == "1 C0rporate Way, Spr1ngfield"


def _similar(values: dict[str, str]) -> Lesson:
    """An approval of a merely similar document (no shared key)."""
    return Lesson("item-2", dict(values), similarity=0.85, matched_by="similarity")


def test_any_similar_approval_mends_letters_ocr_misread_in_the_reading() -> None:
    """A merely similar approved document (not a strong lesson) corrects the rules' own OCR
    reading where only letters OCR confuses differ, one for one; another number or unit
    (another branch), a letter more or less (another name), letters OCR does not confuse
    (``Möller`` / ``Müller``), a tax id, or a text layer keep the reading."""
    text = "99 SPEED NART SDN BHD\nLOT 12B Jalan Bandar Rawang 10\nGST: DE 123456789 AC\n"
    lesson = _similar({"vendor_name": "99 SPEED MART SDN BHD"})
    misread = _record(vendor_name=("99 SPEED NART SDN BHD", 0.9))
    mended = apply_lessons(misread, [lesson], text=text, ocr=True).record.fields["vendor_name"]
    assert (mended.value, mended.raw) == ("99 SPEED MART SDN BHD", "99 SPEED NART SDN BHD")
    assert apply_lessons(misread, [lesson], text=text, ocr=False).fields == {}
    kept = {
        "vendor_address": ("LOT 12A Jalan Bandar Rawang 10", "LOT 12B Jalan Bandar Rawang 10"),
        "vendor_name": ("99 SPEED MART (M) SDN BHD", "99 SPEED NART SDN BHD"),
        "vendor_tax_id": ("DE 123456789 AB", "DE 123456789 AC"),
    }
    for name, (approved, read) in kept.items():
        record = _record(**{name: (read, 0.9)})
        assert apply_lessons(record, [_similar({name: approved})], text=text, ocr=True).fields == {}
    baker = _record(vendor_name=("Bäckerei Möller GmbH", 0.9))
    other = _similar({"vendor_name": "Bäckerei Müller GmbH"})
    assert apply_lessons(baker, [other], text="Bäckerei Möller GmbH", ocr=True).fields == {}


def test_a_correction_of_a_scan_misreading_is_grounded_for_the_verifier() -> None:
    """A reviewer types the address as the page prints it; OCR read "C0rporate": on that
    OCR text the Verifier still finds the corrected value, on a text layer it does not."""
    corrected = _record(
        vendor_name=("Globex Corporation", 1.0),
        vendor_address=("1 Corporate Way, Springfield", 1.0),
    )
    scanned = verify_record(corrected, SCANNED, quality_score=1.0, valid=True, ocr=True)
    assert scanned.passed and scanned.metrics["ungrounded"] == []
    exact = verify_record(corrected, SCANNED, quality_score=1.0, valid=True, ocr=False)
    assert exact.metrics["ungrounded"] == ["vendor_address"]


def labelled_set(folder: Path, docs: dict[str, tuple[str, dict[str, str]]]) -> Path:
    folder.mkdir(parents=True)
    mapping = {
        "document_type": "INVOICE",
        "fields": {"company": "vendor_name", "address": "vendor_address"},
    }
    (folder / "mapping.json").write_text(json.dumps(mapping))
    for doc_id, (text, truth) in docs.items():
        (folder / f"{doc_id}.txt").write_text(text)
        (folder / f"{doc_id}.json").write_text(
            json.dumps({"document_type": "INVOICE", "fields": truth})
        )
    return folder


RECEIPT = """{name}
{address}
Building C, Suite 400
GST ID: {tax}
INVOICE
Invoice No: {number}
Invoice Date: 01/02/2024
Total USD {total}
"""


def truth(vendor: dict[str, str]) -> dict[str, str]:
    return {"company": vendor["name"], "address": vendor["address"]}


GLOBEX = {
    "name": "Globex Corporation",
    "address": "1 Corporate Way, Springfield",
    "tax": "DE123456789",
}
INITECH = {"name": "Initech LLC", "address": "4120 Freidrich Lane, Austin", "tax": "US778899001"}


def learn_and_heldout(root: Path) -> tuple[Path, Path]:
    """DEV: one receipt of Globex; HELDOUT: another of Globex (a seen sender) and one of
    Initech (unseen). The rules read both addresses with the next line attached."""
    learn = labelled_set(
        root / "learn", {"l1": (RECEIPT.format(**GLOBEX, number="1", total="10.00"), truth(GLOBEX))}
    )
    heldout = labelled_set(
        root / "heldout",
        {
            "h1": (RECEIPT.format(**GLOBEX, number="2", total="20.00"), truth(GLOBEX)),
            "h2": (RECEIPT.format(**INITECH, number="3", total="30.00"), truth(INITECH)),
        },
    )
    return learn, heldout


def eval_app() -> typer.Typer:
    """A CLI application with the ``eval`` command."""
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test application."""

    return app


def test_eval_learn_from_scores_with_and_without_learning(tmp_path: Path) -> None:
    """Learning from one approval of Globex fixes Globex's address in the held-out half (a
    seen sender) and leaves the unseen sender as it was."""
    learn, heldout = learn_and_heldout(tmp_path)
    out = tmp_path / "pred"
    run_eval(heldout, out)  # a plain run left its settings: learned predictions are not its own
    assert (out / MANIFEST).is_file()
    result = CliRunner().invoke(
        eval_app(), ["eval", str(heldout), "--out", str(out), "--learn-from", str(learn)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "| seen | address | 1 | 0.000 | 1.000 |" in lines
    assert "| unseen | address | 1 | 0.000 | 0.000 |" in lines
    assert lines[-2:] == ["overall_without_learning=0.500", "overall_with_learning=0.750"]
    assert not (out / MANIFEST).exists()
    h1 = json.loads((out / "h1.json").read_text())
    assert h1["fields"]["address"] == "1 Corporate Way, Springfield"
    assert (
        "learned from the approval of l1" in h1["canonical"]["fields"]["vendor_address"]["source"]
    )
