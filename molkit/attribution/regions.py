"""Facial regions as masks on the crop, drawn from dlib's 68 landmarks of every frame.

The regions are disjoint: where two polygons overlap, the one earlier in :data:`PRECEDENCE`
owns the pixel (small, specific regions such as the lip corners win over large ones such as the
cheeks). "left" is the image's left (dlib points 17..21 and 36..41). Distances scale with the
inter-ocular distance ``d`` and "up" is perpendicular to the line through the eye centres, so the
masks follow the face when it moves, turns or scales.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from molkit.synthetic.action_units import REGIONS  # the ground truth's vocabulary

PRECEDENCE: tuple[str, ...] = (
    "lip_corners",
    "mouth",
    "left_eye",
    "right_eye",
    "left_brow",
    "right_brow",
    "glabella",
    "nose",
    "left_cheek",
    "right_cheek",
    "chin",
)
_SHIFT = 4  # fixed-point bits for sub-pixel polygon vertices


def _polygons(p: np.ndarray) -> dict[str, list[np.ndarray]]:
    """Region outlines (lists of polygons, pixel coordinates) from one frame's 68 points."""
    left_eye, right_eye = p[36:42].mean(0), p[42:48].mean(0)
    d = float(np.linalg.norm(right_eye - left_eye)) or 1.0
    across = (right_eye - left_eye) / d
    up = np.array([across[1], -across[0]])  # image y points down

    def band(points: np.ndarray, above: float, below: float) -> np.ndarray:
        return np.concatenate([points + above * d * up, points[::-1] - below * d * up])

    def grown(points: np.ndarray, factor: float) -> np.ndarray:
        centre = points.mean(0)
        return centre + factor * (points - centre)

    def disc(centre: np.ndarray, radius: float, n: int = 16) -> np.ndarray:
        angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
        return centre + radius * np.stack([np.cos(angle), np.sin(angle)], 1)

    nose_side = 0.1 * d * across
    return {
        "left_brow": [band(p[17:22], 0.25, 0.1)],
        "right_brow": [band(p[22:27], 0.25, 0.1)],
        "glabella": [np.stack([p[21] + 0.25 * d * up, p[22] + 0.25 * d * up, p[22], p[27], p[21]])],
        "left_eye": [grown(p[36:42], 1.6)],
        "right_eye": [grown(p[42:48], 1.6)],
        "nose": [
            np.stack(
                [
                    p[27] - nose_side,
                    p[27] + nose_side,
                    p[35] + nose_side,
                    p[34],
                    p[33],
                    p[32],
                    p[31] - nose_side,
                ]
            )
        ],
        "left_cheek": [p[[1, 2, 3, 4, 48, 31, 39, 40, 41, 36]]],
        "right_cheek": [p[[15, 14, 13, 12, 54, 35, 42, 47, 46, 45]]],
        "lip_corners": [disc(p[48], 0.18 * d), disc(p[54], 0.18 * d)],
        "mouth": [grown(p[48:60], 1.1)],
        "chin": [p[[5, 6, 7, 8, 9, 10, 11, 54, 55, 56, 57, 58, 59, 48]]],
    }


def _check(landmarks: np.ndarray) -> np.ndarray:
    if landmarks.shape[-2:] != (68, 2):
        raise ValueError(f"landmarks must be [..., 68, 2] (dlib order, x y), got {landmarks.shape}")
    if not np.isfinite(landmarks).all():
        raise ValueError("landmarks contain NaN or infinite values")
    return landmarks


def region_index(landmarks: torch.Tensor | np.ndarray, size: int = 128) -> torch.Tensor:
    """Integer region map ``[..., size, size]`` for landmarks ``[..., 68, 2]``.

    0 is outside every region, ``i + 1`` is ``REGIONS[i]``.
    """
    points = _check(np.asarray(torch.as_tensor(landmarks).detach().cpu(), dtype=np.float64))
    lead = points.shape[:-2]
    flat = points.reshape(-1, 68, 2)
    maps = np.zeros((len(flat), size, size), np.uint8)
    for frame, p in zip(maps, flat):
        polygons = _polygons(p)
        for name in reversed(PRECEDENCE):  # the first in precedence is painted last and wins
            fixed = [np.round(poly * (1 << _SHIFT)).astype(np.int32) for poly in polygons[name]]
            cv2.fillPoly(frame, fixed, REGIONS.index(name) + 1, cv2.LINE_8, _SHIFT)
    return torch.from_numpy(maps.astype(np.int64)).reshape(*lead, size, size)


def region_masks(landmarks: torch.Tensor | np.ndarray, size: int = 128) -> dict[str, torch.Tensor]:
    """Boolean mask ``[..., size, size]`` of every region, in :data:`REGIONS` order."""
    index = region_index(landmarks, size)
    return {name: index == i + 1 for i, name in enumerate(REGIONS)}
