"""``molkit predict``: class probabilities, flow and landmarks for a folder of frames or a video."""
from __future__ import annotations

import argparse
from pathlib import Path

from molkit.data.pipeline import PrepSettings
from molkit.gpu import pick_device
from molkit.train.checkpoint import load_checkpoint
from molkit.train.predict import predict_frames, read_frames


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="a folder of frames or a video file")
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--out", type=Path, help="write probabilities, flow and landmarks (.npz)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--prep-settings", type=Path,
                        help="the training cache's settings.json (default: the released preparation)")


def run(args: argparse.Namespace) -> int:
    device = pick_device(args.device)
    model, record = load_checkpoint(args.checkpoint, device)
    classes = record.get("class_names") or [str(c) for c in range(model.config.n_classes)]
    settings = PrepSettings.load(args.prep_settings) if args.prep_settings else None
    prediction = predict_frames(model, read_frames(args.input), classes, device, settings=settings)
    print(f"{args.input}: {prediction.label} "
          f"({len(prediction.clip_probabilities)} clips vote by mean logits)")
    for name, p in zip(classes, prediction.probabilities):
        print(f"  {name:12s} {p:.3f}")
    if args.out:
        print(f"written {prediction.save(args.out)}")
    return 0
