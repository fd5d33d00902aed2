"""``molkit predict`` as a timeline: windows at the training clips' time scale, each one a clip as the
cache makes it; frames streamed (only a window's worth held); frames without a face, frames that
fail to decode and videos that end early named, the rest predicted; dlib's points drawn on the
page where ``molkit.data`` puts them."""

from __future__ import annotations

import weakref

import cv2
import numpy as np
import pytest
import torch

from molkit.cli import main
from molkit.data import ClipDataset, PrepSettings, read_videos
from molkit.data.cache import load_tensors
from molkit.model import MOL, MOLConfig
from molkit.synthetic import generate
from molkit.train import TrainConfig
from molkit.train.checkpoint import load_checkpoint, save_checkpoint, state_dict_cpu
from molkit.train.frames import FrameStream
from molkit.train.input_range import STATISTICS, dataset_statistics, training_range
from molkit.train.predict_report import window_figures
from molkit.train.timeline import plan_windows, predict_timeline

CLASSES = ["surprise", "happiness", "disgust", "repression", "others"]


def write_checkpoint(path, clip_stride: int, **extra):
    """An untrained MOL (narrow flow head) whose training clips were ``clip_stride`` frames apart
    at 200 fps: prediction mechanics, not accuracy, are under test."""
    torch.manual_seed(0)
    model = MOL(MOLConfig(n_classes=5, flow_width=0.0625))
    timing = {"frame_rate": 200.0, "clip_stride": clip_stride, "datasets": ["casme2"]}
    return save_checkpoint(
        path,
        state_dict_cpu(model),
        model.config,
        TrainConfig(),
        {},
        class_names=CLASSES,
        prep_settings=PrepSettings().to_dict(),
        clip_timing=timing,
        **extra,
    )


def write_video(path, frames, fps=30):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@pytest.mark.parametrize(
    "stride, fps, gap", [(3, 200.0, 3), (3, 400.0, 6), (3, 30.0, 1), (8, 100.0, 4), (8, 25.0, 1)]
)
def test_windows_last_as_long_as_the_training_clips(stride, fps, gap):
    plan = plan_windows({"frame_rate": 200.0, "clip_stride": stride}, fps)
    assert plan.gap == gap and plan.hop == 4 * gap and plan.frames == 8 * gap
    assert plan.training_seconds == pytest.approx(8 * stride / 200)
    if stride * fps / 200 >= 1:  # the frame rate allows it: the same seconds
        assert plan.seconds == pytest.approx(plan.training_seconds)
    else:
        assert "consecutive frames are used" in plan.describe()


def test_a_window_is_a_clip_as_the_cache_makes_it(synthetic_cache, synthetic_root, tmp_path):
    cache, _ = synthetic_cache
    video = read_videos(cache).iloc[0]
    assert video.stride == 3 and video.n_frames == 24  # frames 1, 4, ..., 22: one window
    checkpoint = write_checkpoint(tmp_path / "model.pt", clip_stride=3)
    model, _ = load_checkpoint(checkpoint)
    timeline = predict_timeline(
        model,
        FrameStream(synthetic_root / video.folder),
        CLASSES,
        timing={"frame_rate": 200.0, "clip_stride": 3},
        settings=PrepSettings(),
    )
    assert timeline.first.tolist() == [1] and timeline.last.tolist() == [22]
    data = ClipDataset(cache, subjects=[video.subject], train=False)
    row = int(np.flatnonzero((data.table.video_id == video.video_id) & (data.table.clip_index == 0))[0])
    with torch.no_grad():
        expected = model(data[row]["clip"][None]).logits[0].numpy()
    np.testing.assert_allclose(timeline.logits[0], expected, atol=1e-4)
    one = ClipDataset(cache, subjects=[video.subject], train=False)
    one.table = one.table[one.table.video_id == video.video_id]
    cached = dataset_statistics(one)[0]  # what training measures, from the cache
    np.testing.assert_allclose(timeline.statistics[0], [cached[s] for s in STATISTICS], rtol=1e-4, atol=1e-6)


def test_dlib_points_are_drawn_where_molkit_data_puts_them(small_cache, small_dataset, tmp_path):
    cache, _ = small_cache
    checkpoint = write_checkpoint(tmp_path / "model.pt", clip_stride=1)
    model, _ = load_checkpoint(checkpoint)
    timeline = predict_timeline(
        model,
        FrameStream(small_dataset / "sub01" / "EP01_01"),
        CLASSES,
        timing={"frame_rate": 200.0, "clip_stride": 1},
        settings=PrepSettings(),
    )
    assert timeline.first.tolist() == [1, 5, 9] and timeline.last.tolist() == [8, 12, 16]
    videos = read_videos(cache)
    cached = load_tensors(cache / videos[videos.video_id == "casme2/sub01/EP01_01"].file.iloc[0])
    marks, _ = window_figures(timeline)
    first = int(timeline.first[timeline.shown]) - 1
    for ax, k in zip(marks.axes, (1, 4, 7)):
        drawn = np.asarray(ax.collections[0].get_offsets())  # the "dlib" points, in crop pixels
        expected = cached["landmarks"][first + k].numpy() - 8  # the cache's, in the (8, 8) crop
        assert np.abs(drawn - expected).max() < 1.0


