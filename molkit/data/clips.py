"""Clip sampling and crops as released: stride s = n // 8, clip j takes frames j, j+s, ..., j+7s;
5 random 128 px training crops of the 144 px clip (one offset per crop for all its frames, up to
8 px either side of the test crop's by default) and a fixed test crop at (8, 8). Intensities:
minus the mean, divided by the max (per clip)."""

from __future__ import annotations

import zlib

import numpy as np
import torch

CLIP_LENGTH = 8
CROP_SIZE = 128
TEST_OFFSET = (8, 8)


def stride(n_frames: int) -> int:
    """Stride between the frames of a clip; 0 when the video is shorter than a clip."""
    return n_frames // CLIP_LENGTH


def clip_frames(clip: int, step: int) -> list[int]:
    """Frame positions of clip ``clip`` of a video with stride ``step``."""
    return [clip + k * step for k in range(CLIP_LENGTH)]


def train_offset(seed: int, video_id: str, clip: int, crop: int, jitter: int = 16) -> tuple[int, int]:
    """A random (y, x) crop offset within ``jitter // 2`` px of the test crop's, the same for the
    same arguments (the released ``jitter`` 16 spans the whole 144 px clip: 0..16)."""
    if not 0 <= jitter <= 2 * TEST_OFFSET[0] or jitter % 2:
        raise ValueError(
            f"crop jitter must be an even number of px from 0 to {2 * TEST_OFFSET[0]}, got {jitter}"
        )
    rng = np.random.default_rng([seed, zlib.crc32(video_id.encode()), clip, crop])
    y, x = rng.integers(0, jitter + 1, size=2) + TEST_OFFSET[0] - jitter // 2
    return int(y), int(x)


def crop(tensor: torch.Tensor, offset: tuple[int, int], size: int = CROP_SIZE) -> torch.Tensor:
    """Crop the last two axes at ``offset`` (y, x)."""
    y, x = offset
    return tensor[..., y : y + size, x : x + size]


def normalise(clip: torch.Tensor) -> torch.Tensor:
    """Minus the mean, divided by the max (left as is when the max is not positive)."""
    clip = clip - clip.mean()
    peak = clip.max()
    return clip / peak if peak > 0 else clip
