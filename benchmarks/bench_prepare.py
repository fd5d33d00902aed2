"""Preparation throughput: molkit's cache against a serial re-implementation of the released
procedure, on the same synthetic data in one run (``--part released``); and the cost of a real
frame beside a synthetic one, the projections for CASME II, SAMM, SMIC-HS and the MEGC 2019
composite, and one process of OpenCV's threads against two worker processes of one thread
(``--part real``).

- molkit: dlib per frame, alignment, TV-L1 once per consecutive clip-frame pair on the 144 px
  aligned frames (crops cut it later), one process per core, one file per video.
- released (re-implemented, no cache): per clip, dlib per frame and alignment; then TV-L1 on
  every 128 px crop: 5 random training crops, and a second pass for the test crop (8, 8) that the
  fixed release needs (the release's own test files reused the training crops). Timed twice:
  serial (one OpenCV thread) and as the release runs (OpenCV's default threads).

Also measured: the end-point error between cropping the 144 px flow and recomputing TV-L1 on the
crop, and both against the synthetic true flow.

Real frames: the real face recordings of ``../shared/data/real_faces`` (read in place), resized to
CASME II's and SMIC-HS's 640x480 and to SAMM's 2040x1088 and laid out like CASME II; the frames
each dataset's clips use come from the owners' sheets in ``../shared/data/real_sheets`` (onset to
offset). Each part rewrites its own sections of reports/benchmarks/prepare.md.

    .venv/bin/python benchmarks/bench_prepare.py --part released [--subjects 3 --samples 2 --frames 32]
    .venv/bin/python benchmarks/bench_prepare.py --part real [--videos 2 --frames 16 --compare-frames 48]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import dlib
import numpy as np
import pandas as pd
import torch

from molkit.data import ClipDataset, cache, composite_list, prepare, read_dataset
from molkit.data.alignment import alignment_matrix, warp
from molkit.data.clips import CLIP_LENGTH, CROP_SIZE, TEST_OFFSET, stride
from molkit.data.face import predictor_path
from molkit.data.tvl1 import end_point_error, tvl1
from molkit.executors import set_threads
from molkit.synthetic import generate

REPORT = Path(__file__).resolve().parents[1] / "reports" / "benchmarks" / "prepare.md"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CASME2_VIDEOS, CASME2_FRAMES = 255, 67
REAL_PART = "## Real frames"  # the sections --part real writes start here


def released_video(frame_paths: list[str], detector, predictor, rng: random.Random) -> int:
    """The released procedure on one video (train pass with 5 random crops, then test pass);
    returns the number of frames it prepared."""
    step = stride(len(frame_paths))
    for crops in (5, 0):  # 0: the test pass
        for clip in range(step):
            frames = []
            for k in range(CLIP_LENGTH):
                path = frame_paths[clip + k * step]
                image, rgb = cv2.imread(path), dlib.load_rgb_image(path)  # the release reads both
                shape = predictor(rgb, detector(rgb, 1)[0])
                marks = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
                frames.append(warp(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), alignment_matrix(marks)))
            offsets = [(rng.randint(0, 16), rng.randint(0, 16)) for _ in range(crops)] or [TEST_OFFSET]
            for y, x in offsets:
                cut = [f[y : y + CROP_SIZE, x : x + CROP_SIZE] for f in frames]
                [tvl1(cut[k], cut[k + 1]) for k in range(CLIP_LENGTH - 1)]
    return CLIP_LENGTH * step


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished child processes."""
    return sum(
        resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )


def time_released(paths: list[list[str]], threads: int) -> tuple[float, float, int]:
    """(wall s, CPU s, frames) of the released procedure with ``threads`` OpenCV threads."""
    detector, predictor = dlib.get_frontal_face_detector(), dlib.shape_predictor(str(predictor_path()))
    rng, default = random.Random(0), cv2.getNumThreads()
    cv2.setNumThreads(threads)
    try:
        start, cpu = time.perf_counter(), cpu_seconds()
        frames = sum(released_video(p, detector, predictor, rng) for p in paths)
        return time.perf_counter() - start, cpu_seconds() - cpu, frames
    finally:
        cv2.setNumThreads(default)


