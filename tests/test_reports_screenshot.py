"""Screenshot checks: the blank-page measure, the tag counts, and a real headless Chromium render
(skipped where Chromium is not installed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from molkit.reports.screenshot import BROWSERS, page_content, pixel_spread, screenshot


def test_pixel_spread_is_the_grey_level_std(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, size=(40, 60), dtype=np.uint8)
    Image.fromarray(grey).save(tmp_path / "noise.png")
    Image.fromarray(np.full((40, 60), 255, np.uint8)).save(tmp_path / "blank.png")
    assert pixel_spread(tmp_path / "noise.png") == pytest.approx(grey.astype(float).std())
    assert pixel_spread(tmp_path / "blank.png") == 0.0


def test_page_content_counts_tags(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(
        '<html><body><table><tr><td>1</td></tr></table><img src="data:x">'
        '<IMG SRC="b.png"><a href="x.html">x</a><a name="anchor">y</a>'
        "<p>&lt;table&gt; is not a tag</p></body></html>"
    )
    content = page_content(page)
    assert (content.images, content.tables, content.links) == (2, 1, 1)


@pytest.mark.skipif(not any(map(shutil.which, BROWSERS)), reason="Chromium is not installed")
def test_chromium_renders_a_page_that_is_not_blank(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body style='background:white'><h1 style='font-size:80px'>molkit</h1>"
        "<div style='width:400px;height:300px;background:black'></div></body></html>"
    )
    png = screenshot(page, tmp_path / "page.png", size=(640, 480))
    with Image.open(png) as image:
        assert image.size == (640, 480)
        grey = np.asarray(image.convert("L"))
    assert (grey < 50).mean() > 0.2  # the black box is drawn
    assert pixel_spread(png) > 50
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body style='background:white'></body></html>")
    assert pixel_spread(screenshot(empty, tmp_path / "empty.png", size=(640, 480))) < 1
