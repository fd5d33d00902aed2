"""``molkit prepare``: read a dataset and fill a clip cache; exit 0 when something usable came out."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from molkit.data.alignment import ALIGNMENTS
from molkit.data.manifest import DATASETS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=DATASETS)
    parser.add_argument("--root", required=True, type=Path, help="the dataset as its owners ship it")
    parser.add_argument("--cache", required=True, type=Path, help="folder of the clip cache")
    parser.add_argument("--workers", type=int, default=0, help="processes (0: one per core)")
    parser.add_argument("--settings", type=Path, help="PrepSettings as YAML or JSON")
    parser.add_argument("--alignment", choices=ALIGNMENTS,
                        help="frame: each frame aligned on its own landmarks, as released (default); "
                             "video: one alignment per video, free of dlib's frame-to-frame jitter")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from molkit.data.pipeline import PrepSettings, prepare

    if not args.root.is_dir():
        print(f"molkit prepare: {args.root}: dataset root is not a folder", file=sys.stderr)
        return 2
    try:
        settings = PrepSettings.load(args.settings) if args.settings else PrepSettings()
        if args.alignment:
            settings = settings.replace(alignment=args.alignment)
        report = prepare(args.dataset, args.root, args.cache, settings, args.workers,
                         progress=not args.no_progress)
    except (FileNotFoundError, ValueError) as err:
        print(f"molkit prepare: {err}", file=sys.stderr)
        return 2
    print(report.summary())
    print(f"problems: {args.cache / 'problems.csv'}")
    if report.usable == 0:
        print("molkit prepare: nothing usable came out", file=sys.stderr)
        return 1
    return 0
