#!/usr/bin/env python
"""Screenshot a molkit report in headless Chromium and check that it looks right.

    .venv/bin/python scripts/check_report_screenshots.py reports/<run name> [--notebook 02]

Renders ``index.html`` and one notebook page to PNG beside them (``screenshots/``), then checks
that neither PNG is blank, that the index opens with the verdict, the results table and the
figures (the ablation plot at least; every figure it links must exist) and links the pages, and
that the notebook page holds figures and tables. Exits 1 (and says why) when a check fails;
needs Debian's ``chromium`` package.
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
    parser.add_argument(
        "--figure",
        action="append",
        default=None,
        metavar="NAME",
        help="figure the index must show (default: ablations; repeat for more, "
        "e.g. --figure ablations --figure sensitivity)",
    )
    args = parser.parse_args()
    pages = sorted(args.run_dir.glob(f"{args.notebook}_*.html"))
    if not (args.run_dir / "index.html").is_file() or not pages:
        print(f"{args.run_dir}: needs index.html and a {args.notebook}_*.html page", file=sys.stderr)
        return 1
    problems = []
    index = args.run_dir / "index.html"
    front = page_content(index)
    if not front.verdict.strip():
        problems.append(f"{index}: no verdict (notebooks 02, 03 and 04 write work/front/claims/)")
    problems += [
        f"{index}: the {name!r} figure is missing"
        for name in args.figure or ["ablations"]
        if name not in {alt for alt, _ in front.figures}
    ]
    problems += [f"{index}: figure {src} does not exist" for src in front.missing_figures(index)]
    if problems:  # the front page lacks its results: no need to render anything to know
        return _report(problems)
    for page, size, needs in [
        (index, (1280, 2400), {"tables": 2, "results_tables": 1, "images": 1, "links": 5}),
        (pages[0], (1280, 2400), {"images": 1, "tables": 1}),
    ]:
        png = screenshot(page, args.run_dir / "screenshots" / f"{page.stem}.png", size)
        spread, content = pixel_spread(png), page_content(page)
        print(f"{png}: grey-level spread {spread:.1f}; {content}")
        if spread < MIN_SPREAD:
            problems.append(f"{png} looks blank (spread {spread:.1f} < {MIN_SPREAD})")
        problems += [
            f"{page}: {n} {kind} < {want}"
            for kind, want in needs.items()
            if (n := getattr(content, kind)) < want
        ]
    return _report(problems)


def _report(problems: list[str]) -> int:
    for problem in problems:
        print("FAIL:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
