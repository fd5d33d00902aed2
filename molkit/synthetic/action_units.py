"""FACS action units as landmark-placed micro-movements, and the five CASME II classes built from them.

An action unit is a few compact "bumps": smooth elliptical patches of skin that move by a vector
at the apex. A bump's weight is ``(1 - s^2)^2`` inside the ellipse (``s`` its normalised radius)
and exactly zero outside it, so the motion of a class lives exactly where its bumps are.
Bumps are placed from the neutral face's 68 dlib landmarks and sized by the inter-ocular distance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

REGIONS = (
    "left_brow",
    "right_brow",
    "glabella",
    "left_eye",
    "right_eye",
    "nose",
    "left_cheek",
    "right_cheek",
    "lip_corners",
    "mouth",
    "chin",
)

# CASME II's five classes in the design's order, the action units that make each one (one tuple is
# drawn per sample), and MOL's three-class mapping ("others" has none).
EMOTIONS = ("surprise", "happiness", "disgust", "repression", "others")
EMOTION_ACTION_UNITS: dict[str, tuple[tuple[str, ...], ...]] = {
    "surprise": (("AU1", "AU2"),),
    "happiness": (("AU6", "AU12"),),
    "disgust": (("AU4", "AU9"),),
    "repression": (("AU14", "AU17"), ("AU15", "AU17")),
    "others": (("AU25",),),  # not AU7: the eyes already carry the blinks, a nuisance of every class
}
THREE_CLASS = {
    "surprise": "surprise",
    "happiness": "positive",
    "disgust": "negative",
    "repression": "negative",
}


@dataclasses.dataclass(frozen=True)
class Bump:
    """A patch of skin centred at ``centre`` with half-axes ``radii`` (x, y) moving by ``vector``.
    ``part``: the side of the image (``"left"``, ``"right"``) or the lip (``"top"``, ``"bottom"``)
    it belongs to, for unilateral and one-lip codes; empty for a bump every variant moves."""

    centre: np.ndarray
    radii: np.ndarray
    vector: np.ndarray
    part: str = ""


@dataclasses.dataclass(frozen=True)
class FaceGeometry:
    """The neutral face's landmarks and its own axes: ``ex`` from the left eye to the right eye,
    ``ey`` perpendicular to it, pointing to the chin; ``iod`` the inter-ocular distance."""

    landmarks: np.ndarray

    @property
    def left_eye(self) -> np.ndarray:
        return self.landmarks[36:42].mean(0)

    @property
    def right_eye(self) -> np.ndarray:
        return self.landmarks[42:48].mean(0)

    @property
    def iod(self) -> float:
        return float(np.linalg.norm(self.right_eye - self.left_eye))

    @property
    def ex(self) -> np.ndarray:
        return (self.right_eye - self.left_eye) / self.iod

    @property
    def ey(self) -> np.ndarray:
        return np.array([-self.ex[1], self.ex[0]])

    def point(self, *indices: int) -> np.ndarray:
        """Mean of the given landmarks."""
        return self.landmarks[list(indices)].mean(0)

    def bump(
        self, centre: np.ndarray, radii: tuple[float, float], along_x: float, along_y: float, part: str = ""
    ) -> Bump:
        """A bump with radii in inter-ocular distances and a unit-length vector in face axes."""
        vector = along_x * self.ex + along_y * self.ey
        return Bump(
            np.asarray(centre, float), np.array(radii) * self.iod, vector / np.linalg.norm(vector), part
        )


@dataclasses.dataclass(frozen=True)
class ActionUnit:
    code: str
    name: str
    regions: tuple[str, ...]
    place: Callable[[FaceGeometry], list[Bump]]


def _pair(
    g: FaceGeometry,
    left: np.ndarray,
    right: np.ndarray,
    radii: tuple[float, float],
    outward: float,
    up: float,
) -> list[Bump]:
    """Mirror-symmetric bumps: ``outward`` moves away from the face's midline, ``up`` to the brow."""
    return [g.bump(left, radii, -outward, -up, "left"), g.bump(right, radii, outward, -up, "right")]


