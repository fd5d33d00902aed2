"""How one sample moves: action-unit bumps with onset-apex-offset timing, blinks and head motion,
drawn into a :class:`~molkit.data.truth.Motion` (the analytic map of the neutral face that the
ground truth stores and preparation reads). Larger movements get larger patches of skin: an
expression's bumps grow until its own strain is at most 0.6, as a wider muscle action would, so
that every movement size exists without folding the skin (|grad u| <= 0.9 keeps the inverse a
contraction).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from molkit.data.truth import Motion
from molkit.synthetic.action_units import (
    ACTION_UNITS,
    EMOTION_ACTION_UNITS,
    FaceGeometry,
    blink_bumps,
    eye_opening,
    regions_of,
)

FPS = 200.0
_MAX_STRAIN = 0.9  # keeps every frame's motion invertible, fixed point contracting
_CLASS_STRAIN = 0.6  # each class bump grows until its own strain is at most this
_TOTAL_STRAIN = 0.8  # then all class bumps together until the whole motion's is at most this
_STEEPEST = 8 / 3**1.5  # largest slope of a bump's weight (1 - s^2)^2 along s, at s = 1/sqrt(3)


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
