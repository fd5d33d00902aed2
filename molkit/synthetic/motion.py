"""The motion of one sample: action-unit bumps with onset-apex-offset timing, blinks and head motion.

:class:`Motion` maps a material point ``p`` of the neutral face to its position in frame ``t``:

    phi_t(p) = pivot + scale_t * R(angle_t) (p + u_t(p) - pivot) + shift_t,
    u_t(p)   = sum_k amplitudes[t, k] * vectors[k] * w_k(p),

with ``w_k`` the compact bump weights of :mod:`molkit.synthetic.action_units`. Frames are rendered
through the inverse map and the true flow between frames i and j is ``phi_j(phi_i^-1(x)) - x``;
the inverse is solved by fixed-point iteration to ~1e-6 px (the bumps are gentle: |grad u| <= 0.9
is enforced). Larger movements get larger patches of skin: an expression's bumps grow until its
own strain is at most 0.6, as a wider muscle action would, so that every movement size exists
without folding the skin.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from molkit.synthetic.action_units import (
    ACTION_UNITS,
    EMOTION_ACTION_UNITS,
    FaceGeometry,
    blink_bumps,
    eye_opening,
    regions_of,
)

FPS = 200.0
_TOLERANCE = 1e-6
_MAX_ITERATIONS = 200
_MAX_STRAIN = 0.9  # keeps every frame's motion invertible, fixed point contracting
_CLASS_STRAIN = 0.6  # each class bump grows until its own strain is at most this
_TOTAL_STRAIN = 0.8  # then all class bumps together until the whole motion's is at most this
_STEEPEST = 8 / 3**1.5  # largest slope of a bump's weight (1 - s^2)^2 along s, at s = 1/sqrt(3)


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

    def displacement(self, t: int, points: np.ndarray, class_only: bool = False) -> np.ndarray:
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
        active = _near(target, sub.centres, reach)
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
        points = points[_near(points, self.centres, self.radii + 1.0)]
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


def _near(points: np.ndarray, centres: np.ndarray, reach: np.ndarray) -> np.ndarray:
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


def expression_curve(n_frames: int, onset: int, apex: int, offset: int) -> np.ndarray:
    """0 until ``onset``, a raised-cosine rise to 1 at ``apex``, a fall back to 0 at ``offset``."""
    return curve_at(np.arange(n_frames, dtype=np.float64), onset, apex, offset)


def curve_at(t: np.ndarray, onset: float, apex: float, offset: float) -> np.ndarray:
    """:func:`expression_curve` at times ``t`` (any unit, frames or seconds); an apex at the
    onset (or offset) makes the rise (or fall) a step."""
    apex_minus_onset = max(apex - onset, 1e-12)
    offset_minus_apex = max(offset - apex, 1e-12)
    rise = 0.5 - 0.5 * np.cos(np.pi * np.clip((t - onset) / apex_minus_onset, 0, 1))
    fall = 0.5 + 0.5 * np.cos(np.pi * np.clip((t - apex) / offset_minus_apex, 0, 1))
    return np.where(t <= apex, rise, fall)


@dataclasses.dataclass(frozen=True)
class Expression:
    """What the class motion of one sample is: its action units, timing and size."""

    emotion: str
    action_units: tuple[str, ...]
    n_frames: int
    onset: int  # 0-based frame positions
    apex: int
    offset: int
    peak_px: float  # largest skin displacement at the apex, pixels of the frame

    @property
    def regions(self) -> tuple[str, ...]:
        return regions_of(self.action_units)


def draw_expression(rng: np.random.Generator, emotion: str, n_frames: int, peak_px: float) -> Expression:
    """Action units and onset/apex/offset of one sample of ``emotion``."""
    choices = EMOTION_ACTION_UNITS[emotion]
    action_units = choices[rng.integers(len(choices))]
    onset = int(rng.integers(2, max(3, n_frames // 4)))
    apex = min(onset + max(2, round(rng.uniform(0.2, 0.3) * n_frames)), n_frames - 3)
    offset = min(apex + max(2, round(rng.uniform(0.25, 0.4) * n_frames)), n_frames - 1)
    return Expression(emotion, action_units, n_frames, onset, apex, offset, peak_px)


@dataclasses.dataclass(frozen=True)
class Nuisances:
    """Sizes of the label-independent motions (blinks are partial: the upper lid travels
    30-50% of the eye opening)."""

    blink_probability: float = 0.5
    head_shift_px: float = 0.3  # shifts; the head's scale changes by head_shift_px / 150
    head_rotation_deg: float = 0.15


def _strain(centres: np.ndarray, radii: np.ndarray, vectors: np.ndarray) -> float:
    """Strain of bumps all at full amplitude."""
    k = len(radii)
    return Motion(
        centres, radii, vectors, np.ones((1, k)), np.ones(k, bool), np.zeros((1, 4)), np.zeros(2)
    ).strain()


def grown_radii(
    centres: np.ndarray,
    radii: np.ndarray,
    vectors: np.ndarray,
    others: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """``radii`` grown (never shrunk) so that bumps moving by ``vectors`` do not strain the skin.

    First each half-axis alone: a bump's weight changes by at most 1.54 per radius, so a bump
    moving by ``|v|`` needs half-axes of at least ``1.54 |v| / 0.6``. Then, while overlapping
    bumps (with ``others``, fixed bumps given as (centres, radii, vectors), e.g. blinks) strain
    the skin by more than 0.8, all of these bumps together by the ratio."""
    need = _STEEPEST * np.linalg.norm(vectors, axis=1, keepdims=True) / _CLASS_STRAIN
    radii = np.maximum(np.asarray(radii, np.float64), need)
    fixed = others or (np.zeros((0, 2)),) * 3
    for _ in range(20):
        strain = _strain(
            np.vstack([centres, fixed[0]]), np.vstack([radii, fixed[1]]), np.vstack([vectors, fixed[2]])
        )
        if strain <= _TOTAL_STRAIN:
            return radii
        radii = radii * 1.15
    raise RuntimeError("grown_radii: the bumps' strain did not fall below its limit")


def check_folding(motion: Motion, what: str) -> Motion:
    """``motion`` itself; a ValueError when its skin would fold (strain above 0.9)."""
    strain = motion.strain()
    if strain > _MAX_STRAIN:
        raise ValueError(
            f"{what}: the movement would fold the skin (strain {strain:.2f} > "
            f"{_MAX_STRAIN}); lower amplitude_px or raise difficulty"
        )
    return motion


def plan_motion(
    expression: Expression,
    landmarks: np.ndarray,
    nuisances: Nuisances,
    class_rng: np.random.Generator,
    nuisance_rng: np.random.Generator,
) -> Motion:
    """The sample's motion. The nuisances come from ``nuisance_rng`` alone, so for one nuisance
    stream they are the same whatever the label. Class bumps grow with the movement's size
    (:func:`grown_radii`)."""
    geometry = FaceGeometry(np.asarray(landmarks, np.float64))
    n = expression.n_frames
    bumps = [b for au in expression.action_units for b in ACTION_UNITS[au].place(geometry)]
    vectors = np.array(
        [b.vector * expression.peak_px * k for b, k in zip(bumps, class_rng.uniform(0.85, 1.15, len(bumps)))]
    )
    curve = expression_curve(n, expression.onset, expression.apex, expression.offset)

    blinks = blink_bumps(geometry)
    travel = nuisance_rng.uniform(0.3, 0.5) * eye_opening(geometry)
    duration = int(nuisance_rng.integers(max(2, n // 5), max(3, 2 * n // 5) + 1))
    start = int(nuisance_rng.integers(-duration // 2, n - duration // 2))
    blinking = nuisance_rng.random() < nuisances.blink_probability
    blink = expression_curve(n, start, start + duration // 2, start + duration) * blinking
    blink_arrays = (
        np.array([b.centre for b in blinks]),
        np.array([b.radii for b in blinks]),
        np.array([b.vector * travel * blinking for b in blinks]),
    )
    centres = np.array([b.centre for b in bumps])
    radii = grown_radii(centres, np.array([b.radii for b in bumps]), vectors, blink_arrays)

    head = head_track(nuisance_rng, np.arange(n) / FPS, nuisances.head_shift_px, nuisances.head_rotation_deg)
    return assemble(
        geometry,
        (centres, radii, vectors, np.repeat(curve[:, None], len(bumps), axis=1)),
        (blink_arrays[0], blink_arrays[1], np.array([b.vector * travel for b in blinks]), blink),
        head,
        f"{expression.emotion} ({expression.peak_px:.2f} px)",
    )


def head_track(
    rng: np.random.Generator, times: np.ndarray, shift_px: float, rotation_deg: float
) -> np.ndarray:
    """Head motion ``[T, 4]`` (shift x, shift y, angle, log scale) at ``times`` (seconds): a slow
    drift of 0.5-4 Hz from where the head was at time 0; the scale changes by ``shift_px / 150``."""
    t = np.asarray(times, np.float64)[:, None] - float(times[0])
    frequencies = rng.uniform(0.5, 4.0, (1, 4))
    phases = rng.uniform(0, 2 * np.pi, (1, 4))
    sizes = rng.normal(0.0, 1.0, (1, 4)) * np.array(
        [[shift_px, shift_px, np.deg2rad(rotation_deg), shift_px / 150]]
    )
    return sizes * (np.sin(2 * np.pi * frequencies * t + phases) - np.sin(phases))


def assemble(
    geometry: FaceGeometry,
    expression: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    blink: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    head: np.ndarray,
    what: str,
) -> Motion:
    """The motion of class bumps and blink bumps, each given as (centres, radii, vectors at full
    amplitude, amplitudes: ``[T, K]`` for the class, a curve ``[T]`` for the blink), with the
    head's track; a ValueError when it would fold the skin."""
    centres, radii, vectors, amplitudes = expression
    blink_centres, blink_radii, blink_vectors, blink_curve = blink
    motion = Motion(
        centres=np.vstack([centres.reshape(-1, 2), blink_centres]),
        radii=np.vstack([radii.reshape(-1, 2), blink_radii]),
        vectors=np.vstack([vectors.reshape(-1, 2), blink_vectors]),
        amplitudes=np.concatenate(
            [amplitudes.reshape(len(head), -1), np.repeat(blink_curve[:, None], len(blink_centres), axis=1)],
            axis=1,
        ),
        is_class=np.array([True] * len(centres) + [False] * len(blink_centres)),
        head=head,
        pivot=geometry.point(*range(27, 36)),
    )
    return check_folding(motion, what)
