"""``molkit predict`` on a long recording: throughput (frames/s on this CPU, per wall second and
per CPU second of the command) and peak memory of the whole command, on a generated 640x480 video
at 30 fps (a public-domain face, scikit-image's astronaut, scaled to ``--face`` px and drifting
slowly over a textured background); and, given an ``inner-val`` LOSO run, the ECE before and after
temperature scaling on its held-out subjects.

    .venv/bin/python benchmarks/bench_predict.py --minutes 1 10 --work /tmp/bench_predict
    .venv/bin/python benchmarks/bench_predict.py --loso reports/<run>/work/loso/<folder>

One row per length: a peak that does not grow with the length is what streaming promises.

Writes ``reports/benchmarks/predict.md`` (the rows; the notes from its heading "## Notes" on are
kept as written) and, with ``--loso``, ``reports/benchmarks/calibration.md`` (no video rows unless
``--minutes`` asks for them too). The checkpoint is an untrained MOL (the easy profile's flow-head
width) with CASME II's clip timing unless ``--checkpoint`` names one: the cost per frame does not
depend on the weights.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import skimage.data
import torch

from molkit.data import PrepSettings
from molkit.data.cache import atomic_write_text
from molkit.model import MOL
from molkit.reports.figures import plot_reliability
from molkit.reports.tables import to_markdown
from molkit.run.configs import loso_config_from_profile
from molkit.train import TrainConfig
from molkit.train.calibration import LOG_T_BOUNDS, loso_calibration, softmax
from molkit.train.checkpoint import DEFAULT_TIMING, save_checkpoint, state_dict_cpu
from molkit.train.loso import CLASSES, load_loso

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "benchmarks"
REPORT, CALIBRATION = REPORTS / "predict.md", REPORTS / "calibration.md"
SIZE, FPS = (640, 480), 30
NOTES = "## Notes"


def write_video(path: Path, frames: int, face_px: int = 320) -> Path:
    """A 640x480 MJPG video: the astronaut's face (a 160x160 crop scaled to ``face_px``) drifting
    over a textured background."""
    crop = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)[40:200, 140:300]
    face = cv2.resize(crop, (face_px, face_px), interpolation=cv2.INTER_CUBIC)
    free_x, free_y = SIZE[0] - face_px, SIZE[1] - face_px
    rng = np.random.default_rng(0)
    background = cv2.GaussianBlur(rng.integers(60, 200, (SIZE[1], SIZE[0], 3), dtype=np.uint8), (0, 0), 6)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, SIZE)
    for t in range(frames):
        frame = background.copy()
        x = int(free_x / 2 + free_x / 4 * np.sin(2 * np.pi * t / (FPS * 20)))
        y = int(free_y / 2 + free_y / 4 * np.cos(2 * np.pi * t / (FPS * 30)))
        frame[y : y + face_px, x : x + face_px] = face
        writer.write(frame)
    writer.release()
    return path


def untrained_checkpoint(path: Path, large_face: int) -> Path:
    torch.manual_seed(0)
    model = MOL(loso_config_from_profile("easy").model)
    return save_checkpoint(
        path,
        state_dict_cpu(model),
        model.config,
        TrainConfig(),
        {},
        prep_settings=PrepSettings(detector_large_face=large_face).to_dict(),
        clip_timing={**DEFAULT_TIMING, "datasets": ["casme2"]},
    )


PEAK = (
    "import resource, sys; from molkit.cli import main; rc = main(sys.argv[1:]); "
    "u = resource.getrusage(resource.RUSAGE_SELF); "
    "print('PEAK_KB', u.ru_maxrss, 'CPU_S', u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(rc)"
)


def measure(video: Path, checkpoint: Path, work: Path) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (all threads), peak resident memory (MB) and the console output
    of one ``molkit predict``."""
    command = [sys.executable, "-c", PEAK, "predict", str(video), "--checkpoint", str(checkpoint)]
    command += ["--device", "cpu", "--out", str(work / "timeline.npz")]
    tic = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - tic
    if done.returncode:
        raise SystemExit(done.stderr)
    peak_kb, _, cpu = done.stderr.rsplit("PEAK_KB", 1)[1].split()[:3]  # Linux: KiB
    return seconds, float(cpu), int(peak_kb) / 1024, done.stdout


