"""dlib's HOG face detector and 68-point shape predictor, loaded once per process.

The predictor comes from the installed ``face_recognition_models`` package, located with
``importlib.util.find_spec`` (importing it is broken on recent setuptools); nothing is downloaded."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

N_LANDMARKS = 68


def predictor_path() -> Path:
    """Path of ``shape_predictor_68_face_landmarks.dat``; a clear error when it is absent."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the face_recognition_models package is not installed; it holds "
            "dlib's 68-point model (pip install face_recognition_models)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / "shape_predictor_68_face_landmarks.dat"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: dlib's 68-point model is missing")
    return path


@functools.cache
def _models():
    import dlib

    return dlib.get_frontal_face_detector(), dlib.shape_predictor(str(predictor_path()))


def detect_landmarks(gray: np.ndarray, upsample: int = 1, *, large_face: int = 0) -> np.ndarray | None:
    """The 68 landmarks ``[68, 2]`` (x, y) of the largest face in a uint8 grayscale image, or
    None when dlib finds no face.

    The detector upsamples the image ``upsample`` times, which finds small faces and costs about
    4x per step on large frames. ``large_face`` (px, 0: off) looks without upsampling first and
    keeps the largest face found there when its box is at least that wide; otherwise (no face, or
    a smaller one) the frame is detected at ``upsample`` as without it. On a frame with several
    faces, one found only with upsampling can then be missed."""
    import dlib

    detector, predictor = _models()
    faces = detector(gray, 0) if large_face and upsample else []
    if not any(r.width() >= large_face for r in faces):
        faces = detector(gray, upsample)
    if len(faces) == 0:
        return None
    face = max(faces, key=lambda r: r.width() * r.height())
    shape = predictor(gray, dlib.rectangle(face.left(), face.top(), face.right(), face.bottom()))
    return np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)