def _lips(g: FaceGeometry, radii: tuple[float, float], towards: float) -> list[Bump]:
    """The upper lip (around 51) and the lower lip (around 57) moving towards each other
    (``towards`` > 0) or apart (< 0)."""
    return [
        g.bump(g.point(50, 51, 52), radii, 0.0, towards, "top"),
        g.bump(g.point(56, 57, 58), radii, 0.0, -towards, "bottom"),
    ]


ACTION_UNITS: dict[str, ActionUnit] = {
    au.code: au
    for au in (
        ActionUnit(
            "AU1",
            "inner brow raiser",
            ("left_brow", "right_brow"),
            lambda g: _pair(g, g.point(21), g.point(22), (0.2, 0.16), 0.0, 1.0),
        ),
        ActionUnit(
            "AU2",
            "outer brow raiser",
            ("left_brow", "right_brow"),
            lambda g: _pair(g, g.point(17, 18), g.point(25, 26), (0.22, 0.16), 0.2, 1.0),
        ),
        ActionUnit(
            "AU4",
            "brow lowerer",
            ("glabella",),
            lambda g: _pair(
                g,
                0.75 * g.point(21) + 0.25 * g.point(22),
                0.25 * g.point(21) + 0.75 * g.point(22),
                (0.14, 0.16),
                -0.35,
                -0.94,
            ),
        ),
        ActionUnit(
            "AU9",
            "nose wrinkler",
            ("nose",),
            lambda g: _pair(g, g.point(31), g.point(35), (0.14, 0.14), -0.2, 1.0),
        ),
        ActionUnit(
            "AU6",
            "cheek raiser",
            ("left_cheek", "right_cheek"),
            lambda g: _pair(
                g,
                g.left_eye + g.iod * (0.45 * g.ey - 0.08 * g.ex),
                g.right_eye + g.iod * (0.45 * g.ey + 0.08 * g.ex),
                (0.25, 0.2),
                0.2,
                1.0,
            ),
        ),
        ActionUnit(
            "AU12",
            "lip corner puller",
            ("lip_corners",),
            lambda g: _pair(g, g.point(48), g.point(54), (0.2, 0.17), 0.7, 0.7),
        ),
        ActionUnit(
            "AU14",
            "dimpler",
            ("lip_corners",),
            lambda g: _pair(g, g.point(48), g.point(54), (0.2, 0.17), -0.95, 0.3),
        ),
        ActionUnit(
            "AU15",
            "lip corner depressor",
            ("lip_corners",),
            lambda g: _pair(g, g.point(48), g.point(54), (0.2, 0.17), 0.3, -0.95),
        ),
        ActionUnit(
            "AU17",
            "chin raiser",
            ("chin",),
            lambda g: [g.bump(0.5 * (g.point(57) + g.point(8)), (0.3, 0.18), 0.0, -1.0)],
        ),
        ActionUnit(
            "AU25",
            "lips part",
            ("mouth",),
            lambda g: [
                g.bump(g.point(50, 51, 52), (0.3, 0.12), 0.0, -1.0),
                g.bump(g.point(56, 57, 58), (0.3, 0.12), 0.0, 1.0),
            ],
        ),
        ActionUnit(
            "AU5",
            "upper lid raiser",
            ("left_eye", "right_eye"),
            lambda g: _pair(g, g.point(37, 38), g.point(43, 44), (0.13, 0.08), 0.0, 1.0),
        ),
        ActionUnit(
            "AU7",
            "lid tightener",
            ("left_eye", "right_eye"),
            lambda g: _pair(g, g.point(40, 41), g.point(46, 47), (0.14, 0.08), -0.3, 0.95),
        ),
        ActionUnit(
            "AU8",
            "lips toward each other",
            ("mouth",),
            lambda g: _lips(g, (0.28, 0.1), 1.0),
        ),
        ActionUnit(
            "AU10",
            "upper lip raiser",
            ("mouth",),
            lambda g: _pair(g, g.point(49, 50), g.point(52, 53), (0.15, 0.11), 0.1, 1.0),
        ),
        ActionUnit(
            "AU13",
            "sharp lip puller",
            ("lip_corners",),
            lambda g: _pair(g, g.point(48), g.point(54), (0.16, 0.16), 0.3, 0.95),
        ),
        ActionUnit(
            "AU16",
            "lower lip depressor",
            ("mouth",),
            lambda g: _pair(g, g.point(57, 58), g.point(56, 57), (0.15, 0.1), 0.2, -1.0),
        ),
        ActionUnit(
            "AU18",
            "lip pucker",
            ("lip_corners", "mouth"),
            lambda g: (
                _pair(g, g.point(48), g.point(54), (0.14, 0.14), -1.0, 0.0) + _lips(g, (0.2, 0.08), -0.5)
            ),
        ),
        ActionUnit(
            "AU20",
            "lip stretcher",
            ("lip_corners",),
            lambda g: _pair(g, g.point(48), g.point(54), (0.2, 0.15), 1.0, -0.25),
        ),
        ActionUnit(
            "AU21",
            "neck tightener",
            ("chin",),
            lambda g: _pair(g, g.point(6, 7), g.point(9, 10), (0.25, 0.15), -0.3, -0.95),
        ),
        ActionUnit(
            "AU23",
            "lip tightener",
            ("mouth",),
            lambda g: _lips(g, (0.2, 0.07), 1.0) + _pair(g, g.point(48), g.point(54), (0.1, 0.1), -1.0, 0.0),
        ),
        ActionUnit(
            "AU24",
            "lip presser",
            ("mouth",),
            lambda g: _lips(g, (0.34, 0.12), 1.0),
        ),
        ActionUnit(
            "AU26",
            "jaw drop",
            ("mouth", "chin"),
            lambda g: [g.bump(g.point(57, 8), (0.5, 0.5), 0.0, 1.0)],
        ),
        ActionUnit(
            "AU31",
            "jaw clencher",
            ("left_cheek", "right_cheek"),
            lambda g: _pair(g, g.point(3, 4), g.point(12, 13), (0.18, 0.2), 1.0, 0.0),
        ),
        ActionUnit(
            "AU38",
            "nostril dilator",
            ("nose",),
            lambda g: _pair(g, g.point(31), g.point(35), (0.1, 0.1), 1.0, 0.0),
        ),
        ActionUnit(
            "AU39",
            "nostril compressor",
            ("nose",),
            lambda g: _pair(g, g.point(31), g.point(35), (0.1, 0.1), -1.0, 0.0),
        ),
        ActionUnit(
            "AU43",
            "eyes closed",
            ("left_eye", "right_eye"),
            lambda g: _pair(g, g.point(37, 38), g.point(43, 44), (0.16, 0.1), 0.0, -1.0),
        ),
        ActionUnit(
            "AU61",
            "eyes turn left",
            ("left_eye", "right_eye"),
            lambda g: [
                g.bump(g.left_eye, (0.09, 0.06), 1.0, 0.0, "left"),
                g.bump(g.right_eye, (0.09, 0.06), 1.0, 0.0, "right"),
            ],
        ),
    )
}


def blink_bumps(g: FaceGeometry) -> list[Bump]:
    """The upper eyelids of both eyes moving down; unit vectors, scaled by the eye opening later."""
    width = 0.5 * (np.linalg.norm(g.point(39) - g.point(36)) + np.linalg.norm(g.point(45) - g.point(42)))
    radii = (0.6 * width / g.iod, 0.5 * width / g.iod)
    return [g.bump(g.point(37, 38), radii, 0.0, 1.0), g.bump(g.point(43, 44), radii, 0.0, 1.0)]


def eye_opening(g: FaceGeometry) -> float:
    """Mean distance between the upper and lower eyelids, in pixels."""
    return 0.5 * float(
        np.linalg.norm(g.point(37, 38) - g.point(40, 41)) + np.linalg.norm(g.point(43, 44) - g.point(46, 47))
    )


def regions_of(action_units: tuple[str, ...]) -> tuple[str, ...]:
    """The facial regions the action units move, in the shared vocabulary's order."""
    moved = {r for au in action_units for r in ACTION_UNITS[au].regions}
    return tuple(r for r in REGIONS if r in moved)