def time_molkit(root: Path, workers: int) -> tuple[float, float, int, Path]:
    """(wall s, CPU s, frames, cache folder) of molkit's prepare into a fresh cache."""
    cache_dir = Path(tempfile.mkdtemp(prefix="bench_cache_"))
    start, cpu = time.perf_counter(), cpu_seconds()
    report = prepare("casme2", root, cache_dir, workers=workers, progress=False)
    return time.perf_counter() - start, cpu_seconds() - cpu, report.frames_processed, cache_dir


def crop_flow_errors(cache_dir: Path) -> dict[str, float]:
    """EPE of cropped-144 flow vs TV-L1 recomputed on the crop, both vs the true flow (train crops)."""
    dataset = ClipDataset(cache_dir, train=True, crops=2, seed=1, with_truth=True)
    errors: dict[str, list[float]] = {
        "cropped_vs_recomputed": [],
        "interior_cropped_vs_recomputed": [],
        "cropped_vs_truth": [],
        "recomputed_vs_truth": [],
        "zero_vs_truth": [],
    }
    for index in range(len(dataset)):
        item, row = dataset[index], dataset.table.iloc[index]
        data = cache.load_tensors(cache_dir / row.file)
        frames = data["frames"][[row.clip_index + k * row.stride for k in range(CLIP_LENGTH)]].numpy()
        cut = frames[:, row.offset_y : row.offset_y + CROP_SIZE, row.offset_x : row.offset_x + CROP_SIZE]
        fresh = np.stack([tvl1(cut[k], cut[k + 1]) for k in range(CLIP_LENGTH - 1)])
        ours = item["flow"].permute(0, 2, 3, 1).numpy()
        truth = item["true_flow"].permute(0, 2, 3, 1).numpy()
        errors["cropped_vs_recomputed"].append(end_point_error(ours, fresh))
        errors["interior_cropped_vs_recomputed"].append(
            end_point_error(ours[:, 8:-8, 8:-8], fresh[:, 8:-8, 8:-8])
        )
        errors["cropped_vs_truth"].append(end_point_error(ours, truth))
        errors["recomputed_vs_truth"].append(end_point_error(fresh, truth))
        errors["zero_vs_truth"].append(end_point_error(np.zeros_like(truth), truth))
    test = ClipDataset(cache_dir, train=False, with_truth=True)
    items = [test[i] for i in range(len(test))]
    errors["test_crop_tvl1_vs_truth"] = [
        end_point_error(i["flow"].permute(0, 2, 3, 1).numpy(), i["true_flow"].permute(0, 2, 3, 1).numpy())
        for i in items
    ]
    errors["test_crop_zero_vs_truth"] = [float(i["true_flow"].norm(dim=1).mean()) for i in items]
    return {name: float(np.mean(values)) for name, values in errors.items()}