class Counting:
    """A FrameStream that counts how many of its frames are alive at once."""

    def __init__(self, stream):
        self.stream, self.alive, self.most = stream, [], 0

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def __iter__(self):
        for index, frame in self.stream:
            self.alive = [r for r in self.alive if r() is not None] + [weakref.ref(frame)]
            self.most = max(self.most, len(self.alive))
            yield index, frame
            del frame


def test_streaming_holds_a_window_and_names_the_frames_without_a_face(face_frames, tmp_path, capsys):
    frames = face_frames(30) + [np.full((160, 160, 3), 90, np.uint8)] * 30
    video = write_video(tmp_path / "face then wall.avi", frames)
    checkpoint = write_checkpoint(tmp_path / "model.pt", clip_stride=8)  # 0.32 s: 8 frames at 30 fps
    model, _ = load_checkpoint(checkpoint)
    stream = Counting(FrameStream(video))
    timeline = predict_timeline(
        model, stream, CLASSES, timing={"frame_rate": 200.0, "clip_stride": 8}, settings=PrepSettings()
    )
    assert stream.read == 60 and stream.most <= 8 + 2  # a window's frames, not the video's 60
    # the reference: windows of 8 consecutive frames every 4, over the 30 frames with a face
    assert timeline.first.tolist() == [s + 1 for s in range(0, 23, 4)]
    assert timeline.last.max() <= 30 and timeline.no_face_frames().tolist() == [[31, 60]]
    assert main(["predict", str(video), "--checkpoint", str(checkpoint), "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "no face found on frames 31-60 (30 of the 60 frames looked at)" in printed
    assert "6 windows, 0 outside the training range" in printed
    assert "whole recording" not in printed  # 2 s: not one trimmed sample


def test_a_frame_that_fails_to_decode_and_an_early_end_are_named(face_frames, tmp_path, capsys):
    folder = tmp_path / "frames"
    folder.mkdir()
    for t, frame in enumerate(face_frames(24), start=1):
        cv2.imwrite(str(folder / f"img{t}.jpg"), frame)
    (folder / "img18.jpg").write_bytes(b"not a jpeg")
    checkpoint = write_checkpoint(tmp_path / "model.pt", clip_stride=1)
    out = tmp_path / "p.npz"
    assert main(["predict", str(folder), "--checkpoint", str(checkpoint), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 frames fail to decode and are skipped: frames 18" in printed
    saved = np.load(out)
    # windows of 8 consecutive frames every 4; those holding frame 18 are skipped
    starts = [s + 1 for s in range(0, 17, 4) if not s < 18 <= s + 8]
    assert saved["window_first"].tolist() == starts == [1, 5, 9]
    video = write_video(tmp_path / "cut.avi", face_frames(40))
    data = video.read_bytes()
    video.write_bytes(data[: len(data) // 2])
    stream = FrameStream(video)
    read = sum(1 for _ in stream)
    assert stream.expected == 40 and 8 <= read < 40
    assert main(["predict", str(video), "--checkpoint", str(checkpoint), "--device", "cpu"]) == 0
    assert f"the video ends early: {read} frames read of the 40" in capsys.readouterr().out


def test_held_out_synthetic_subjects_are_rarely_flagged(tmp_path):
    """The flag rate on subjects of the training kind: the range measured on seven synthetic
    subjects' windows (the statistics training measures: see the cache test above), the flags
    counted on three others."""
    root = generate(tmp_path / "set", subjects=10, samples_per_subject=1, frames=12, seed=1, workers=1)
    model = MOL(MOLConfig(n_classes=5, flow=False, landmarks=False))
    timing = {"frame_rate": 200.0, "clip_stride": 1}

    def windows(subjects, ranges=None):
        found = []
        for subject in subjects:
            for sample in sorted((root / subject).iterdir()):
                timeline = predict_timeline(
                    model, FrameStream(sample), CLASSES, timing=timing, settings=PrepSettings(), ranges=ranges
                )
                found += list(zip(timeline.statistics, timeline.outside))
        return found

    subjects = [f"sub{i:02d}" for i in range(1, 11)]
    ranges = training_range([dict(zip(STATISTICS, s)) for s, _ in windows(subjects[:7])])
    held_out = windows(subjects[7:], ranges)
    rate = np.mean([bool(o) for _, o in held_out])
    print(f"held-out synthetic subjects: {rate:.0%} of {len(held_out)} windows outside the training range")
    assert len(held_out) == 6 and rate <= 0.1
