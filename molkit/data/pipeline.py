"""Prepare a dataset into the clip cache, each expensive step once per video and frame pair.

Per video: read the frames a clip can use (over the whole video, or with ``PrepSettings.span``
``"onset-apex"`` 8 from the coded onset to the apex), dlib landmarks on each, align each frame to
144 px (a frame without a face borrows the nearest frame's alignment and is reported), TV-L1 once per
consecutive clip-frame pair on the aligned 144 px frames (crops cut it later), TV-L1 once from the
coded onset to the apex frame (:mod:`molkit.data.apex`; a video without one is reported and kept),
and for synthetic data the true flow and landmarks carried into the same aligned coordinates. One
``.pt`` file per video, keyed by its frames' bytes, the settings and its onset/apex positions,
written atomically: a rerun does no work, an interrupted run resumes. Videos spread over local
processes of one thread each, or over a submitit job array (Slurm), through
:mod:`molkit.executors`; the time is projected before the work starts, and a tqdm bar counts
frames."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
import threadpoolctl
import torch
from tqdm.auto import tqdm

from molkit.config import Config
from molkit.data import alignment, apex, cache, clips, face, truth
from molkit.data import tvl1 as flow_solver
from molkit.data.datasets import read_dataset
from molkit.data.problems import KEPT, SKIPPED, Problem, summary_lines, write_problems
from molkit.data.readers.common import frame_number
from molkit.executors import Outcome, check_executor, each_outcome, set_threads

PREP_EXECUTORS = ("local", "slurm", "submitit-local")
JOBS_DIR = "jobs"  # submitit's job files and logs, inside the cache folder
JOB_FAILED = "job_failed"
# Boxes dlib draws without upsampling come in steps (..., 105, 125, 150, 180, ... px): 150 keeps
# the synthetic faces (105-125 px) and faces found only with upsampling as before.
LARGE_FACE = 150
# PrepSettings.span: "video" (as released: clip j takes frames j, j+s, ..., j+7s over the whole
# video) or "onset-apex" (one clip, 8 frames from the coded onset to the apex)
SPANS = ("video", "onset-apex")
# left out of the settings (so of the cache key) at their defaults: caches prepared before these
# fields existed keep their keys
_LEFT_OUT_AT_DEFAULT = ("tvl1_epsilon", "span")


@dataclasses.dataclass
class PrepSettings(Config):
    """How frames become cached clips (every field is part of the cache key)."""

    align_size: int = alignment.ALIGN_SIZE
    box_enlarge: float = 2.5
    alignment: str = "frame"  # "frame": each frame its own map, as released; "video": one map per video
    detector_upsample: int = 1
    # px: a face whose dlib box is at least this wide without upsampling is taken from there
    # (about 4x cheaper on 640x480); smaller faces at ``detector_upsample`` as before; 0: off
    detector_large_face: int = LARGE_FACE
    flow_dtype: str = "float16"  # float16 halves the cache; its rounding error is < 1e-3 px here
    # TV-L1's stopping threshold: OpenCV's default as released; the smoke profile's draft is looser
    # (molkit.data.tvl1). Left out of the cache key at the default, so older caches stay valid.
    tvl1_epsilon: float = flow_solver.EPSILON
    # the frames a video's clips use (SPANS); left out of the cache key at the default, as above
    span: str = "video"
    version: int = 1  # bump when the computation changes

    def __post_init__(self) -> None:
        alignment.check_alignment(self.alignment, "PrepSettings.alignment")
        if self.span not in SPANS:
            raise ValueError(f"PrepSettings.span: unknown {self.span!r}; choose one of {SPANS}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrepSettings:
        """As :meth:`Config.from_dict`; settings recorded (``version`` 1) before
        ``detector_large_face`` existed were prepared with it off, and read so."""
        if data.get("version") == 1 and "detector_large_face" not in data:
            data = {**data, "detector_large_face": 0}
        return super().from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The fields, ``tvl1_epsilon`` and ``span`` only where they are not the released ones
        (the cache key of a released preparation is the same as before they existed)."""
        plain = super().to_dict()
        for field in dataclasses.fields(self):
            if field.name in _LEFT_OUT_AT_DEFAULT and plain[field.name] == field.default:
                del plain[field.name]
        return plain

    def flow(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """TV-L1 from ``first`` to ``second`` as these settings say."""
        return flow_solver.tvl1(first, second, epsilon=self.tvl1_epsilon)

    def pair_flows(self, frames: np.ndarray, step: int = 1) -> torch.Tensor:
        """TV-L1 from each of ``frames`` ``[n, S, S]`` to the one ``step`` later, as the cache holds
        them: ``[n - step, 2, S, S]`` in ``flow_dtype``."""
        flows = np.stack([self.flow(frames[t], frames[t + step]) for t in range(len(frames) - step)])
        return torch.from_numpy(flows).permute(0, 3, 1, 2).to(getattr(torch, self.flow_dtype)).contiguous()

    def landmarks(self, gray: np.ndarray) -> np.ndarray | None:
        """dlib's landmarks of one frame, detected as these settings say."""
        return face.detect_landmarks(gray, self.detector_upsample, large_face=self.detector_large_face)

    def align(self, marks: list[np.ndarray | None]) -> tuple[np.ndarray, np.ndarray]:
        """Landmarks and alignment maps of a video's frames (see :func:`alignment.align_video`)."""
        return alignment.align_video(marks, self.alignment, self.align_size, self.box_enlarge)


@dataclasses.dataclass
class PrepReport:
    """What a :func:`prepare` call did."""

    cache_dir: Path
    prepared: list[str]  # computed by this call
    reused: list[str]  # already in the cache with the same key
    skipped: dict[str, str]  # video_id -> why
    problems: list[Problem]
    frames_processed: int
    seconds: float

    @property
    def usable(self) -> int:
        return len(self.prepared) + len(self.reused)

    @property
    def failed(self) -> list[Problem]:
        """The jobs that died (each names its video and where to read why)."""
        return [p for p in self.problems if p.kind == JOB_FAILED]

    def summary(self) -> str:
        """What was prepared, and the problems grouped by kind (the full table is
        ``problems.csv``)."""
        lines = [
            f"{self.cache_dir}: {len(self.prepared)} prepared, {len(self.reused)} reused, "
            f"{len(self.skipped)} skipped, {len(self.problems)} problems, "
            f"{self.frames_processed} frames in {self.seconds:.1f} s"
        ]
        return "\n".join(lines + summary_lines(self.problems))


PREP_SETTINGS = "prep_settings"  # a checkpoint record's key: PrepSettings as a plain dict


def cache_prep_settings(cache_dir: str | Path) -> PrepSettings | None:
    """The settings a cache was prepared with (its ``settings.json``); None when it has none."""
    path = Path(cache_dir) / cache.SETTINGS_JSON
    return PrepSettings.load(path) if path.is_file() else None


def recorded_prep_settings(record: dict[str, Any]) -> PrepSettings | None:
    """The preparation settings a checkpoint's record carries (None: an older checkpoint)."""
    plain = record.get(PREP_SETTINGS)
    return PrepSettings.from_dict(plain) if plain else None


def read_prep_settings(path: str | Path) -> PrepSettings:
    """PrepSettings from a YAML/JSON file (e.g. a cache's ``settings.json``) or from the record
    of a molkit checkpoint (``.pt``)."""
    path = Path(path)
    if path.suffix != ".pt":
        return PrepSettings.load(path)
    settings = recorded_prep_settings(cache.load_plain(path))
    if settings is None:
        raise ValueError(f"{path}: this checkpoint records no preparation settings")
    return settings


@dataclasses.dataclass(frozen=True)
class _Used:
    """The frames a video's clips use: their positions in its sorted frame list (a frame may come
    twice), their files, the clip stride over them, and where the coded onset and apex are among
    them (or why they are not)."""

    positions: list[int]
    paths: list[str]
    step: int
    onset_apex: tuple[int, int] | str

    def frame_gap(self) -> int:
        """The recorded frames between a clip's consecutive frames (the median difference of
        their file names' numbers): the stride on a copy that holds every frame, more on a twin
        that renders a few of them; the stride where the names carry no increasing number."""
        numbers = [frame_number(Path(p)) for p in self.paths]
        gaps = [b - a for a, b in zip(numbers, numbers[self.step :]) if None not in (a, b) and b > a]
        return int(round(float(np.median(gaps)))) if gaps else self.step


@dataclasses.dataclass
class _Job:
    row: dict[str, Any]
    used: _Used
    root: str
    out: str
    key: str
    with_truth: bool


class _Skip(Exception):
    """A video that cannot be prepared: ``kind`` and ``where`` go to the problems table."""

    def __init__(self, kind: str, where: str, message: str):
        super().__init__(message)
        self.kind, self.where, self.message = kind, where, message


def _landmarks(
    paths: list[str], settings: PrepSettings, dataset: str, video_id: str
) -> tuple[list, list[Problem]]:
    """Each frame with its dlib landmarks (None without a face); frames without a face reported."""
    found = []
    for path in paths:
        image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise _Skip("unreadable_frame", path, "cannot be read as an image")
        found.append((image, settings.landmarks(image)))
    missing = [p for p, (_, marks) in zip(paths, found) if marks is None]
    if len(missing) == len(paths):
        raise _Skip(
            "no_face", str(Path(paths[0]).parent), f"dlib finds no face in any of {len(paths)} frames"
        )
    return found, _borrowed(dataset, video_id, missing)


def _borrowed(dataset: str, video_id: str, paths: list[str]) -> list[Problem]:
    """The frames without a face, each a problem once (reported again when the video is reused)."""
    return [
        Problem(
            dataset,
            video_id,
            "face_borrowed",
            path,
            "no face found; uses the nearest frame's alignment and landmarks",
            KEPT,
        )
        for path in dict.fromkeys(paths)
    ]


def _prepare_video(job: _Job, settings: PrepSettings) -> tuple[str, list[Problem], dict[str, Any]]:
    """Compute and save one video; returns (status, problems, metadata). A video that fails is
    reported (by file where known) and skipped; the others go on."""
    row = job.row
    try:
        return _compute_video(job, settings)
    except _Skip as skip:
        problem = Problem(row["dataset"], row["video_id"], skip.kind, skip.where, skip.message, SKIPPED)
    except (OSError, ValueError, cv2.error) as err:
        problem = Problem(
            row["dataset"],
            row["video_id"],
            "error",
            str(Path(job.root) / row["folder"]),
            f"{type(err).__name__}: {err}",
            SKIPPED,
        )
    return SKIPPED, [problem], {}


def _used_frames(row: dict[str, Any], settings: PrepSettings) -> _Used | str:
    """The frames of a video that its clips use, as ``settings.span`` says (a string: why the
    video has none). ``"video"``: the first ``8 * stride`` frames, clip j at j, j+s, ..., j+7s.
    ``"onset-apex"``: one clip (stride 1) of 8 positions evenly spaced from the coded onset to the
    apex in the sorted frame list, rounded to the nearest (a real copy holds every frame, so
    evenly in time; a twin only its rendered ones); with fewer than 8 frames from onset to apex,
    some come twice."""
    if settings.span == "video":
        step = clips.stride(row["n_frames"])
        positions = list(range(clips.CLIP_LENGTH * step))
        onset_apex = apex.onset_apex_positions(row, len(positions))
    else:
        span = apex.onset_apex_positions(row)
        if isinstance(span, str):
            return span
        step, onset_apex = 1, (0, clips.CLIP_LENGTH - 1)
        positions = np.rint(np.linspace(*span, clips.CLIP_LENGTH)).astype(int).tolist()
    return _Used(positions, [row["frame_paths"][p] for p in positions], step, onset_apex)


def _dead(job: _Job, outcome: Outcome) -> Problem:
    """A job that died, as a problem naming it (and its log, on submitit)."""
    message = str(outcome.error).strip().splitlines()
    return Problem(
        job.row["dataset"],
        job.row["video_id"],
        JOB_FAILED,
        outcome.where,
        f"{type(outcome.error).__name__}: {message[0] if message else ''} (the rest of the cache stays; "
        "rerun to prepare what is missing)",
        SKIPPED,
    )


def _compute_video(job: _Job, settings: PrepSettings) -> tuple[str, list[Problem], dict[str, Any]]:
    row, used = job.row, job.used
    images, problems = _landmarks(used.paths, settings, row["dataset"], row["video_id"])
    raw_marks, matrices = settings.align([marks for _, marks in images])
    frames = np.stack(
        [alignment.warp(image, a, settings.align_size) for (image, _), a in zip(images, matrices)]
    )
    flow_dtype = getattr(torch, settings.flow_dtype)
    data: dict[str, Any] = {
        "video_id": row["video_id"],
        "key": job.key,
        "stride": used.step,  # over the cached frames: clip j is frames j, j+s, ..., j+7s of them
        "frames": torch.from_numpy(frames),
        "flows": settings.pair_flows(frames, used.step),
        "landmarks": torch.from_numpy(alignment.transform_each(matrices, raw_marks)).float(),
        "raw_landmarks": torch.from_numpy(raw_marks),
        "matrices": torch.from_numpy(matrices),
        "face_found": torch.tensor([marks is not None for _, marks in images]),
        "regions": "",
    }
    if not isinstance(used.onset_apex, str):  # else reported by prepare()
        onset, peak = used.onset_apex
        data["onset_apex"] = torch.tensor(used.onset_apex)
        data["apex_flow"] = (
            torch.from_numpy(settings.flow(frames[onset], frames[peak]))
            .permute(2, 0, 1)
            .to(flow_dtype)
            .contiguous()
        )
    if job.with_truth:
        data.update(_truth(job, matrices, settings))
    cache.save_tensors(job.out, data)
    for stale in cache.stale_files(Path(job.out).parents[1], row["video_id"], job.key):
        stale.unlink(missing_ok=True)
    return "prepared", problems, _meta(data)


def _truth(job: _Job, matrices: np.ndarray, settings: PrepSettings) -> dict[str, Any]:
    """The synthetic ground truth of the used frames (by their positions in the sample) in the
    aligned coordinates of each (one BLAS thread: the motion's matrix products are small, and
    their results the same with any number)."""
    root, sample = Path(job.root), job.row["folder"]
    positions, step = job.used.positions, job.used.step
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        flows = [
            alignment.carry_flow(
                lambda points, i=i, j=j: truth.true_flow(root, sample, i, j, points=points),
                matrices[t],
                matrices[t + step],
                settings.align_size,
            )
            for t, (i, j) in enumerate(zip(positions, positions[step:]))
        ]
    marks = np.asarray(truth.true_landmarks(root, sample))[positions]
    regions = truth.sample_truth(root, sample).get("regions", [])
    return {
        "true_flow": torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2).contiguous(),
        "true_landmarks": torch.from_numpy(alignment.transform_each(matrices, marks)).float(),
        "regions": ";".join(regions),
    }


