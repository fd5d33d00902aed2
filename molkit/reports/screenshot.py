"""Headless Chromium screenshots of the rendered report, and checks that a page really shows
something: a PNG that is not blank, and HTML with figures and tables."""
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
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> str:
    """The Chromium executable; an error that says how to install it when there is none."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError("no Chromium found; on Debian/Ubuntu: apt-get install -y chromium")


def screenshot(page: str | Path, png: str | Path, size: tuple[int, int] = (1280, 1600), timeout: float = 120) -> Path:
    """Render a local HTML page with headless Chromium (fresh, empty profile) into ``png``."""
    page, png = Path(page).resolve(), Path(png).resolve()
    if not page.is_file():
        raise FileNotFoundError(f"{page}: no such page")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="molkit-chromium-") as profile:
        command = [
            find_chromium(), *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
            f"--window-size={size[0]},{size[1]}", page.as_uri(),
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


class _Counter(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.content = PageContent()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.content.images += 1
        elif tag == "table":
            self.content.tables += 1
        elif tag == "a" and dict(attrs).get("href"):
            self.content.links += 1


def page_content(page: str | Path) -> PageContent:
    """How many images, tables and links a page holds."""
    counter = _Counter()
    counter.feed(Path(page).read_text(encoding="utf-8"))
    return counter.content
