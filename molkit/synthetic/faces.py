"""Subject faces: two public-domain photographs that installed packages ship, turned into many
distinct identities by morphing (two of the photographs and their mirror images, warped onto a
common shape and mixed with a random weight), landmark-driven shape changes and appearance changes.

Sources: ``skimage.data.astronaut()`` (NASA portrait of Eileen Collins) and matplotlib's
``sample_data/grace_hopper.jpg`` (US Navy portrait of Grace Hopper), both public domain. Real
photographs keep dlib's HOG detector and 68-point predictor working on every frame, which
procedural faces would not guarantee. A subject's landmarks are the source's dlib landmarks carried
exactly through the warp, so they are the ground truth of the neutral face.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import cv2
import numpy as np
from scipy.interpolate import RBFInterpolator

from molkit.synthetic.action_units import FaceGeometry

# The extent of the eye centres, nose tip and mouth corners that dlib alignment scales to a
# 144 px crop with a box 2.5 times as large (see the preparation spec); sources are resized to it.
EXTENT_PX = 52.0
CROP_PX, CROP_BOX = 144.0, 2.5


@dataclasses.dataclass(frozen=True)
class Face:
    """A neutral face: ``image`` float32 RGB [H, W, 3] in 0..255 and its ``landmarks`` [68, 2]."""

    image: np.ndarray
    landmarks: np.ndarray

    @property
    def crop_scale(self) -> float:
        """Pixels of this image per pixel of the aligned 144 px face crop."""
        return CROP_BOX * feature_extent(self.landmarks) / CROP_PX


def face_width(landmarks: np.ndarray) -> float:
    """Width of the face: from jaw point 0 to jaw point 16."""
    return float(np.linalg.norm(np.asarray(landmarks, np.float64)[16] - np.asarray(landmarks, np.float64)[0]))


def feature_extent(landmarks: np.ndarray) -> float:
    """Largest side of the box around the eye centres, nose tip and mouth corners."""
    g = FaceGeometry(np.asarray(landmarks, np.float64))
    points = np.stack([g.left_eye, g.right_eye, g.point(30), g.point(48), g.point(54)])
    return float((points.max(0) - points.min(0)).max())


def _photographs() -> dict[str, np.ndarray]:
    import matplotlib
    import skimage.data

    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    image = cv2.imread(str(hopper), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"{hopper}: matplotlib's sample photograph is missing or unreadable")
    return {"astronaut": skimage.data.astronaut(), "grace_hopper": cv2.cvtColor(image, cv2.COLOR_BGR2RGB)}


@functools.cache
def _landmarked() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The photographs and their mirror images, each with its dlib landmarks (found once)."""
    from molkit.data.face import detect_landmarks

    found = []
    for name, photo in _photographs().items():
        for image in (photo, np.ascontiguousarray(photo[:, ::-1])):
            landmarks = detect_landmarks(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
            if landmarks is None:
                raise RuntimeError(f"dlib found no face in the {name} photograph")
            found.append((image, landmarks))
    return tuple(found)


@functools.cache
def source_faces(extent: float = EXTENT_PX) -> tuple[Face, ...]:
    """The photographs and their mirror images, resized so that the feature extent is ``extent``."""
    faces = []
    for image, landmarks in _landmarked():
        scale = extent / feature_extent(landmarks)
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        faces.append(Face(resized.astype(np.float32), (landmarks + 0.5) * scale - 0.5))
    return tuple(faces)


def _identity_shape(rng: np.random.Generator, landmarks: np.ndarray) -> np.ndarray:
    """Landmarks moved feature by feature: face width, eye spacing and size, brow height, nose
    length and width, mouth width and height, chin length."""
    g = FaceGeometry(landmarks)
    local = np.stack([(landmarks - g.point(27, 30)) @ g.ex, (landmarks - g.point(27, 30)) @ g.ey], 1)
    out = local.copy()
    u = lambda a: rng.uniform(-a, a)  # noqa: E731
    iod = g.iod

    def scale_about(index: slice, sx: float, sy: float) -> None:
        centre = out[index].mean(0)
        out[index] = centre + (out[index] - centre) * (sx, sy)

    out[0:17, 0] *= 1 + u(0.08)
    out[5:12, 1] += u(0.06) * iod
    spread = u(0.05) * iod
    for index, side in ((slice(36, 42), -1), (slice(17, 22), -1), (slice(42, 48), 1), (slice(22, 27), 1)):
        out[index, 0] += side * spread
    eye = 1 + u(0.1)
    scale_about(slice(36, 42), eye, eye)
    scale_about(slice(42, 48), eye, eye)
    out[17:27, 1] += u(0.06) * iod
    out[30:36, 1] += u(0.05) * iod
    scale_about(slice(31, 36), 1 + u(0.12), 1.0)
    scale_about(slice(48, 68), 1 + u(0.1), 1 + u(0.1))
    out[48:68, 1] += u(0.04) * iod
    out[:, 1] *= 1 + u(0.04)
    return g.point(27, 30) + out[:, :1] * g.ex + out[:, 1:] * g.ey


def _appearance(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Skin tone, brightness, contrast, gamma, a lighting gradient and focus."""
    height, width = image.shape[:2]
    out = np.clip(image / 255.0, 0, 1)
    out = out ** rng.uniform(0.8, 1.25)
    out = out * (1 + rng.normal(0, 0.06, 3)) * rng.uniform(0.85, 1.15)
    out = out.mean() + (out - out.mean()) * rng.uniform(0.85, 1.2)
    ys, xs = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    out = out * (1 + rng.uniform(-0.25, 0.25) * (xs - 0.5) + rng.uniform(-0.12, 0.12) * (ys - 0.5))[..., None]
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.7, 1.0))  # a camera's softness
    return np.clip(out * 255.0, 0, 255).astype(np.float32)


def _placement(rng: np.random.Generator, height: int, width: int):
    """A similarity that centres a face in an ``height x width`` frame with a slight size, roll and
    offset change: ``place(points, centre)`` maps points of a source whose face centre is
    ``centre``; ``unplace`` is its inverse."""
    angle = np.deg2rad(rng.uniform(-3, 3))
    zoom = rng.uniform(0.95, 1.08)
    rotation = zoom * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    placed_centre = np.array([width / 2, height * 0.52]) + rng.uniform(-4, 4, 2)
    place = lambda p, centre: placed_centre + (p - centre) @ rotation.T  # noqa: E731
    unplace = lambda q, centre: centre + (q - placed_centre) @ np.linalg.inv(rotation).T  # noqa: E731
    return place, unplace


def _warp_to(
    source: Face, centre: np.ndarray, target: np.ndarray, unplace, height: int, width: int
) -> np.ndarray:
    """``source`` warped so that its landmarks land on ``target`` (thin-plate spline); far from the
    face the frame follows the similarity alone, so only the face changes shape."""
    border = np.array(
        [
            [x, y]
            for x in np.linspace(-20, width + 20, 5)
            for y in np.linspace(-20, height + 20, 5)
            if min(x, width - x) < 0 or min(y, height - y) < 0
        ],
        float,
    )
    backward = RBFInterpolator(
        np.vstack([target, border]),
        np.vstack([source.landmarks, unplace(border, centre)]),
        kernel="thin_plate_spline",
    )
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    maps = backward(np.stack([xs.ravel(), ys.ravel()], 1)).reshape(height, width, 2).astype(np.float32)
    return cv2.remap(source.image, maps[..., 0], maps[..., 1], cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def make_subject(rng: np.random.Generator, height: int, width: int, *, extent: float = EXTENT_PX) -> Face:
    """A new identity: a morph of two source faces (drawn, with a random mixing weight), reshaped
    feature by feature, placed in an ``height x width`` frame and recoloured; ``extent`` sizes the
    face (:func:`feature_extent`, pixels)."""
    sources = source_faces(extent)
    first, second = rng.choice(len(sources), size=2, replace=False)
    weight = rng.uniform(0.2, 0.8)
    place, unplace = _placement(rng, height, width)
    centres = [
        FaceGeometry(sources[i].landmarks.astype(np.float64)).point(*range(17, 68)) for i in (first, second)
    ]
    placed = [place(sources[i].landmarks.astype(np.float64), c) for i, c in zip((first, second), centres)]
    target = _identity_shape(rng, weight * placed[0] + (1 - weight) * placed[1])
    image = sum(
        w * _warp_to(sources[i], c, target, unplace, height, width)
        for w, i, c in zip((weight, 1 - weight), (first, second), centres)
    )
    return Face(_appearance(rng, image), target.astype(np.float32))