def _meta(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "stride": int(data["stride"]),
        "n_clips": int(data["stride"]),
        "regions": data["regions"],
        "borrowed": int((~data["face_found"]).sum()),
        "has_truth": "true_flow" in data,
        "apex_flow": "apex_flow" in data,
    }


def _run(jobs: list[_Job], settings: PrepSettings, executor: str, **where: Any) -> Iterator[Outcome]:
    """Each job's outcome as it ends: ``local`` runs here (one worker, on this process's threads)
    or in worker processes of one thread each; ``slurm`` and ``submitit-local`` as a submitit job
    array, one job a video. The cache's bytes are the same either way: dlib runs on one thread,
    and OpenCV's TV-L1 and warps give the same bits on any number (1, 2 and 4 compared)."""
    tasks = [(job, settings) for job in jobs]
    if executor == "local":
        executor = "processes" if where["workers"] > 1 else "inprocess"
    threads = None if executor == "inprocess" else 1
    return each_outcome(_prepare_video, tasks, executor=executor, threads=threads, **where)


def _measure(jobs: list[_Job], settings: PrepSettings, *, one_thread: bool) -> float | None:
    """Seconds per frame from a short measurement on the first video that has faces: dlib on
    three frames, TV-L1 on two pairs (one thread when the workers have one); None when none of
    the first three videos can be measured."""
    before = (cv2.getNumThreads(), torch.get_num_threads())
    if one_thread:
        set_threads(1)
    try:
        for job in jobs[:3]:
            step = max(1, clips.stride(job.row["n_frames"]))
            paths = job.row["frame_paths"][: 3 * step : step]
            start = time.perf_counter()
            try:
                images, _ = _landmarks(paths, settings, "", "")
            except _Skip:
                continue
            found = time.perf_counter()
            _, matrices = settings.align([marks for _, marks in images])
            frames = [
                alignment.warp(image, a, settings.align_size) for (image, _), a in zip(images, matrices)
            ]
            for first, second in zip(frames, frames[1:]):
                settings.flow(first, second)
            flows = time.perf_counter()
            return (found - start) / len(paths) + (flows - found) / max(1, len(paths) - 1)
        return None
    finally:
        cv2.setNumThreads(before[0])
        torch.set_num_threads(before[1])


