"""``molkit predict``: a timeline of windows at the training clips' time scale over a folder of
frames or a video (streamed), calibrated probabilities, "outside the training range" flags;
optionally the windows as ``.npz`` (``--out``) and a page to look at (``--report``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from molkit.data.cache import atomic_write_text
from molkit.data.problems import format_runs
from molkit.gpu import pick_device
from molkit.train.calibration import calibration_line, recorded_temperature, softmax
from molkit.train.checkpoint import clip_timing, load_checkpoint, prep_settings_for
from molkit.train.frames import FrameStream, read_frames
from molkit.train.input_range import INPUT_RANGE
from molkit.train.predict import NoFaceError, check_footage, predict_frames
from molkit.train.timeline import OUTSIDE, Timeline, predict_timeline

# a recording at most this long is one trimmed sample (a micro-expression lasts under 0.5 s; with
# its onset and offset a coded sample stays within a second): it also gets a whole-recording answer
SAMPLE_SECONDS = 1.0
TOP_WINDOWS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="a folder of frames or a video file")
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument(
        "--out",
        type=Path,
        help="write the windows (frames, probabilities, flags, statistics), the frames "
        "without a face and the shown window's flow and landmarks (.npz)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        help="write a page to look at (.html): the timeline of windows, the flags, the aligned "
        "frames of the most confident window with dlib's and the predicted landmarks, predicted "
        "flow beside TV-L1",
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--fps", type=float, help="the input's frame rate (default: the video's; a folder: the training rate)"
    )
    parser.add_argument(
        "--prep-settings",
        type=Path,
        help="prepare the frames as this settings file (a cache's settings.json) or "
        "checkpoint says, instead of the checkpoint's own settings",
    )


def whole_recording(model, args, classes, settings, timeline: Timeline, device) -> np.ndarray | None:
    """A trimmed sample's answer, as evaluation votes a video's clips (mean logits, then the
    temperature); None for a recording longer than :data:`SAMPLE_SECONDS` or not read whole."""
    if timeline.problems or timeline.n_frames / timeline.plan.fps > SAMPLE_SECONDS:
        return None
    sample = predict_frames(model, read_frames(args.input), classes, device, settings=settings)
    return softmax(np.log(np.maximum(sample.probabilities, 1e-30))[None], timeline.temperature or 1.0)[0]


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    device = pick_device(args.device)
    model, record = load_checkpoint(args.checkpoint, device)
    classes = record.get("class_names") or [str(c) for c in range(model.config.n_classes)]
    settings, preparation = prep_settings_for(record, args.prep_settings)
    check_footage(model.config, args.checkpoint, prep=settings)
    timing, timing_line = clip_timing(record)
    temperature, ranges = recorded_temperature(record), record.get(INPUT_RANGE)
    stream = FrameStream(args.input)
    try:
        timeline = predict_timeline(
            model,
            stream,
            classes,
            timing=timing,
            settings=settings,
            temperature=temperature,
            ranges=ranges,
            device=device,
            fps=args.fps,
        )
        timeline.summary = whole_recording(model, args, classes, settings, timeline, device)
    except NoFaceError as err:
        raise NoFaceError(f"{args.input}: {err}") from err
    notes = [
        preparation,
        timing_line,
        timeline.plan.describe(),
        calibration_line(record),
        f"training-input range from {ranges['clips']} training clips"
        if ranges
        else "no training-input range in the checkpoint: no window can be flagged",
        *timeline.problems,
    ]
    print(f"{args.input}: {timeline.n_frames} frames at {timeline.plan.fps:g} fps")
    for line in notes:
        print(f"  {line}")
    missing = timeline.checked[~timeline.face_found]
    if len(missing):
        print(
            f"  no face found on frames {format_runs(missing)} ({len(missing)} of the "
            f"{len(timeline.checked)} frames looked at); windows over them are skipped"
        )
    flagged = sum(bool(o) for o in timeline.outside)
    print(
        f"{args.input}: {len(timeline.first)} windows, {flagged} {OUTSIDE}"
        + (f" ({', '.join(f'{k} {n}' for k, n in timeline.flagged().items())})" if flagged else "")
    )
    for w in timeline.top_windows(TOP_WINDOWS):
        print(
            f"  frames {timeline.first[w]}-{timeline.last[w]} ({timeline.seconds[w]:.2f} s): {timeline.answer(w)}"
        )
    if flagged:
        w = next(i for i, o in enumerate(timeline.outside) if o)
        print(f"  e.g. frames {timeline.first[w]}-{timeline.last[w]}: {timeline.outside[w]}")
    if timeline.summary is not None:
        answer = (
            OUTSIDE
            if 2 * flagged > len(timeline.outside)
            else ", ".join(f"{n} {p:.3f}" for n, p in zip(classes, timeline.summary))
        )
        print(f"{args.input}: whole recording (a trimmed sample, clips vote by mean logits): {answer}")
    if args.out:
        print(f"written {timeline.save(args.out)}")
    if args.report:
        from molkit.train.predict_report import render_report

        page = render_report(
            source=args.input,
            checkpoint=args.checkpoint,
            notes=notes,
            timeline=timeline,
            seconds=time.perf_counter() - start,
            ranges=ranges,
        )
        print(f"written {atomic_write_text(args.report, page)}")
    return 0
