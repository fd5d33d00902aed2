"""Headless Chromium screenshots of the rendered report, and checks that a page really shows
something: a PNG that is not blank, and HTML with figures and tables (on the front page: the
verdict, the results table and the figures it links)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from PIL import Image

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> str:
    """The Chromium executable; an error that says how to install it when there is none."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError("no Chromium found; on Debian/Ubuntu: apt-get install -y chromium")


def screenshot(
    page: str | Path, png: str | Path, size: tuple[int, int] = (1280, 1600), timeout: float = 120
) -> Path:
    """Render a local HTML page with headless Chromium (fresh, empty profile) into ``png``."""
    page, png = Path(page).resolve(), Path(png).resolve()
    if not page.is_file():
        raise FileNotFoundError(f"{page}: no such page")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="molkit-chromium-") as profile:
        command = [
            find_chromium(),
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={size[0]},{size[1]}",
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0 or not png.is_file():
        raise RuntimeError(f"chromium could not render {page}: {done.stderr.strip()[-2000:]}")
    return png


def pixel_spread(png: str | Path) -> float:
    """Standard deviation of the grey levels (0..255): about 0 for a blank page."""
    with Image.open(png) as image:
        return float(np.asarray(image.convert("L"), dtype=np.float64).std())


@dataclasses.dataclass
class PageContent:
    images: int = 0  # <img> tags (notebook figures are embedded PNGs)
    tables: int = 0
    links: int = 0
    results_tables: int = 0  # tables of class molkit-results (the front page's results)
    verdict: str = ""  # text of the element of class "verdict"
    figures: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (alt, src) of linked images

    def missing_figures(self, page: str | Path) -> list[str]:
        """Linked (not embedded) images whose file does not exist beside ``page``."""
        folder = Path(page).parent
        return [src for _, src in self.figures if not (folder / src).is_file()]


class _Counter(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.content = PageContent()
        self._in_verdict = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if "verdict" in classes:
            self._in_verdict = True
        if tag == "img":
            self.content.images += 1
            src = attributes.get("src") or ""
            if not src.startswith("data:"):
                self.content.figures.append((attributes.get("alt") or "", src))
        elif tag == "table":
            self.content.tables += 1
            self.content.results_tables += "molkit-results" in classes
        elif tag == "a" and attributes.get("href"):
            self.content.links += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_verdict = False if tag == "p" else self._in_verdict

    def handle_data(self, data: str) -> None:
        if self._in_verdict:
            self.content.verdict += data


def page_content(page: str | Path) -> PageContent:
    """How many images, tables and links a page holds."""
    counter = _Counter()
    counter.feed(Path(page).read_text(encoding="utf-8"))
    return counter.content
