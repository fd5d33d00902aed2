"""``molkit prepare``: read a dataset and fill a clip cache, here or on Slurm; exit 0 when
something usable came out and no job died."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from molkit.data.alignment import ALIGNMENTS
from molkit.data.manifest import COMPOSITE, DATASETS
from molkit.data.pipeline import PREP_EXECUTORS, SPANS
from molkit.executors import add_slurm_arguments, slurm_parameters


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        required=True,
        choices=[*DATASETS, COMPOSITE],
        help="composite: the MEGC 2019 composite (the official list of 442 samples)",
    )
    parser.add_argument(
        "--root",
        required=True,
        type=Path,
        help="the dataset as its owners ship it; for composite, a folder holding the "
        "copies as sub-folders (or links) named casme2*, samm*, smic*",
    )
    parser.add_argument("--cache", required=True, type=Path, help="folder of the clip cache")
    parser.add_argument(
        "--executor",
        choices=PREP_EXECUTORS,
        default="local",
        help="local: worker processes here (default); slurm or submitit-local: a submitit job "
        "array, one job a video (logs in CACHE/jobs)",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="local processes of one thread each (0: one per core)"
    )
    add_slurm_arguments(parser, timeout_min=60, what="video", gpus=0)
    parser.add_argument(
        "--settings",
        type=Path,
        help="PrepSettings as YAML or JSON, or a molkit "
        "checkpoint (prepare as its model's training cache was)",
    )
    parser.add_argument(
        "--alignment",
        choices=ALIGNMENTS,
        help="frame: each frame aligned on its own landmarks, as released (default); "
        "video: one alignment per video, free of dlib's frame-to-frame jitter",
    )
    parser.add_argument(
        "--span",
        choices=SPANS,
        help="video: clips over the whole video, as released (default); onset-apex: one clip of 8 "
        "frames from the coded onset to the apex (a departure, issue 35)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from molkit.data.pipeline import PrepSettings, prepare, read_prep_settings

    settings = read_prep_settings(args.settings) if args.settings else PrepSettings()
    changes = {k: v for k, v in (("alignment", args.alignment), ("span", args.span)) if v}
    settings = settings.replace(**changes)
    report = prepare(
        args.dataset,
        args.root,
        args.cache,
        settings,
        args.workers,
        progress=not args.no_progress,
        executor=args.executor,
        slurm=slurm_parameters(args),
    )
    print(report.summary())
    print(f"every problem, by file or sheet row: {args.cache / 'problems.csv'}")
    for dead in report.failed:
        print(f"molkit prepare: {dead.video_id}: {dead.where}: {dead.message}", file=sys.stderr)
    if report.failed:
        print(f"molkit prepare: {len(report.failed)} jobs died; rerun to prepare them", file=sys.stderr)
        return 1
    if report.usable == 0:
        print("molkit prepare: nothing usable came out", file=sys.stderr)
        return 1
    return 0
