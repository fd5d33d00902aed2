"""``molkit predict``: class probabilities, flow and landmarks for a folder of frames or a video,
prepared as the model was trained; optionally a page to look at (``--report``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from molkit.data.cache import atomic_write_text
from molkit.data.problems import format_runs
from molkit.gpu import pick_device
from molkit.train.checkpoint import load_checkpoint, prep_settings_for
from molkit.train.predict import NoFaceError, predict_video, prepare_video, read_frames


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="a folder of frames or a video file")
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument(
        "--out", type=Path, help="write probabilities, flow, landmarks and the frames without a face (.npz)"
    )
    parser.add_argument(
        "--report",
        type=Path,
        help="write a page to look at (.html): probabilities per "
        "clip, aligned frames with dlib's and the predicted landmarks, predicted flow "
        "beside TV-L1",
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--prep-settings",
        type=Path,
        help="prepare the frames as this settings file (a cache's settings.json) or "
        "checkpoint says, instead of the checkpoint's own settings",
    )


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    device = pick_device(args.device)
    model, record = load_checkpoint(args.checkpoint, device)
    classes = record.get("class_names") or [str(c) for c in range(model.config.n_classes)]
    settings, preparation = prep_settings_for(record, args.prep_settings)
    try:
        video = prepare_video(read_frames(args.input), settings)
        prediction = predict_video(model, video, classes, device)
    except NoFaceError as err:
        raise NoFaceError(f"{args.input}: {err}") from err
    missing = np.flatnonzero(~video.face_found) + 1
    print(
        f"{args.input}: {video.n_frames} frames, {video.stride} clips of 8 (stride {video.stride}); "
        f"{preparation}"
    )
    if len(missing):
        print(
            f"  no face found on frames {format_runs(missing)} ({len(missing)} of the "
            f"{len(video.face_found)} frames clips use); they borrow the nearest frame's alignment"
        )
    if len(prediction.clips_left_out):
        print(
            f"  {len(prediction.clips_left_out)} of {video.stride} clips left out, mostly frames "
            f"without a face: clips {format_runs(prediction.clips_left_out + 1)}"
        )
    print(
        f"{args.input}: {prediction.label} ({len(prediction.clip_probabilities)} clips vote by mean logits)"
    )
    for name, p in zip(classes, prediction.probabilities):
        print(f"  {name:12s} {p:.3f}")
    if args.out:
        print(f"written {prediction.save(args.out)}")
    if args.report:
        from molkit.train.predict_report import render_report

        page = render_report(
            source=args.input,
            checkpoint=args.checkpoint,
            preparation=preparation,
            video=video,
            prediction=prediction,
            seconds=time.perf_counter() - start,
        )
        print(f"written {atomic_write_text(args.report, page)}")
    return 0
