#!/usr/bin/env python
"""Screenshot a molkit report in headless Chromium and check that it looks right.

    .venv/bin/python scripts/check_report_screenshots.py reports/<run name> [--notebook 02]

Renders ``index.html`` and one notebook page to PNG beside them (``screenshots/``), then checks
that neither PNG is blank and that the index links pages and the notebook page holds figures and
tables. Exits 1 (and says why) when a check fails; needs Debian's ``chromium`` package.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from molkit.reports.screenshot import page_content, pixel_spread, screenshot

MIN_SPREAD = 5.0  # grey-level standard deviation below which a page counts as blank


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a folder written by `molkit reproduce`")
    parser.add_argument("--notebook", default="02", help="number of the notebook page to render")
    args = parser.parse_args()
    pages = sorted(args.run_dir.glob(f"{args.notebook}_*.html"))
    if not (args.run_dir / "index.html").is_file() or not pages:
        print(f"{args.run_dir}: needs index.html and a {args.notebook}_*.html page", file=sys.stderr)
        return 1
    problems = []
    for page, size, needs in [
        (args.run_dir / "index.html", (1280, 1000), {"tables": 1, "links": 5}),
        (pages[0], (1280, 2400), {"images": 1, "tables": 1}),
    ]:
        png = screenshot(page, args.run_dir / "screenshots" / f"{page.stem}.png", size)
        spread, content = pixel_spread(png), page_content(page)
        print(f"{png}: grey-level spread {spread:.1f}; {content}")
        if spread < MIN_SPREAD:
            problems.append(f"{png} looks blank (spread {spread:.1f} < {MIN_SPREAD})")
        problems += [f"{page}: {n} {kind} < {want}" for kind, want in needs.items()
                     if (n := getattr(content, kind)) < want]
    for problem in problems:
        print("FAIL:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
