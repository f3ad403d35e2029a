"""Scan pre-processing before OCR: grayscale page, contrast, detection copy, box cut-outs."""

from __future__ import annotations

import numpy as np
from PIL import Image

from myloware.documents.scan import (
    MAX_SIDE,
    crop_quad,
    detection_copy,
    prepare,
    stretch_faint,
    widen,
)


def test_page_is_grayscale_and_at_most_max_side() -> None:
    """A large colour scan becomes a gray array no longer than MAX_SIDE, with its scale."""
    page, factor = prepare(Image.new("RGB", (4000, 1000), (200, 10, 10)))
    assert page.shape == (500, MAX_SIDE)
    assert factor == MAX_SIDE / 4000


def test_faint_page_is_stretched_and_a_normal_one_left_alone() -> None:
    """Ink 2 % darker than paper spans the full range afterwards; a contrasty page is unchanged."""
    faint = Image.new("L", (100, 100), 255)
    faint.paste(250, (10, 10, 60, 60))
    stretched = np.asarray(stretch_faint(faint))
    assert stretched.min() == 0 and stretched.max() == 255
    normal = Image.new("L", (100, 100), 255)
    normal.paste(20, (10, 10, 60, 60))
    assert stretch_faint(normal) is normal


def test_mostly_blank_receipt_with_gray_antialiasing_is_not_stretched() -> None:
    """Dark ink on under 1 % of the page, gray edges around it: the scan is good as it is."""
    page = Image.new("L", (200, 200), 255)
    page.paste(220, (10, 10, 110, 30))  # anti-aliased edges: 5 % of the page
    page.paste(30, (20, 15, 80, 20))  # the strokes themselves: 0.75 %
    assert stretch_faint(page) is page


def test_detection_copy_enlarges_narrow_pages_and_fits_the_pixel_budget() -> None:
    """A narrow page grows to the short side; a big one shrinks to the budget; others stay."""
    narrow = np.zeros((1000, 368), dtype=np.uint8)
    grown, factor = detection_copy(narrow, 736, 4_000_000)
    assert grown.shape == (2000, 736) and factor == 2.0
    page = np.zeros((2000, 1000), dtype=np.uint8)
    small, scale = detection_copy(page, 736, 200_000)
    assert small.shape[0] * small.shape[1] <= 200_000 * 1.01
    assert small.shape == (632, 316) and scale == 316 / 1000
    capped, _ = detection_copy(narrow, 736, 1_000_000)
    assert capped.shape[0] * capped.shape[1] <= 1_000_000 * 1.01 and capped.shape[1] > 368
    same, unit = detection_copy(page, 736, 5_000_000)
    assert same is page and unit == 1.0


def test_box_is_cut_out_straight_and_tall_boxes_are_turned() -> None:
    """A quadrilateral is cut to its own width and height; a tall one is turned to a row."""
    page = np.arange(100 * 200, dtype=np.uint32).reshape(100, 200).astype(np.uint8)
    wide = crop_quad(page, np.array([[10, 20], [70, 20], [70, 40], [10, 40]]))
    assert wide.shape == (20, 60)
    tall = crop_quad(page, np.array([[10, 10], [30, 10], [30, 90], [10, 90]]))
    assert tall.shape == (20, 80)


def test_box_grows_by_shares_of_its_height_and_stays_on_the_page() -> None:
    """A 60 x 20 box grown by half its height at the ends and a quarter above and below."""
    page = np.zeros((100, 200), dtype=np.uint8)
    quad = np.array([[20, 20], [80, 20], [80, 40], [20, 40]], dtype=np.float32)
    grown = widen(quad, 0.5, 0.25, page)
    assert grown.tolist() == [[10, 15], [90, 15], [90, 45], [10, 45]]
    assert crop_quad(page, grown).shape == (30, 80)
    edge = np.array([[2, 1], [190, 1], [190, 99], [2, 99]], dtype=np.float32)
    assert widen(edge, 0.5, 0.5, page).tolist() == [[0, 0], [199, 0], [199, 99], [0, 99]]
    assert widen(quad, 0.0, 0.0, page).tolist() == quad.tolist()


def test_turned_box_grows_along_its_own_direction() -> None:
    """A box drawn upside down (corners turned 180 degrees) grows along its own baseline."""
    page = np.zeros((100, 200), dtype=np.uint8)
    turned = np.array([[80, 40], [20, 40], [20, 20], [80, 20]], dtype=np.float32)
    assert widen(turned, 0.5, 0.0, page).tolist() == [[90, 40], [10, 40], [10, 20], [90, 20]]