def where_it_applies(table: pd.DataFrame, loso: Path) -> str:
    """The issue's check on the folds where temperature scaling applies (held-out accuracy above
    chance, a temperature inside the search's bounds rather than at one: uniform answers): is the
    calibrated ECE not worse than the raw one, and is every clip's arg-max unchanged?"""
    folds = table[table.fold != "pooled"]
    chance = 1 / len(json.loads((loso / CLASSES).read_text()))
    inside = np.abs(np.log(folds.temperature)) < LOG_T_BOUNDS[1] - 1e-3
    applies = folds[(folds.accuracy > chance) & inside]
    not_worse = applies[applies.ece_calibrated <= applies.ece_raw]
    changed, temperature = 0, folds.set_index("fold").temperature
    clips = pd.concat(pd.read_csv(path) for path in sorted(loso.glob("fold_*/predictions.csv")))
    for fold, part in clips[clips.fold.astype(str).isin(temperature.index)].groupby("fold"):
        logits, t = part.filter(like="logit_").to_numpy(), float(temperature[str(fold)])
        changed += int((softmax(logits).argmax(1) != softmax(logits, t).argmax(1)).sum())
    return (
        f"Where it applies ({len(applies)} of {len(folds)} folds: held-out accuracy above chance "
        f"{chance:.2f}, temperature inside the search's bounds), the calibrated ECE is not worse "
        f"than the raw one on {len(not_worse)} of {len(applies)}; clips whose arg-max the "
        f"temperature changed: {changed}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--minutes", type=float, nargs="+", help="lengths to measure (default 10; none with --loso)"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_predict"))
    parser.add_argument("--face", type=int, default=320, help="the face's side in px (crop of 160)")
    parser.add_argument(
        "--large-face",
        type=int,
        default=PrepSettings().detector_large_face,
        help="the untrained checkpoint's detector_large_face (0: upsample every frame, as before)",
    )
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--loso", type=Path, help="an inner-val LOSO output folder: its ECE before/after")
    parser.add_argument("--label", default="", help="what the LOSO run is on (tier, folds, steps)")
    args = parser.parse_args()
    if args.loso and not args.label:
        parser.error("--loso needs --label: the record says what the LOSO run is on (tier, folds, steps)")
    if args.loso:
        calibration_record(args.loso, args.label)
    if args.minutes or not args.loso:
        video_rows(args.minutes or [10.0], args)


def video_rows(lengths: list[float], args: argparse.Namespace) -> None:
    """The long-recording rows, written to ``predict.md`` above its kept notes."""
    args.work.mkdir(parents=True, exist_ok=True)
    checkpoint = args.checkpoint or untrained_checkpoint(args.work / "untrained.pt", args.large_face)
    rows, printed = [], ""
    for minutes in lengths:
        frames = int(minutes * 60 * FPS)
        video = args.work / f"long_{frames}_face{args.face}.avi"
        if not video.exists():
            write_video(video, frames, args.face)
        seconds, cpu, peak_mb, printed = measure(video, checkpoint, args.work)
        rows.append(
            f"| {SIZE[0]}x{SIZE[1]} MJPG at {FPS} fps, {minutes:g} min, face {args.face} px | {frames} "
            f"| {seconds:.0f} s | {cpu:.0f} s | {frames / seconds:.1f} | {frames / cpu:.1f} | {peak_mb:.0f} MB |"
        )
    lines = [
        "# `molkit predict` on a long recording",
        "",
        f"Written by `benchmarks/bench_predict.py --minutes {' '.join(f'{m:g}' for m in lengths)} "
        f"--face {args.face} --large-face {args.large_face}` on "
        f"{platform.node()} ({os.cpu_count()} CPUs visible, `{platform.processor() or platform.machine()}`), "
        f"torch {torch.__version__}, {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        "| video | frames | wall time | CPU time | frames/s (wall) | frames per CPU-second "
        "| peak memory (whole command) |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        "What `molkit predict` printed (the last row):",
        "",
        "```",
        printed.strip(),
        "```",
    ]
    if REPORT.is_file() and NOTES in REPORT.read_text():
        lines += ["", NOTES + REPORT.read_text().split(NOTES, 1)[1].rstrip()]
    atomic_write_text(REPORT, "\n".join(lines) + "\n")
    print("\n".join(lines))


def calibration_record(loso: Path, label: str) -> None:
    """``calibration.md`` and its reliability diagram: the ECE before and after each fold's
    temperature on its held-out subject, and where temperature scaling applies."""
    table, curves = loso_calibration(loso)
    if not len(table):
        raise SystemExit(f"{loso}: no fold holds a temperature (train with the inner-val protocol)")
    run = load_loso(loso)
    figure = plot_reliability(curves, title=f"held-out subjects of {len(table) - 1} folds, pooled")
    figure.savefig(CALIBRATION.with_suffix(".png"), dpi=120)
    lines = [
        "# Temperature scaling on held-out subjects",
        "",
        f"Written by `benchmarks/bench_predict.py --loso {loso} --label '{label}'`, "
        f"{time.strftime('%Y-%m-%d %H:%M')}: {label}; {run.config.describe(run.prep)}. Each fold's "
        "temperature is fitted on its inner-validation subject (a training subject held out); the ECE "
        "(10 bins) is measured on the fold's test subject, before and after.",
        "",
        to_markdown(table.round(3), digits=3),
        "",
        where_it_applies(table, loso),
        "",
        f"Reliability diagram of the pooled clips: `{CALIBRATION.with_suffix('.png').name}`.",
    ]
    atomic_write_text(CALIBRATION, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
