"""``molkit predict`` on a long recording: throughput (frames/s on this CPU) and peak memory of the
whole command, on a generated 640x480 video at 30 fps (a public-domain face, scikit-image's
astronaut, drifting slowly over a textured background); and, given an ``inner-val`` LOSO run,
the ECE before and after temperature scaling on its held-out subjects.

    .venv/bin/python benchmarks/bench_predict.py --minutes 1 10 --work /tmp/bench_predict
    .venv/bin/python benchmarks/bench_predict.py --minutes 0.5 --loso reports/<run>/work/loso/<folder>

One row per length: a peak that does not grow with the length is what streaming promises.

Writes ``reports/benchmarks/predict.md``. The checkpoint is an untrained MOL (demo flow-head
width) with CASME II's clip timing unless ``--checkpoint`` names one: the cost per frame does not
depend on the weights.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import skimage.data
import torch

from molkit.data import PrepSettings
from molkit.data.cache import atomic_write_text
from molkit.model import MOL
from molkit.train import LosoConfig, TrainConfig
from molkit.train.calibration import loso_calibration
from molkit.train.checkpoint import DEFAULT_TIMING, save_checkpoint, state_dict_cpu

REPORT = Path(__file__).resolve().parents[1] / "reports" / "benchmarks" / "predict.md"
SIZE, FPS = (640, 480), 30


def write_video(path: Path, frames: int) -> Path:
    """A 640x480 MJPG video: the astronaut's face (160x160) drifting over a textured background."""
    face = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)[40:200, 140:300]
    rng = np.random.default_rng(0)
    background = cv2.GaussianBlur(rng.integers(60, 200, (SIZE[1], SIZE[0], 3), dtype=np.uint8), (0, 0), 6)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, SIZE)
    for t in range(frames):
        frame = background.copy()
        x = int(240 + 80 * np.sin(2 * np.pi * t / (FPS * 20)))
        y = int(160 + 40 * np.cos(2 * np.pi * t / (FPS * 30)))
        frame[y : y + 160, x : x + 160] = face
        writer.write(frame)
    writer.release()
    return path


def untrained_checkpoint(path: Path) -> Path:
    torch.manual_seed(0)
    model = MOL(LosoConfig.from_profile("demo").model)
    return save_checkpoint(
        path,
        state_dict_cpu(model),
        model.config,
        TrainConfig(),
        {},
        prep_settings=PrepSettings().to_dict(),
        clip_timing={**DEFAULT_TIMING, "datasets": ["casme2"]},
    )


PEAK = "import resource, sys; from molkit.cli import main; rc = main(sys.argv[1:]); print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(rc)"


def measure(video: Path, checkpoint: Path, work: Path) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory (MB) and the console output of one ``molkit predict``."""
    command = [sys.executable, "-c", PEAK, "predict", str(video), "--checkpoint", str(checkpoint)]
    command += ["--device", "cpu", "--out", str(work / "timeline.npz")]
    tic = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - tic
    if done.returncode:
        raise SystemExit(done.stderr)
    peak_kb = int(done.stderr.rsplit("PEAK_KB", 1)[1].split()[0])  # Linux: KiB
    return seconds, peak_kb / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_predict"))
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--loso", type=Path, help="an inner-val LOSO output folder: its ECE before/after")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    checkpoint = args.checkpoint or untrained_checkpoint(args.work / "untrained.pt")
    rows, printed = [], ""
    for minutes in args.minutes:
        frames = int(minutes * 60 * FPS)
        video = args.work / f"long_{frames}.avi"
        if not video.exists():
            write_video(video, frames)
        seconds, peak_mb, printed = measure(video, checkpoint, args.work)
        rows.append(
            f"| {SIZE[0]}x{SIZE[1]} MJPG at {FPS} fps, {minutes:g} min | {frames} | {seconds:.0f} s "
            f"| {frames / seconds:.1f} frames/s | {peak_mb:.0f} MB |"
        )
    lines = [
        "# `molkit predict` on a long recording",
        "",
        f"Written by `benchmarks/bench_predict.py --minutes {' '.join(f'{m:g}' for m in args.minutes)}` on "
        f"{platform.node()} ({os.cpu_count()} CPUs visible, `{platform.processor() or platform.machine()}`), "
        f"torch {torch.__version__}, {time.strftime('%Y-%m-%d')}.",
        "",
        "| video | frames | wall time | throughput | peak memory (whole command) |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "What `molkit predict` printed (the last row):",
        "",
        "```",
        printed.strip(),
        "```",
    ]
    if args.loso:
        table, _ = loso_calibration(args.loso)
        lines += ["", f"## ECE before and after temperature scaling: `{args.loso}`", "", "```"]
        lines += [
            table.round(3).to_string(index=False) if len(table) else "no fold holds a temperature",
            "```",
        ]
    atomic_write_text(REPORT, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