def released_part(args: argparse.Namespace) -> str:
    """The released procedure against molkit's, on synthetic frames (the report's first part)."""
    root = generate(
        Path(tempfile.mkdtemp(prefix="bench_synth_")) / "synthetic",
        subjects=args.subjects,
        samples_per_subject=args.samples,
        frames=args.frames,
        seed=0,
    )
    frames_only = root.with_name("frames_only")  # what real data gives: the frames, no ground truth
    shutil.copytree(root, frames_only, ignore=shutil.ignore_patterns("ground_truth"))
    paths = read_dataset("casme2", frames_only).table.frame_paths.tolist()
    default_threads = cv2.getNumThreads()
    sides = {
        f"molkit prepare ({args.workers} processes, TV-L1 once per pair on 144 px)": None,
        "released procedure, serial (one process, one OpenCV thread)": 1,
        f"released procedure as it runs (one process, OpenCV's {default_threads} threads)": default_threads,
    }
    wall: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    load_before, frames = os.getloadavg(), 0
    for repeat in range(args.repeats):  # interleaved, so that every side sees the same machine load
        for name, threads in sides.items():
            if threads is None:
                seconds, used, frames, _ = time_molkit(frames_only, args.workers)
            else:
                seconds, used, released_frames = time_released(paths, threads)
                assert released_frames == frames, (released_frames, frames)
            wall[name].append(seconds)
            cpu[name].append(used)
            print(f"repeat {repeat}: {name}: {seconds:.1f} s ({used:.1f} CPU s), {frames} frames")
    load_after = os.getloadavg()
    ours, serial, as_run = list(sides)
    fps = {name: frames / statistics.median(times) for name, times in wall.items()}
    cpu_ratio = statistics.median(cpu[serial]) / statistics.median(cpu[ours])
    casme_frames = CASME2_VIDEOS * CASME2_FRAMES
    errors = crop_flow_errors(time_molkit(root, args.workers)[3])  # with the synthetic truth
    lines = [
        "# Preparation throughput: molkit vs the released procedure",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_prepare.py --subjects {args.subjects} --samples "
        f"{args.samples} --frames {args.frames} --repeats {args.repeats} --workers {args.workers}`",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}, OpenCV "
        f"{cv2.__version__}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
        "the sides ran interleaved.",
        f"Data: synthetic benchmark, {len(paths)} videos x {args.frames} frames "
        f"({frames} frames used by clips), timed without its ground-truth folder (as real data "
        "comes); molkit's times include starting its worker processes.",
        "",
        "| | median s | frames/s | molkit is |",
        "|---|---|---|---|",
        *[
            f"| {name} | {statistics.median(wall[name]):.1f} | {fps[name]:.2f} | "
            f"{fps[ours] / fps[name]:.1f}x faster |"
            for name in (serial, as_run)
        ],
        f"| {ours} | {statistics.median(wall[ours]):.1f} | {fps[ours]:.2f} | |",
        "",
        "All runs, wall s / CPU s (all threads and processes): "
        + "; ".join(
            f"{name}: {[round(x, 1) for x in wall[name]]} / {[round(x, 1) for x in cpu[name]]}"
            for name in sides
        )
        + ".",
        "",
        f"Target >= 10x against the serial released procedure on 2 cores: "
        f"{'met' if fps[ours] / fps[serial] >= 10 else 'not met'} ({fps[ours] / fps[serial]:.1f}x; "
        f"{fps[ours] / fps[as_run]:.1f}x against the release run as is, whose TV-L1 already uses "
        f"OpenCV's {default_threads} threads). Work ratio (median CPU seconds): the serial released "
        f"procedure spends {cpu_ratio:.1f}x molkit's CPU time for the same frames. TV-L1 dominates "
        "both: the release runs it on 6 crops of 128 px per frame pair (5 train + 1 test), molkit "
        "once on 144 px.",
        "",
        f"CASME II size ({CASME2_VIDEOS} videos x ~{CASME2_FRAMES} frames = {casme_frames} frames; assumes "
        "the cost per frame seen here: TV-L1 on 144/128 px frames dominates and does not depend on the "
        "raw frame size, while dlib on larger raw frames costs more): "
        + ", ".join(f"{name} ~{casme_frames / fps[name] / 60:.0f} min" for name in sides)
        + " on this machine.",
        "",
        "## Cropping the 144 px flow instead of recomputing TV-L1 on each crop",
        "",
        "Mean end-point error (px), training crops of every clip (2 per clip), and the test crop:",
        "",
        "| comparison | EPE px |",
        "|---|---|",
        *[f"| {name.replace('_', ' ')} | {value:.4f} |" for name, value in errors.items()],
    ]
    return "\n".join(lines) + "\n"


def real_videos(root: Path, video: Path, size: tuple[int, int], videos: int, frames: int) -> Path:
    """``videos`` CASME II-like samples of ``frames`` consecutive frames of a real recording,
    resized to ``size`` (one subject each), with a coding sheet; frames read in place."""
    capture = cv2.VideoCapture(str(video))
    rows = []
    for v in range(videos):
        folder = root / f"sub{v + 1:02d}" / "EP01_01"
        folder.mkdir(parents=True)
        for t in range(frames):
            ok, frame = capture.read()
            if not ok:
                raise ValueError(f"{video}: fewer than {videos * frames} frames")
            cv2.imwrite(
                str(folder / f"img{t + 1}.jpg"), cv2.resize(frame, size, interpolation=cv2.INTER_CUBIC)
            )
        rows.append(
            {
                "Subject": f"{v + 1:02d}",
                "Filename": "EP01_01",
                "OnsetFrame": 1,
                "ApexFrame": frames // 2,
                "OffsetFrame": frames,
                "Action Units": "12",
                "Estimated Emotion": "happiness",
            }
        )
    pd.DataFrame(rows).to_excel(root / "CASME2-coding-bench.xlsx", index=False)
    return root


