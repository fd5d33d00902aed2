"""``molkit evaluate``: a checkpoint on a cache: class metrics per clip and per video, flow EPE
and landmark NME (against TV-L1 and dlib, and the synthetic truth where the cache has it)."""
from __future__ import annotations

import argparse
from pathlib import Path

from molkit.data.cache import atomic_write_text
from molkit.gpu import pick_device
from molkit.train.checkpoint import load_checkpoint
from molkit.train.evaluation import error_summary, predict_dataset, score, vote_videos
from molkit.train.loso import LosoConfig, open_clips


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--cache", required=True, type=Path, help="prepared cache folder")
    parser.add_argument("--subjects", nargs="+", help="only these subjects (default: all)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--out", type=Path, help="write the per-clip predictions here (CSV)")


def run(args: argparse.Namespace) -> int:
    device = pick_device(args.device)
    model, record = load_checkpoint(args.checkpoint, device)
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
