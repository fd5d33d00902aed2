"""Eye-based face alignment as released: rotate the eyes level, box the rotated eye centres, nose
tip and mouth corners, enlarge 2.5x, scale to a square (144 px), linear warp with grey 128 borders.

Two ways to apply it to a video (:data:`ALIGNMENTS`): ``"frame"`` (released) aligns every frame
with its own landmarks, so dlib's frame-to-frame jitter moves the whole face between frames;
``"video"`` aligns every frame with one map, from the median landmarks of the video, so only the
face's own motion remains between frames."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

LEFT_EYE, RIGHT_EYE = slice(36, 42), slice(42, 48)
NOSE_TIP, MOUTH_LEFT, MOUTH_RIGHT = 30, 48, 54
ALIGN_SIZE = 144
BORDER = 128
ALIGNMENTS = ("frame", "video")


def alignment_matrix(landmarks: np.ndarray, size: int = ALIGN_SIZE, enlarge: float = 2.5) -> np.ndarray:
    """The 2x3 affine map from raw image pixels to the aligned ``size`` x ``size`` face."""
    left, right = landmarks[LEFT_EYE].mean(0), landmarks[RIGHT_EYE].mean(0)
    dx, dy = right - left
    length = float(np.hypot(dx, dy))
    cos, sin = dx / length, dy / length
    rotation = np.array([[cos, sin], [-sin, cos]])
    keys = np.stack([left, right, landmarks[NOSE_TIP], landmarks[MOUTH_LEFT], landmarks[MOUTH_RIGHT]])
    rotated = keys @ rotation.T
    low, high = rotated.min(0), rotated.max(0)
    centre = (low + high) / 2
    half = 0.5 * enlarge * float((high - low).max())
    scale = (size - 1) / 2.0 / half
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = scale * (half - centre)
    return matrix


def warp(image: np.ndarray, matrix: np.ndarray, size: int = ALIGN_SIZE) -> np.ndarray:
    """The aligned image (linear interpolation, grey borders)."""
    return cv2.warpAffine(
        image,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=BORDER,
    )


def transform_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine map to ``[..., 2]`` points."""
    return points @ matrix[:, :2].T + matrix[:, 2]


def transform_each(matrices: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply map ``matrices[i]`` ``[n, 2, 3]`` to ``points[i]`` ``[n, k, 2]``."""
    return np.stack([transform_points(m, p) for m, p in zip(matrices, points)])


def invert(matrix: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(matrix)


def check_alignment(mode: str, name: str = "alignment") -> None:
    """Refuse a mode that is not one of :data:`ALIGNMENTS` (``name``: what the message calls it)."""
    if mode not in ALIGNMENTS:
        raise ValueError(f"{name} must be one of {ALIGNMENTS}, not {mode!r}")


def align_video(
    marks: list[np.ndarray | None], mode: str = "frame", size: int = ALIGN_SIZE, enlarge: float = 2.5
) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks ``[n, 68, 2]`` and alignment maps ``[n, 2, 3]`` of a video's frames from dlib's
    landmarks per frame (None: no face; that frame borrows the nearest frame's landmarks).
    ``mode``: one of :data:`ALIGNMENTS`. Needs a face in at least one frame."""
    check_alignment(mode)
    found = [m is not None for m in marks]
    raw = np.stack([marks[s] for s in nearest_available(found)]).astype(np.float64)
    if mode == "video":
        reference = np.median(np.stack([m for m in marks if m is not None]), axis=0)
        return raw, np.repeat(alignment_matrix(reference, size, enlarge)[None], len(marks), axis=0)
    return raw, np.stack([alignment_matrix(m, size, enlarge) for m in raw])


def nearest_available(found: list[bool]) -> list[int]:
    """For every frame, the index of the nearest frame with a face (itself when it has one;
    the earlier one on ties). Needs at least one True."""
    have = np.flatnonzero(found)
    index = np.arange(len(found))
    nearest = np.abs(index[:, None] - have[None, :]).argmin(1)
    return have[nearest].tolist()


def carry_flow(
    flow: np.ndarray | Callable[[np.ndarray], np.ndarray],
    matrix_i: np.ndarray,
    matrix_j: np.ndarray,
    size: int = ALIGN_SIZE,
) -> np.ndarray:
    """A raw-frame flow (frame i -> j) seen in aligned coordinates: aligned pixel y of frame i sits
    at raw x = A_i^-1 y, moves to x + f(x), and lands at A_j (x + f(x)). ``flow`` is the field
    ``[H, W, 2]`` (read bilinearly at x) or a function giving f at raw points ``[N, 2]`` (exact).
    Returns ``[size, size, 2]`` float32."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    grid = np.stack([xs, ys], -1)
    raw = transform_points(invert(matrix_i), grid)
    if callable(flow):
        moved = flow(raw.reshape(-1, 2)).reshape(raw.shape)
    else:
        raw = raw.astype(np.float32)
        moved = cv2.remap(
            flow.astype(np.float32),
            raw[..., 0],
            raw[..., 1],
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
    return (transform_points(matrix_j, raw + moved) - grid).astype(np.float32)