def timed_prepare(root: Path, workers: int, threads: int | None) -> tuple[float, float, int]:
    """(wall s, CPU s of every thread and process, frames) of a fresh preparation; ``threads``:
    this process's OpenCV and torch threads for the run (None: as they are)."""
    before = (cv2.getNumThreads(), torch.get_num_threads())
    if threads:
        set_threads(threads)
    try:
        seconds, used, frames, cache_dir = time_molkit(root, workers)
    finally:
        cv2.setNumThreads(before[0])
        torch.set_num_threads(before[1])
    shutil.rmtree(cache_dir)
    return seconds, used, frames


def clip_frames_per_sample() -> dict[str, list[int]]:
    """Per dataset, the frames each sample's clips use (8 x stride of onset..offset), from the
    owners' sheets: CASME II 2014, SAMM v2, SMIC-E (its OnsetF/OffsetF bound the HS clips); the
    composite's listed samples each at its dataset's mean."""
    sheets = SHARED / "real_sheets"
    casme = pd.read_excel(sheets / "CASME2-coding-20140508.xlsx")
    samm = pd.read_excel(sheets / "SAMM_Micro_FACS_Codes_v2__davidnvq.xlsx", header=13)
    smic = pd.read_excel(sheets / "SMIC-HS-E_annotation.xlsx")
    spans = {
        "casme2": (casme.OnsetFrame, casme.OffsetFrame),
        "samm": (samm["Onset Frame"], samm["Offset Frame"]),
        "smic": (smic.OnsetF, smic.OffsetF),
    }
    used: dict[str, list[int]] = {}
    for name, (onsets, offsets) in spans.items():
        n = pd.to_numeric(offsets, errors="coerce") - pd.to_numeric(onsets, errors="coerce") + 1
        used[name] = [CLIP_LENGTH * stride(int(k)) for k in n.dropna() if k > 0]
    listed = composite_list().dataset.value_counts()  # each listed sample at its dataset's mean
    composite = [round(float(np.mean(used[d]))) for d in listed.index for _ in range(listed[d])]
    return {**used, "composite": composite}


