""" "Outside what this model has seen": a few statistics of a clip's inputs, measured after
preparation, and the range they span over a model's training clips (saved in its checkpoint).

Per clip (8 aligned frames, their aligned and raw dlib landmarks): the face size in the input
(outer eye corners, px), the residual head motion between consecutive frames after alignment
(rigid points: nose bridge and eye corners, aligned px), the energy of the magnified change from
the first frame per facial region (brows, eyes, nose, mouth: landmark boxes on the test crop, on
the clip as the model sees it, times the model's magnification), and the test crop's brightness
and contrast (mean and standard deviation of its grey levels). A clip is outside the training
range where a statistic lies beyond the training clips' 1st-99th percentiles widened by
:data:`TOLERANCE` of their span on each side, on a log scale (the statistics are positive and vary
by factors: a face twice as large, a change ten times stronger); a clip of the training kind
rarely is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import ConcatDataset, Dataset

from molkit.data import cache, clips

RIGID = [27, 28, 29, 30, 36, 39, 42, 45]
REGION_POINTS = {
    "brows": slice(17, 27),
    "eyes": slice(36, 48),
    "nose": slice(27, 36),
    "mouth": slice(48, 68),
}
REGION_MARGIN = 4  # px around a region's landmarks
STATISTICS = ("face_size", "head_motion", "brightness", "contrast", *(f"change_{r}" for r in REGION_POINTS))
UNITS = {"face_size": "px", "head_motion": "px"}
PERCENTILES = (1.0, 99.0)
TOLERANCE = 1.0  # of the 1st-99th percentile span (of the logarithms), on each side
FLOOR = 1e-12  # below it, a statistic counts as this (no change at all)
INPUT_RANGE = "input_range"  # the checkpoint record's key


def clip_statistics(
    frames: np.ndarray, landmarks: np.ndarray, raw_landmarks: np.ndarray, magnification: float = 1.0
) -> dict[str, float]:
    """The statistics of one clip: aligned ``frames`` ``[8, S, S]`` uint8, their ``landmarks``
    ``[8, 68, 2]`` in aligned pixels and ``raw_landmarks`` ``[8, 68, 2]`` in the input's."""
    y, x = clips.TEST_OFFSET
    crop = np.asarray(frames, np.float64)[:, y : y + clips.CROP_SIZE, x : x + clips.CROP_SIZE]
    seen = clips.normalise(torch.from_numpy(crop)).numpy()
    change = magnification * (seen[1:] - seen[:1])
    points = np.asarray(landmarks, np.float64) - [x, y]
    rigid = points[:, RIGID]
    stats = {
        "face_size": float(np.linalg.norm(raw_landmarks[:, 36] - raw_landmarks[:, 45], axis=-1).mean()),
        "head_motion": float(np.linalg.norm(np.diff(rigid, axis=0), axis=-1).mean()),
        "brightness": float(crop.mean()),
        "contrast": float(crop.std()),
    }
    centre = points.mean(0)
    for name, part in REGION_POINTS.items():
        low = np.clip(np.floor(centre[part].min(0)) - REGION_MARGIN, 0, clips.CROP_SIZE - 1).astype(int)
        high = np.clip(np.ceil(centre[part].max(0)) + REGION_MARGIN, 1, clips.CROP_SIZE).astype(int)
        box = change[:, low[1] : max(high[1], low[1] + 1), low[0] : max(high[0], low[0] + 1)]
        stats[f"change_{name}"] = float((box**2).mean())
    return stats


def dataset_statistics(dataset: Dataset, magnification: float = 1.0) -> list[dict[str, float]]:
    """The statistics of every clip of a ClipDataset (or a concatenation of them), once per
    (video, clip) whatever the crops, read from the cache."""
    parts = dataset.datasets if isinstance(dataset, ConcatDataset) else [dataset]
    found = []
    for part in parts:
        for video in part.table.drop_duplicates("video_id").itertuples():
            data = cache.load_tensors(part.cache_dir / video.file)
            for j in range(int(video.stride)):
                at = clips.clip_frames(j, int(video.stride))
                found.append(
                    clip_statistics(
                        data["frames"][at].numpy(),
                        data["landmarks"][at].numpy(),
                        data["raw_landmarks"][at].numpy(),
                        magnification,
                    )
                )
    return found


def dataset_range(dataset: Dataset, magnification: float = 1.0) -> dict[str, Any] | None:
    """:func:`training_range` of a clip dataset's clips, for its checkpoint (None: a dataset that
    does not read a clip cache, or holds no clip)."""
    parts = dataset.datasets if isinstance(dataset, ConcatDataset) else [dataset]
    if not all(hasattr(part, "cache_dir") for part in parts):
        return None
    statistics = dataset_statistics(dataset, magnification)
    return training_range(statistics) if statistics else None


def training_range(statistics: list[dict[str, float]]) -> dict[str, Any]:
    """The plain record a checkpoint keeps: per statistic the training clips' percentiles and
    the accepted ``[low, high]``."""
    record: dict[str, Any] = {
        "clips": len(statistics),
        "percentiles": list(PERCENTILES),
        "tolerance": TOLERANCE,
    }
    for name in STATISTICS:  # every statistic is > 0 and spread multiplicatively: log scale
        values = np.log(np.maximum([s[name] for s in statistics], FLOOR))
        low, high = np.percentile(values, PERCENTILES)
        margin = TOLERANCE * (high - low)
        record[name] = {
            "p_low": float(np.exp(low)),
            "p_high": float(np.exp(high)),
            "low": float(np.exp(low - margin)),
            "high": float(np.exp(high + margin)),
        }
    return record


def outside(stats: dict[str, float], ranges: dict[str, Any]) -> list[str]:
    """What lies outside the training range, one phrase per statistic (empty: nothing), e.g.
    ``"brightness 182 above the training range 60-140 (by 42)"``."""
    found = []
    for name in STATISTICS:
        if name not in ranges:
            continue
        low, high, value = ranges[name]["low"], ranges[name]["high"], stats[name]
        unit = f" {UNITS[name]}" if name in UNITS else ""
        if value > high or value < low:
            side, edge = ("above", high) if value > high else ("below", low)
            found.append(
                f"{name} {value:.3g}{unit} {side} the training range {low:.3g}-{high:.3g} "
                f"(by {abs(value - edge):.3g})"
            )
    return found
