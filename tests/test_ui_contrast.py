"""The UI's colours meet WCAG AA (4.5:1 for normal text) in every pair the stylesheet uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import myloware.ui

CSS = Path(myloware.ui.__file__).parent / "static" / "ui.css"
#: (text colour, background) as the stylesheet pairs them: badges, muted text, the page
PAIRS = [
    ("ink", "bg"),
    ("ink", "card"),
    ("muted", "bg"),
    ("muted", "card"),
    ("accent", "card"),
    ("ok", "ok-bg"),
    ("bad", "bad-bg"),
    ("warn", "warn-bg"),
    ("info", "info-bg"),
    ("idle", "idle-bg"),
]


def _colours() -> dict[str, str]:
    found = re.findall(r"--([a-z-]+):\s*#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", CSS.read_text("utf-8"))
    return {name: "#" + (h if len(h) == 6 else "".join(c * 2 for c in h)) for name, h in found}


def _luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_on_its_background_meets_wcag_aa(text: str, background: str) -> None:
    colours = _colours()
    ratio = contrast(colours[text], colours[background])
    assert ratio >= 4.5, f"--{text} on --{background}: {ratio:.2f}:1"
