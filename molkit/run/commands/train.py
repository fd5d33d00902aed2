"""``molkit train``: one LOSO fold (``--test-subject``), or every subject for a final model."""

from __future__ import annotations

import argparse

from molkit.run.commands.options import add_run_arguments, caches_from_args, config_from_args
from molkit.train.loso import all_subjects, dataset_classes, open_clips, run_fold
from molkit.train.protocols import plan_folds
from molkit.train.trainer import CHECKPOINT, train_fold


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser)
    parser.add_argument(
        "--test-subject",
        help="train this subject's LOSO fold and test on it; "
        "without it, train on every subject (protocol fixed)",
    )


def run(args: argparse.Namespace) -> int:
    config, caches = config_from_args(args), caches_from_args(args)
    subjects = all_subjects(config, caches)
    if args.test_subject:
        folds = {f.test_subject: f for f in plan_folds(config.protocol, subjects)}
        if args.test_subject not in folds:
            raise SystemExit(f"--test-subject {args.test_subject!r} is not in the data: {subjects}")
        predictions = run_fold(config, caches, folds[args.test_subject], args.out, progress=not args.quiet)
        print(f"{config.label}: fold {args.test_subject} done; predictions in {predictions}")
        return 0
    if config.protocol != "fixed":
        raise SystemExit(
            f"protocol {config.protocol!r} needs --test-subject (it selects a "
            "checkpoint on a held-out subject)"
        )
    train_set = open_clips(config, caches, None, True)
    train_fold(
        config.model,
        config.train,
        train_set,
        args.out,
        progress=not args.quiet,
        protocol=config.protocol,
        train_subjects=subjects,
        classes=config.classes,
        class_names=dataset_classes(train_set),
    )
    print(f"{config.label}: trained on {len(subjects)} subjects; checkpoint {args.out / CHECKPOINT}")
    return 0
