"""The ground truth of a synthetic set, as preparation and evaluation read it: the files' layout
(``root/ground_truth/config.json``, the generator's configuration, and one
``root/ground_truth/<subject>/<sample>.npz`` per sample holding the :class:`Motion` arrays, the
landmarks of every frame, the class mask and the sample's description) and :class:`Motion`, the
analytic map of the neutral face that gives the exact flow between any two frames. The synthetic
package (:mod:`molkit.synthetic`) draws the motions and writes these files; the data layer reads
them here, so preparing a synthetic set needs nothing above it.

:class:`Motion` maps a material point ``p`` of the neutral face to its position in frame ``t``:

    phi_t(p) = pivot + scale_t * R(angle_t) (p + u_t(p) - pivot) + shift_t,
    u_t(p)   = sum_k amplitudes[t, k] * vectors[k] * w_k(p),

with ``w_k`` compact bump weights (:func:`bump_weights`). The true flow between frames i and j is
``phi_j(phi_i^-1(x)) - x``; the inverse is solved by fixed-point iteration to ~1e-6 px.
"""

from __future__ import annotations

import dataclasses
import functools
import zipfile
from pathlib import Path

import numpy as np

TRUTH_DIR = "ground_truth"
CONFIG_FILE = "config.json"
TEXT_FIELDS = ("emotion", "three_class", "action_units", "regions")
INT_FIELDS = ("onset", "apex", "offset")
_TOLERANCE = 1e-6
_MAX_ITERATIONS = 200