def real_part(args: argparse.Namespace) -> str:
    """Real-frame cost beside synthetic, projections, and one process against two workers."""
    faces = SHARED / "real_faces"
    base = Path(tempfile.mkdtemp(prefix="bench_real_"))
    sets = {
        "synthetic (192x160, the kit's benchmark)": generate(
            base / "synthetic", subjects=args.videos, samples_per_subject=1, frames=args.frames, seed=0
        ),
        "real, 640x480 (CASME II raw, SMIC-HS)": real_videos(
            base / "vga", faces / "carphone_pristine.mp4", (640, 480), args.videos, args.frames
        ),
        "real, 2040x1088 (SAMM)": real_videos(
            base / "samm", faces / "face_noface.mov", (2040, 1088), 1, args.frames
        ),
    }
    shutil.rmtree(sets["synthetic (192x160, the kit's benchmark)"] / "ground_truth")  # as real data comes
    load_before = os.getloadavg()
    cost, counted = {}, {}
    for name, root in sets.items():
        seconds, used, frames = timed_prepare(root, workers=1, threads=1)
        cost[name], counted[name] = used / frames, frames
        print(f"{name}: {frames} frames, {seconds:.1f} s, {used:.1f} CPU s, {cost[name]:.2f} CPU s a frame")
    vga = real_videos(base / "threads", faces / "carphone_pristine.mp4", (640, 480), 2, args.compare_frames)
    default_threads = cv2.getNumThreads()
    ways = {
        f"one process, OpenCV's {default_threads} threads (--workers 1)": (1, None),
        "two worker processes of one thread (--workers 2, the default on 2 cores)": (2, None),
    }
    measured = {way: timed_prepare(vga, *setting) for way, setting in ways.items()}
    load_after = os.getloadavg()
    for way, (seconds, used, frames) in measured.items():
        print(f"{way}: {seconds:.1f} s, {used:.1f} CPU s, {frames} frames")
    samples = clip_frames_per_sample()
    per_frame = {
        "casme2": cost["real, 640x480 (CASME II raw, SMIC-HS)"],
        "smic": cost["real, 640x480 (CASME II raw, SMIC-HS)"],
        "samm": cost["real, 2040x1088 (SAMM)"],
    }
    listed = composite_list().dataset.value_counts()
    composite_cpu = sum(f * per_frame[d] for f, d in zip(samples["composite"], listed.index.repeat(listed)))
    names = {"casme2": "CASME II", "samm": "SAMM", "smic": "SMIC-HS", "composite": "MEGC 2019 composite"}
    cores = os.cpu_count() or 1
    rows = []
    for key, frames in samples.items():
        cpu = composite_cpu if key == "composite" else sum(frames) * per_frame[key]
        rows.append(
            f"| {names[key]} | {len(frames)} | {sum(frames)} | {cpu / 3600:.1f} | {cpu / cores / 3600:.1f} | "
            f"{cpu / 32 / 60:.0f} |"
        )
    (w1, c1, _), (w2, c2, _) = measured.values()
    lines = [
        f"{REAL_PART}: cost per frame, and projections",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_prepare.py --part real --videos {args.videos} "
        f"--frames {args.frames} --compare-frames {args.compare_frames}`",
        f"Machine: {platform.machine()}, {cores} cores, shared with other work: load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (so CPU seconds, not wall time, are the "
        "measure here). Real frames: `../shared/data/real_faces` (carphone, resized to 640x480; the "
        "face_noface recording's face frames, resized to 2040x1088), read in place, laid out like "
        "CASME II; synthetic: the kit's benchmark without its ground truth. Each prepared in this "
        "process, one OpenCV and torch thread, dlib upsampling 1 (the default).",
        "",
        "| frames | frames prepared | CPU s a frame |",
        "|---|---|---|",
        *[f"| {name} | {counted[name]} | {c:.2f} |" for name, c in cost.items()],
        "",
        "Projections at these costs (the frames each sample's clips use, 8 x stride of onset..offset, "
        "from the owners' sheets in `../shared/data/real_sheets`: CASME II 2014, SAMM v2, SMIC-E's "
        "onset/offset for the HS clips; the composite from its official list, each listed sample at its "
        "dataset's mean). CASME II's official Cropped faces are smaller "
        "than 640x480, so cheaper for dlib; TV-L1 runs on 144 px whatever the frame size. Not counted: "
        "each worker's or job's start-up (imports and dlib's model, a few CPU seconds) and queueing.",
        "",
        f"| dataset | samples | frames | CPU hours | hours on {cores} cores | minutes with 32 Slurm jobs at once |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "## One process of OpenCV's threads against two one-thread workers",
        "",
        f"The 640x480 real frames (2 videos x {args.compare_frames} frames), on {cores} cores (local "
        "worker processes already ran one thread before this change; submitit jobs now do too):",
        "",
        "| how | wall s | CPU s |",
        "|---|---|---|",
        *[f"| {way} | {m[0]:.1f} | {m[1]:.1f} |" for way, m in measured.items()],
        "",
        f"Two one-thread workers take {w2 / w1:.2f}x the wall time of one process with "
        f"{default_threads} threads, and {c2 / c1:.2f}x its CPU time (the difference is the workers' "
        "start-up): "
        + (
            "no difference in wall time"
            if abs(w2 / w1 - 1) < 0.05
            else "two workers win"
            if w2 < w1
            else "two workers lose"
        )
        + f" at this load (load average {load_before[0]:.1f} to {load_after[0]:.1f} on {cores} cores: "
        "a machine this busy cannot show a parallel gain, so the wall times say little).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["released", "real"], required=True)
    parser.add_argument("--subjects", type=int, default=3)
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--frames", type=int, default=32, help="frames per video (real: 16)")
    parser.add_argument("--videos", type=int, default=2, help="real frames: videos per frame size")
    parser.add_argument(
        "--compare-frames", type=int, default=48, help="real frames: frames per video, threads comparison"
    )
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    old = REPORT.read_text() if REPORT.is_file() else ""
    released, _, real = old.partition(REAL_PART)
    if args.part == "released":
        released = released_part(args)
        real = REAL_PART + real if real else ""
    else:
        real = real_part(args)
    text = released.rstrip("\n") + "\n\n" + real if real else released
    print(text)
    cache.atomic_write_text(REPORT, text)


if __name__ == "__main__":
    main()
