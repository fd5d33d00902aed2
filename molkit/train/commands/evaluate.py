"""``molkit evaluate``: a checkpoint on a cache: class metrics per clip and per video, flow EPE
and landmark NME (against TV-L1 and dlib, and the synthetic truth where the cache has it).

The cache must be prepared as the model's training cache was (the checkpoint records how);
``--any-prep`` evaluates on a cache prepared otherwise, and says how it differs."""

from __future__ import annotations

import argparse
from pathlib import Path

from molkit.data.cache import atomic_write_text
from molkit.data.pipeline import cache_prep_settings, recorded_prep_settings
from molkit.gpu import pick_device
from molkit.train.checkpoint import differences, load_checkpoint
from molkit.train.evaluation import error_summary, predict_dataset, score, vote_videos
from molkit.train.loso import LosoConfig, open_clips


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--cache", required=True, type=Path, help="prepared cache folder")
    parser.add_argument("--subjects", nargs="+", help="only these subjects (default: all)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--out", type=Path, help="write the per-clip predictions here (CSV)")
    parser.add_argument(
        "--any-prep",
        action="store_true",
        help="evaluate even when the cache was prepared otherwise than the model's "
        "training cache (e.g. another alignment)",
    )


def check_preparation(args: argparse.Namespace, record: dict) -> str:
    """A line on how the cache's preparation compares with the model's; a ValueError when they
    differ and ``--any-prep`` was not given."""
    trained, cache = recorded_prep_settings(record), cache_prep_settings(args.cache)
    if trained is None or cache is None:
        missing = args.checkpoint if trained is None else args.cache
        return f"preparation not checked: {missing} records no preparation settings"
    if trained == cache:
        return "preparation: the cache is prepared as the model's training cache was"
    changed = differences(trained, cache)
    if not args.any_prep:
        raise ValueError(
            f"{args.cache}: prepared otherwise than the training cache of {args.checkpoint} "
            f"({changed}); prepare it with molkit prepare --settings {args.checkpoint}, "
            "or pass --any-prep"
        )
    return f"preparation differs from the model's training cache ({changed}); evaluated anyway (--any-prep)"


def run(args: argparse.Namespace) -> int:
    device = pick_device(args.device)
    model, record = load_checkpoint(args.checkpoint, device)
    print(check_preparation(args, record))
    config = LosoConfig(classes=record.get("classes", "5"), model=model.config)
    data = open_clips(config, args.cache, tuple(args.subjects) if args.subjects else None, False)
    clips = predict_dataset(model, data, args.batch_size, device, errors=True)
    for level, table in (("clip", clips), ("video", vote_videos(clips))):
        metrics = score(table, model.config.n_classes)
        print(f"per {level} ({len(table)}): " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()))
    for name, value in error_summary(clips).items():
        print(f"{name}: {value:.4f}")
    if args.out:
        atomic_write_text(args.out, clips.to_csv(index=False))
    return 0