def _projection(jobs: list[_Job], frames: int, per_frame: float | None, parallel: int) -> str:
    """The line said before the work starts: frames to process and the projected time."""
    head = f"{len(jobs)} videos to prepare, {frames} frames"
    if per_frame is None:
        return f"{head} (no projection: no face in the first videos)"
    total = frames * per_frame
    return (
        f"{head}; {per_frame:.2f} s a frame measured on the first video: projected "
        f"{_duration(total / parallel)} on {parallel} worker{'s' if parallel > 1 else ''} "
        f"({_duration(total)} of CPU)"
    )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def prepare(
    dataset: str,
    root: str | Path,
    cache_dir: str | Path,
    settings: PrepSettings | None = None,
    workers: int = 0,
    *,
    progress: bool = True,
    corrections: str | Path | None = None,
    executor: str = "local",
    slurm: dict[str, Any] | None = None,
) -> PrepReport:
    """Prepare ``dataset`` at ``root`` into ``cache_dir``.
    ``dataset="composite"``: the MEGC 2019 composite; ``root`` holds the copies (:func:`read_composite`).

    ``executor``: ``local`` (``workers`` processes of one thread each, 0: one per core; 1: this
    process) or a submitit job array, one job a video: ``slurm`` (``slurm`` holds submitit's
    parameters, e.g. ``slurm_partition``, ``timeout_min``; logs in ``cache_dir/jobs``) or
    ``submitit-local``. A job that dies is a ``job_failed`` problem naming its log; the rest of the
    cache stays, and a rerun prepares only what is missing. ``progress``: before the work, a line
    with the frames to process and the time projected from a short measurement on the first
    video, then a progress bar counting frames.

    Writes ``videos/*.pt``, ``videos.csv`` (one row per usable video), ``problems.csv`` (every
    problem found, what was skipped and why) and ``settings.json``."""
    if executor not in PREP_EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {PREP_EXECUTORS}")
    if executor != "local":
        check_executor(executor)
    start = time.perf_counter()
    settings = settings or PrepSettings()
    cache_dir = Path(cache_dir)
    manifest = read_dataset(dataset, root, corrections)
    root = manifest.root
    with_truth = truth.has_ground_truth(root)
    problems = list(manifest.problems)
    skipped = {p.video_id: f"{p.kind}: {p}" for p in problems if p.action == SKIPPED}
    for tmp in (cache_dir / cache.VIDEO_DIR).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)  # left by an interrupted run
    jobs, reused, meta, found_here = [], [], {}, []
    for row in manifest.table.to_dict("records"):
        used = _used_frames(row, settings)
        if isinstance(used, str):
            problems.append(apex.missing_problem(row, used, root, clip=True))
            skipped[row["video_id"]] = f"{problems[-1].kind}: {problems[-1]}"
            continue
        positions = used.onset_apex
        if isinstance(positions, str):
            problems.append(apex.missing_problem(row, positions, root))
        key = cache.cache_key(
            used.paths,
            settings.to_dict(),
            {"truth": with_truth, "onset_apex": None if isinstance(positions, str) else list(positions)},
        )
        out = cache.video_file(cache_dir, row["video_id"], key)
        meta[row["video_id"]] = {  # the same columns either way
            "file": str(out.relative_to(cache_dir)),
            "frame_gap": used.frame_gap(),
        }
        if out.is_file():
            reused.append(row["video_id"])
            data = cache.load_tensors(out)
            meta[row["video_id"]].update(_meta(data))
            faceless = [p for p, found in zip(used.paths, data["face_found"].tolist()) if not found]
            found_here += _borrowed(row["dataset"], row["video_id"], faceless)
        else:
            jobs.append(_Job(row, used, str(root), str(out), key, with_truth))
    workers = min(workers or os.cpu_count() or 1, max(len(jobs), 1))
    parallel = {
        "local": workers,
        "submitit-local": min(len(jobs), os.cpu_count() or 1),
        "slurm": min(len(jobs), (slurm or {}).get("slurm_array_parallelism", len(jobs))),
    }[executor]
    sizes = [len(job.used.paths) for job in jobs]
    if progress and jobs:
        per_frame = _measure(jobs, settings, one_thread=executor != "local" or workers > 1)
        print(f"prepare {dataset}: {_projection(jobs, sum(sizes), per_frame, max(1, parallel))}", flush=True)
    prepared, frames = [], 0
    bar = tqdm(total=sum(sizes), desc=f"prepare {dataset}", unit="frame", disable=not progress)
    outcomes = _run(jobs, settings, executor, workers=workers, slurm=slurm, folder=cache_dir / JOBS_DIR)
    try:
        for outcome in outcomes:
            job = jobs[outcome.index]
            bar.update(sizes[outcome.index])
            if outcome.error is not None:
                status, found, info = SKIPPED, [_dead(job, outcome)], {}
            else:
                status, found, info = outcome.value
            found_here += found
            video_id = job.row["video_id"]
            if status == SKIPPED:
                skipped[video_id] = "; ".join(f"{p.kind}: {p}" for p in found)
                continue
            prepared.append(video_id)
            frames += sizes[outcome.index]
            meta[video_id].update(info)
    finally:
        bar.close()
    problems += sorted(found_here, key=lambda p: (p.video_id, p.where))  # not in completion order
    usable = manifest.table[manifest.table.video_id.isin(prepared + reused)].drop(columns="frame_paths")
    extra = pd.DataFrame([meta[v] for v in usable.video_id], index=usable.index)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache.atomic_write_text(
        cache_dir / cache.VIDEOS_CSV, pd.concat([usable, extra], axis=1).to_csv(index=False)
    )
    cache.atomic_write_text(cache_dir / cache.SETTINGS_JSON, settings.to_json())
    write_problems(problems, cache_dir / cache.PROBLEMS_CSV)
    return PrepReport(
        cache_dir, sorted(prepared), sorted(reused), skipped, problems, frames, time.perf_counter() - start
    )
