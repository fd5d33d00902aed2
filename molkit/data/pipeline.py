"""Prepare a dataset into the clip cache, each expensive step once per video and frame pair.

Per video: read the frames a clip can use, dlib landmarks on each, align each frame to 144 px
(a frame without a face borrows the nearest frame's alignment and is reported), TV-L1 once per
consecutive clip-frame pair on the aligned 144 px frames (crops cut it later), TV-L1 once from the
coded onset to the apex frame (:mod:`molkit.data.apex`; a video without one is reported and kept),
and for synthetic data the true flow and landmarks carried into the same aligned coordinates. One
``.pt`` file per video, keyed by its frames' bytes, the settings and its onset/apex positions: a
rerun does no work, an interrupted run resumes. Videos spread over processes with a tqdm bar."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from molkit.config import Config
from molkit.data import alignment, apex, cache, clips, face
from molkit.data.datasets import read_dataset
from molkit.data.problems import KEPT, SKIPPED, Problem, summary_lines, write_problems
from molkit.data.tvl1 import tvl1


@dataclasses.dataclass
class PrepSettings(Config):
    """How frames become cached clips (every field is part of the cache key)."""

    align_size: int = alignment.ALIGN_SIZE
    box_enlarge: float = 2.5
    alignment: str = "frame"  # "frame": each frame its own map, as released; "video": one map per video
    detector_upsample: int = 1
    flow_dtype: str = "float16"  # float16 halves the cache; its rounding error is < 1e-3 px here
    version: int = 1  # bump when the computation changes

    def __post_init__(self) -> None:
        alignment.check_alignment(self.alignment, "PrepSettings.alignment")

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

    def summary(self) -> str:
        """What was prepared, and the problems grouped by kind (the full table is
        ``problems.csv``)."""
        lines = [
            f"{self.cache_dir}: {len(self.prepared)} prepared, {len(self.reused)} reused, "
            f"{len(self.skipped)} skipped, {len(self.problems)} problems, "
            f"{self.frames_processed} frames in {self.seconds:.1f} s"
        ]
        return "\n".join(lines + summary_lines(self.problems))


@dataclasses.dataclass
class _Job:
    row: dict[str, Any]
    root: str
    out: str
    key: str
    with_truth: bool


def _truth_module():
    import molkit.synthetic as synthetic

    return synthetic


def _has_truth(root: Path) -> bool:
    if not (root / "ground_truth").is_dir():
        return False
    try:
        return bool(_truth_module().has_ground_truth(root))
    except ImportError:
        return False


class _Skip(Exception):
    """A video that cannot be prepared: ``kind`` and ``where`` go to the problems table."""

    def __init__(self, kind: str, where: str, message: str):
        super().__init__(message)
        self.kind, self.where, self.message = kind, where, message


def _landmarks(paths: list[str], upsample: int, dataset: str, video_id: str) -> tuple[list, list[Problem]]:
    """Each frame with its dlib landmarks (None without a face); frames without a face reported."""
    found, problems = [], []
    for path in paths:
        image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise _Skip("unreadable_frame", path, "cannot be read as an image")
        found.append((image, face.detect_landmarks(image, upsample)))
    missing = [p for p, (_, marks) in zip(paths, found) if marks is None]
    if len(missing) == len(paths):
        raise _Skip(
            "no_face", str(Path(paths[0]).parent), f"dlib finds no face in any of {len(paths)} frames"
        )
    for path in missing:
        problems.append(
            Problem(
                dataset,
                video_id,
                "face_borrowed",
                path,
                "no face found; uses the nearest frame's alignment and landmarks",
                KEPT,
            )
        )
    return found, problems


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


def _compute_video(job: _Job, settings: PrepSettings) -> tuple[str, list[Problem], dict[str, Any]]:
    row = job.row
    step = clips.stride(row["n_frames"])
    used = row["frame_paths"][: clips.CLIP_LENGTH * step]
    images, problems = _landmarks(used, settings.detector_upsample, row["dataset"], row["video_id"])
    raw_marks, matrices = settings.align([marks for _, marks in images])
    frames = np.stack(
        [alignment.warp(image, a, settings.align_size) for (image, _), a in zip(images, matrices)]
    )
    pairs = range(len(used) - step)
    flows = np.stack([tvl1(frames[t], frames[t + step]) for t in pairs])
    flow_dtype = getattr(torch, settings.flow_dtype)
    data: dict[str, Any] = {
        "video_id": row["video_id"],
        "key": job.key,
        "stride": step,
        "frames": torch.from_numpy(frames),
        "flows": torch.from_numpy(flows).permute(0, 3, 1, 2).to(flow_dtype).contiguous(),
        "landmarks": torch.from_numpy(alignment.transform_each(matrices, raw_marks)).float(),
        "raw_landmarks": torch.from_numpy(raw_marks),
        "matrices": torch.from_numpy(matrices),
        "face_found": torch.tensor([marks is not None for _, marks in images]),
        "regions": "",
    }
    positions = apex.onset_apex_positions(row, len(used))
    if not isinstance(positions, str):  # else reported by prepare()
        onset, peak = positions
        data["onset_apex"] = torch.tensor(positions)
        data["apex_flow"] = (
            torch.from_numpy(tvl1(frames[onset], frames[peak])).permute(2, 0, 1).to(flow_dtype).contiguous()
        )
    if job.with_truth:
        data.update(_truth(job, step, matrices, settings))
    cache.save_tensors(job.out, data)
    for stale in cache.stale_files(Path(job.out).parents[1], row["video_id"], job.key):
        stale.unlink(missing_ok=True)
    return "prepared", problems, _meta(data)


def _truth(job: _Job, step: int, matrices: np.ndarray, settings: PrepSettings) -> dict[str, Any]:
    """The synthetic ground truth in the aligned coordinates of each frame."""
    synthetic, root, sample = _truth_module(), Path(job.root), job.row["folder"]
    flows = [
        alignment.carry_flow(
            synthetic.true_flow(root, sample, t, t + step),
            matrices[t],
            matrices[t + step],
            settings.align_size,
        )
        for t in range(len(matrices) - step)
    ]
    marks = np.asarray(synthetic.true_landmarks(root, sample))[: len(matrices)]
    regions = synthetic.sample_truth(root, sample).get("regions", [])
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


def _init_worker() -> None:
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def _run(jobs: list[_Job], settings: PrepSettings, workers: int, progress: bool, desc: str):
    bar = tqdm(total=len(jobs), desc=desc, unit="video", disable=not progress)
    try:
        if workers <= 1:
            for job in jobs:
                yield job, _prepare_video(job, settings)
                bar.update()
            return
        # spawn, not fork: forking a process whose thread pools (OpenMP, OpenCV) are running can hang
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker) as pool:
            futures = {pool.submit(_prepare_video, job, settings): job for job in jobs}
            for future in as_completed(futures):
                yield futures[future], future.result()
                bar.update()
    finally:
        bar.close()


def prepare(
    dataset: str,
    root: str | Path,
    cache_dir: str | Path,
    settings: PrepSettings | None = None,
    workers: int = 0,
    progress: bool = True,
    corrections: str | Path | None = None,
) -> PrepReport:
    """Prepare ``dataset`` at ``root`` into ``cache_dir`` (``workers=0``: one process per core).
    ``dataset="composite"``: the MEGC 2019 composite; ``root`` holds the copies (:func:`read_composite`).

    Writes ``videos/*.pt``, ``videos.csv`` (one row per usable video), ``problems.csv`` (every
    problem found, what was skipped and why) and ``settings.json``."""
    start = time.perf_counter()
    settings = settings or PrepSettings()
    cache_dir = Path(cache_dir)
    manifest = read_dataset(dataset, root, corrections)
    root = manifest.root
    with_truth = _has_truth(root)
    problems = list(manifest.problems)
    skipped = {p.video_id: f"{p.kind}: {p}" for p in problems if p.action == SKIPPED}
    for tmp in (cache_dir / cache.VIDEO_DIR).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)  # left by an interrupted run
    jobs, reused, meta = [], [], {}
    for row in manifest.table.to_dict("records"):
        used = row["frame_paths"][: clips.CLIP_LENGTH * clips.stride(row["n_frames"])]
        positions = apex.onset_apex_positions(row, len(used))
        if isinstance(positions, str):
            problems.append(apex.missing_problem(row, positions, root))
        key = cache.cache_key(
            used,
            settings.to_dict(),
            {"truth": with_truth, "onset_apex": None if isinstance(positions, str) else list(positions)},
        )
        out = cache.video_file(cache_dir, row["video_id"], key)
        if out.is_file():
            reused.append(row["video_id"])
            meta[row["video_id"]] = _meta(cache.load_tensors(out))
        else:
            jobs.append(_Job(row, str(root), str(out), key, with_truth))
        meta.setdefault(row["video_id"], {})["file"] = str(out.relative_to(cache_dir))
    prepared, frames, found_here = [], 0, []
    workers = min(workers or os.cpu_count() or 1, max(len(jobs), 1))
    for job, (status, found, info) in _run(jobs, settings, workers, progress, f"prepare {dataset}"):
        found_here += found
        video_id = job.row["video_id"]
        if status == SKIPPED:
            skipped[video_id] = "; ".join(f"{p.kind}: {p}" for p in found)
            continue
        prepared.append(video_id)
        frames += clips.CLIP_LENGTH * info["stride"]
        meta[video_id].update(info)
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
