"""``molkit loso``: leave-one-subject-out training and evaluation of MOL or a baseline
(``--model ststnet|offapexnet|linear`` on the cache's onset->apex flow, or on the real
composite's public onset->apex images with ``--flow-images DIR``; ``--model lbptop`` on the
cache's aligned frames), on this machine or a cluster."""

from __future__ import annotations

import argparse

from molkit.executors import EXECUTORS, add_slurm_arguments, slurm_parameters
from molkit.run.commands.options import add_run_arguments, caches_from_args, config_from_args
from molkit.train.loso import METHODS, class_count, run_loso


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, images=True)
    parser.add_argument(
        "--model",
        choices=sorted(METHODS),
        help="what the folds train: mol (default), a baseline on the onset->apex flow (ststnet, "
        "offapexnet, linear) or the MEGC 2019 LBP-TOP baseline (lbptop)",
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
    result = run_loso(
        config,
        caches_from_args(args),
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
