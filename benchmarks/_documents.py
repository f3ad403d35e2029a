"""The document mix the throughput benchmarks submit.

Texts are read (never copied) from ``../shared/datasets/<set>/dev/*.txt`` — SROIE receipts,
parsee invoices, support tickets — and interleaved set by set, so any prefix of the mix holds
every kind. Without the datasets folder a few built-in synthetic documents stand in.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from benchmarks._report import ROOT

DATASETS = ROOT.parent / "shared" / "datasets"
MIX_SETS = ("sroie2019", "support_tickets", "parsee_invoices")

SYNTHETIC = {
    "invoice": """Northwind Traders GmbH
Hauptstrasse 5, 10115 Berlin
USt-IdNr: DE123456789

INVOICE
Invoice No: NW-2024-1187
Invoice Date: 12/04/2024
Due Date: 12/05/2024

Description            Qty   Unit Price   Amount
Consulting hours         8        95.00   760.00
Travel expenses          1        40.00    40.00

Subtotal                                 800.00
VAT 19%                                  152.00
Total                                EUR 952.00
""",
    "receipt": """CORNER GROCER SDN BHD
NO 12, JALAN MERDEKA, 50050 KUALA LUMPUR
TAX INVOICE
DATE: 14/03/2018 10:42
BREAD WHITE            1   3.20
MILK 1L                2   9.80
EGGS 10S               1   5.50
TOTAL                     18.50
CASH                      20.00
CHANGE                     1.50
THANK YOU, PLEASE COME AGAIN
""",
    "ticket": """Subject: Cannot log in after password reset

Hello support team,

since resetting my password yesterday I cannot log in to the customer portal; the page says
"invalid credentials" although I copy the new password from the e-mail. This blocks our whole
accounting team from submitting invoices today. Please help urgently.

Best regards,
Maria Lopez, Finance, Contoso Ltd
""",
}


@dataclass(frozen=True)
class Document:
    """One document of the mix: where it came from and its text."""

    source: str
    text: str


def _dataset_texts(datasets: Path) -> list[list[Document]]:
    pools = []
    for name in MIX_SETS:
        files = sorted((datasets / name / "dev").glob("*.txt"))
        docs = [Document(f"{name}/{p.stem}", p.read_text("utf-8")) for p in files]
        docs = [d for d in docs if d.text.strip()]
        if docs:
            pools.append(docs)
    return pools


def document_mix(count: int, datasets: Path | None = None) -> list[Document]:
    """``count`` documents, interleaving the sets (each cycled when it runs out)."""
    folder = datasets if datasets is not None else DATASETS
    pools = _dataset_texts(folder) if folder.is_dir() else []
    if not pools:
        pools = [[Document(f"synthetic/{k}", v)] for k, v in SYNTHETIC.items()]
    cycles = [itertools.cycle(pool) for pool in pools]
    mixed = (next(cycle) for cycle in itertools.cycle(cycles))
    return list(itertools.islice(mixed, count))


def mix_source(docs: list[Document]) -> dict[str, int]:
    """How many documents of each set a mix holds."""
    counts: dict[str, int] = {}
    for doc in docs:
        key = doc.source.split("/", 1)[0]
        counts[key] = counts.get(key, 0) + 1
    return counts