@dataclasses.dataclass(frozen=True)
class Motion:
    """Geometry of one sample; every field is a plain array (saved as is in the ground truth)."""

    centres: np.ndarray  # [K, 2] bump centres, pixels of the neutral face
    radii: np.ndarray  # [K, 2] half-axes along x and y
    vectors: np.ndarray  # [K, 2] displacement at full amplitude
    amplitudes: np.ndarray  # [T, K] in [0, 1]
    is_class: np.ndarray  # [K] bool: the bump belongs to the class's action units
    head: np.ndarray  # [T, 4] shift x, shift y, angle (rad), log scale
    pivot: np.ndarray  # [2] centre of the head's rotation

    @property
    def n_frames(self) -> int:
        return len(self.amplitudes)

    def weights(self, points: np.ndarray) -> np.ndarray:
        """Bump weights ``[N, K]`` at points ``[N, 2]``."""
        return bump_weights(points[:, None, :], self.centres[None], self.radii[None])

    def displacement(self, t: int, points: np.ndarray, *, class_only: bool = False) -> np.ndarray:
        """Skin displacement ``u_t`` at material points ``[N, 2]`` (head motion excluded)."""
        amplitudes = self.amplitudes[t] * (self.is_class if class_only else 1.0)
        return (self.weights(points) * amplitudes) @ self.vectors

    def _head(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        shift_x, shift_y, angle, log_scale = self.head[t]
        c, s = np.cos(angle), np.sin(angle)
        return np.exp(log_scale) * np.array([[c, -s], [s, c]]), np.array([shift_x, shift_y])

    def forward(self, t: int, points: np.ndarray) -> np.ndarray:
        """Positions in frame ``t`` of material points ``[N, 2]``."""
        matrix, shift = self._head(t)
        return self.pivot + (points + self.displacement(t, points) - self.pivot) @ matrix.T + shift

    def inverse(self, t: int, positions: np.ndarray) -> np.ndarray:
        """Material points seen at ``positions`` ``[N, 2]`` of frame ``t``."""
        matrix, shift = self._head(t)
        target = self.pivot + (positions - self.pivot - shift) @ np.linalg.inv(matrix).T
        points = target.copy()
        moving = self.amplitudes[t] > 0
        if not moving.any():
            return points
        sub = dataclasses.replace(
            self,
            centres=self.centres[moving],
            radii=self.radii[moving],
            vectors=self.vectors[moving],
            amplitudes=self.amplitudes[:, moving],
        )
        reach = sub.radii + np.abs(sub.vectors) * sub.amplitudes[t][:, None] + 1.0
        active = near_points(target, sub.centres, reach)
        goal = guess = target[active]
        for _ in range(_MAX_ITERATIONS):
            update = goal - sub.displacement(t, guess)
            converged = np.abs(update - guess).max(initial=0.0) < _TOLERANCE
            guess = update
            if converged:
                break
        else:
            raise RuntimeError(f"frame {t}: the inverse motion did not converge (skin folds?)")
        points[active] = guess
        return points

    def flow(self, i: int, j: int, height: int, width: int) -> np.ndarray:
        """Dense flow ``[H, W, 2]`` from frame ``i`` to frame ``j`` (OpenCV convention)."""
        grid = pixel_grid(height, width)
        return (self.forward(j, self.inverse(i, grid)) - grid).reshape(height, width, 2).astype(np.float32)

    def class_support(self, height: int, width: int) -> np.ndarray:
        """Pixels of the neutral face that the class's action units move, ``bool [H, W]``.
        Each bump is weighed only on the pixels of its bounding box (outside it, its weight is 0)."""
        support = np.zeros((height, width), bool)
        for centre, radius in zip(self.centres[self.is_class], self.radii[self.is_class]):
            x0, y0 = np.maximum(np.floor(centre - radius).astype(int), 0)
            x1, y1 = np.minimum(np.ceil(centre + radius).astype(int) + 1, (width, height))
            if x0 < x1 and y0 < y1:
                ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
                points = np.stack([xs.ravel(), ys.ravel()], axis=1)
                moved = bump_weights(points, centre, radius) > 0
                support[y0:y1, x0:x1] |= moved.reshape(y1 - y0, x1 - x0)
        return support

    def strain(self) -> float:
        """Largest Frobenius norm of the skin displacement's gradient (sampled every half pixel)
        with every bump at its largest amplitude: what the fixed point must contract. Only the
        points near a bump are weighed (elsewhere the gradient is 0)."""
        low, high = (self.centres - self.radii).min(0), (self.centres + self.radii).max(0)
        xs, ys = np.meshgrid(np.arange(low[0], high[0], 0.5), np.arange(low[1], high[1], 0.5))
        points = np.stack([xs.ravel(), ys.ravel()], 1)
        points = points[near_points(points, self.centres, self.radii + 1.0)]
        offsets = (points[:, None, :] - self.centres[None]) / self.radii[None] ** 2  # [N, K, 2]
        inside = np.clip(1.0 - (offsets * (points[:, None, :] - self.centres[None])).sum(-1), 0.0, None)
        gradients = -4.0 * inside[..., None] * offsets  # d w_k / d p
        vectors = self.vectors * np.abs(self.amplitudes).max(0)[:, None]
        jacobian = np.einsum("ka,nkb->nab", vectors, gradients)
        return float(np.sqrt((jacobian**2).sum((1, 2))).max(initial=0.0))

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def bump_weights(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Weights ``(1 - s^2)^2`` (0 where ``s >= 1``) of bumps at ``centres`` with half-axes ``radii``
    at ``points``, broadcast over their leading axes; the last axis is (x, y)."""
    s2 = (((points - centres) / radii) ** 2).sum(-1)
    return np.clip(1.0 - s2, 0.0, None) ** 2


def near_points(points: np.ndarray, centres: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Sorted indices of the ``points`` ``[N, 2]`` within ``reach`` (strictly) of a centre along
    both axes: each centre tests y on every point, then x on the few left."""
    xs, ys = np.ascontiguousarray(points[:, 0]), np.ascontiguousarray(points[:, 1])
    near = np.zeros(len(points), bool)
    for (cx, cy), (rx, ry) in zip(centres, reach):
        rows = np.flatnonzero(np.abs(ys - cy) < ry)
        near[rows[np.abs(xs[rows] - cx) < rx]] = True
    return np.flatnonzero(near)


@functools.lru_cache(maxsize=8)
def pixel_grid(height: int, width: int) -> np.ndarray:
    """Pixel centres ``[H*W, 2]`` as (x, y), row-major (one read-only array per size)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
    grid.flags.writeable = False
    return grid


def has_ground_truth(root: str | Path) -> bool:
    """Whether ``root`` is a synthetic set with ground truth."""
    return (Path(root) / TRUTH_DIR / CONFIG_FILE).is_file()


def list_samples(root: str | Path) -> list[str]:
    """The samples of a synthetic set, like ``"sub01/EP01_01"``, sorted."""
    folder = Path(root) / TRUTH_DIR
    return sorted(p.relative_to(folder).with_suffix("").as_posix() for p in folder.glob("*/*.npz"))


def _truth_path(root: str | Path, sample: str) -> Path:
    path = Path(root) / TRUTH_DIR / f"{sample}.npz"
    if not path.is_file():
        if not has_ground_truth(root):
            raise FileNotFoundError(f"{root}: not a synthetic set (no {TRUTH_DIR}/{CONFIG_FILE})")
        raise FileNotFoundError(f"{path}: no ground truth for sample {sample!r}")
    return path


@functools.lru_cache(maxsize=64)
def _load(path: Path, mtime_ns: int) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (ValueError, OSError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path}: unreadable ground-truth file ({err})") from err


def _arrays(root: str | Path, sample: str) -> dict[str, np.ndarray]:
    path = _truth_path(root, sample).resolve()
    return _load(path, path.stat().st_mtime_ns)


def _motion(root: str | Path, sample: str) -> Motion:
    arrays = _arrays(root, sample)
    return Motion(**{name: arrays[name] for name in Motion.__dataclass_fields__})


def true_flow(
    root: str | Path, sample: str, i: int, j: int, *, points: np.ndarray | None = None
) -> np.ndarray:
    """Exact flow ``float32 [H, W, 2]`` from frame position ``i`` to ``j`` (0-based, sorted frame
    list): the pixel x of frame i is at x + flow(x) in frame j; ``flow[..., 0]`` is dx. With
    ``points`` ``[N, 2]`` (positions in frame i), the flow there, ``[N, 2]`` float64."""
    motion = _motion(root, sample)
    for k in (i, j):
        if not 0 <= k < motion.n_frames:
            raise IndexError(f"{sample}: frame position {k} outside 0..{motion.n_frames - 1}")
    if points is not None:
        return motion.forward(j, motion.inverse(i, points)) - points
    height, width = _arrays(root, sample)["mask"].shape
    return motion.flow(i, j, height, width)


def true_landmarks(root: str | Path, sample: str) -> np.ndarray:
    """The 68 dlib-order landmarks of every frame, ``float32 [n_frames, 68, 2]`` (x, y)."""
    return _arrays(root, sample)["landmarks"].copy()


def true_region_mask(root: str | Path, sample: str) -> np.ndarray:
    """``bool [H, W]``: pixels of the neutral face (frame 0) that the class's action units move."""
    return _arrays(root, sample)["mask"].copy()


def sample_truth(root: str | Path, sample: str) -> dict:
    """The sample's ``emotion`` (CASME II string), ``three_class`` (None for others),
    ``action_units`` (like ``["AU6", "AU12"]``), ``regions`` carrying the class, and ``onset``,
    ``apex``, ``offset`` as 0-based frame positions (file ``img{k + 1}.jpg``)."""
    arrays = _arrays(root, sample)
    return {
        "sample": sample,
        "emotion": str(arrays["emotion"][0]),
        "three_class": str(arrays["three_class"][0]) or None,
        "action_units": [str(a) for a in arrays["action_units"]],
        "regions": [str(r) for r in arrays["regions"]],
        **{name: int(arrays[name]) for name in INT_FIELDS},
    }
