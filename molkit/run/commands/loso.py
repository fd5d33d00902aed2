"""``molkit loso``: leave-one-subject-out training and evaluation of MOL or a baseline
(``--model ststnet|offapexnet|linear|htnet`` on the cache's onset->apex flow, or on the real
composite's public onset->apex images with ``--flow-images DIR``, HTNet with the samples' face
photographs, ``--faces DIR``; ``--model lbptop`` on the cache's aligned frames), on this machine
or a cluster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from molkit.baselines.htnet_regions import attach_face_points
from molkit.data.flow_images import FlowImages
from molkit.data.problems import summary_lines
from molkit.executors import EXECUTORS, add_slurm_arguments, slurm_parameters
from molkit.run.commands.options import add_run_arguments, caches_from_args, config_from_args
from molkit.train.loso import METHODS, class_count, run_loso


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, images=True)
    parser.add_argument(
        "--model",
        choices=sorted(METHODS),
        help="what the folds train: mol (default), a baseline on the onset->apex flow (ststnet, "
        "offapexnet, linear, htnet) or the MEGC 2019 LBP-TOP baseline (lbptop)",
    )
    parser.add_argument(
        "--faces",
        type=Path,
        metavar="DIR",
        help="with --flow-images and --model htnet: the samples' face photographs (<name>.jpg, as "
        "HTNet's datasets/combined_datasets_whole), where dlib finds the points HTNet's regions "
        "are cut around",
    )
    parser.add_argument(
        "--face-points",
        type=Path,
        metavar="FILE",
        help="CSV that keeps the faces' points, so that dlib runs once per face (default: "
        "OUT/face_points.csv; share one between runs)",
    )
    parser.add_argument("--folds", type=int, help="run only the first N folds")
    parser.add_argument("--executor", choices=EXECUTORS, default="inprocess")
    parser.add_argument("--workers", type=int, help="local processes (default: one per GPU)")
    add_slurm_arguments(parser, timeout_min=240, what="fold", gpus=1)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.folds is not None:
        config = config.replace(folds=args.folds)
    if args.model:
        config = config.replace(method=args.model)
    if args.flow_images is not None and not args.classes and not args.config:
        config = config.replace(
            classes="composite", model=config.model.replace(n_classes=class_count("composite"))
        )
    slurm = slurm_parameters(args)
    caches = caches_from_args(args)
    if args.faces is not None:
        caches = with_faces(caches, args)
    result = run_loso(
        config,
        caches,
        args.out,
        executor=args.executor,
        workers=args.workers,
        slurm=slurm,
        progress=not args.quiet,
    )
    result.save(args.out)
    print(result)
    print(result.summary.to_string(index=False, float_format="%.3f"))
    video = result.per_class[result.per_class.level == "video"]
    print(
        video[["class", "support", "recall", "precision", "f1"]].to_string(index=False, float_format="%.3f")
    )
    print(result.collapse.to_string(index=False))
    print(f"tables in {args.out}: summary.csv, per_fold.csv, per_class.csv, collapse.csv")
    return 0


def with_faces(images, args: argparse.Namespace) -> FlowImages:
    """The public images with their faces' points (their problems printed, grouped by kind, on
    stderr)."""
    if not isinstance(images, FlowImages):
        raise ValueError("--faces: the face photographs go with the public images (--flow-images DIR)")
    found = attach_face_points(images, args.faces, args.face_points or args.out / "face_points.csv")
    print(f"{args.faces}: the face points of {len(found)} onset->apex images", file=sys.stderr)
    for line in summary_lines(found.problems[len(images.problems) :]):
        print(line, file=sys.stderr)
    return found
