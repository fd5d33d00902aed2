"""The clip's span (``PrepSettings.span``): ``"onset-apex"`` prepares one clip of 8 frames evenly
spaced from the coded onset to the apex (frames repeated where there are fewer), checked against a
naive rule from the sheet's frame numbers, with the ground truth of exactly those frames; a video
without onset or apex is one skipped problem; the default keys its cache as before the field
existed. The twin's ``frame_spacing`` ``"apex-halves"`` renders half its frames up to the apex."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from molkit.cli import main as molkit_main
from molkit.data import ClipDataset, PrepSettings, cache, prepare, read_dataset, read_videos
from molkit.data.alignment import warp
from molkit.data.pipeline import _used_frames
from molkit.data.truth import sample_truth, true_flow, true_landmarks
from molkit.data.tvl1 import DRAFT_EPSILON
from molkit.synthetic.layout import LAYOUTS
from molkit.synthetic.twin import TwinConfig, frame_numbers, generate_twin
from molkit.train.checkpoint import dataset_timing

SPAN = PrepSettings(span="onset-apex", tvl1_epsilon=DRAFT_EPSILON)  # these tests read no flow values
# PrepSettings().to_dict() before the span existed: the default's cache key must not move
TODAY = {
    "align_size": 144,
    "alignment": "frame",
    "box_enlarge": 2.5,
    "detector_large_face": 150,
    "detector_upsample": 1,
    "flow_dtype": "float16",
    "version": 1,
}


def number(path: str) -> int:
    return int(Path(path).stem.removeprefix("img"))


def naive_span(row: dict) -> list[str]:
    """8 files from the onset's to the apex's, each at the nearest position to an even split."""
    paths = sorted(row["frame_paths"], key=number)
    first, last = [[number(p) for p in paths].index(int(row[k])) for k in ("onset", "apex")]
    return [paths[first + int(k * (last - first) / 7 + 0.5)] for k in range(8)]


def video_file(cache_dir: Path, video_id: str) -> Path:
    return cache_dir / read_videos(cache_dir).set_index("video_id").loc[video_id, "file"]


@pytest.fixture(scope="module")
def casme_like(tmp_path_factory, face_frames, write_casme_like):
    """Three videos: onset..apex of 8 frames not at the start, of 3 frames, and no apex."""

    def row(sample, onset, apex, offset):
        return {
            "Subject": "01",
            "Filename": sample,
            "OnsetFrame": onset,
            "ApexFrame": apex,
            "OffsetFrame": offset,
            "Action Units": "12",
            "Estimated Emotion": "happiness",
        }

    root = write_casme_like(
        tmp_path_factory.mktemp("span") / "data",
        {"sub01/EP01_01": face_frames(12), "sub01/EP02_01": face_frames(8), "sub01/EP03_01": face_frames(8)},
        [row("EP01_01", 3, 10, 12), row("EP02_01", 2, 4, 8), row("EP03_01", 1, "/", 8)],
    )
    out = root.parent
    draft = PrepSettings(tvl1_epsilon=DRAFT_EPSILON)
    return (
        root,
        (out / "video", prepare("casme2", root, out / "video", draft, workers=1, progress=False)),
        (out / "span", prepare("casme2", root, out / "span", SPAN, workers=1, progress=False)),
    )


def test_onset_apex_uses_the_naive_rules_frames_as_one_clip(casme_like):
    root, _, (cache_dir, report) = casme_like
    rows = read_dataset("casme2", root).table.set_index("video_id")
    assert sorted(report.prepared) == ["casme2/sub01/EP01_01", "casme2/sub01/EP02_01"]
    for video_id, expected in (
        ("casme2/sub01/EP01_01", range(3, 11)),
        ("casme2/sub01/EP02_01", (2, 2, 3, 3, 3, 3, 4, 4)),
    ):
        row = {"video_id": video_id, **rows.loc[video_id].to_dict()}
        paths = naive_span(row)
        assert [number(p) for p in paths] == list(expected)  # the rule itself, by hand
        assert _used_frames(row, SPAN).paths == paths
        data = cache.load_tensors(video_file(cache_dir, video_id))
        # the file's key hashes the names and bytes of the frames prepared: exactly these
        assert data["key"] == cache.cache_key(paths, SPAN.to_dict(), {"truth": False, "onset_apex": [0, 7]})
        aligned = [
            warp(cv2.imread(p, cv2.IMREAD_GRAYSCALE), m) for p, m in zip(paths, data["matrices"].numpy())
        ]
        np.testing.assert_array_equal(np.stack(aligned), data["frames"].numpy())
        assert data["stride"] == 1 and data["onset_apex"].tolist() == [0, 7]
        frames = data["frames"].numpy()  # the onset->apex flow: from the clip's first to its last
        np.testing.assert_allclose(
            data["apex_flow"].permute(1, 2, 0).float().numpy(), SPAN.flow(frames[0], frames[7]), atol=2e-3
        )
    videos = read_videos(cache_dir)
    assert videos.stride.tolist() == [1, 1] and videos.n_clips.tolist() == [1, 1] and videos.apex_flow.all()
    clips = ClipDataset(cache_dir, train=False)
    assert len(clips) == 2 and clips.table.clip_index.tolist() == [0, 0]


def test_the_prepare_command_takes_the_span(casme_like, tmp_path):
    root, _, (span_cache, _) = casme_like
    argv = ["prepare", "--dataset", "casme2", "--root", str(root), "--cache", str(tmp_path)]
    assert molkit_main([*argv, "--span", "onset-apex", "--workers", "1", "--no-progress"]) == 0
    assert PrepSettings.load(tmp_path / cache.SETTINGS_JSON).span == "onset-apex"
    made, fixture = read_videos(tmp_path), read_videos(span_cache)
    assert made.video_id.tolist() == fixture.video_id.tolist() and made.stride.tolist() == [1, 1]


def test_a_video_without_onset_or_apex_is_one_skipped_problem(casme_like):
    _, (video_cache, _), (span_cache, report) = casme_like
    problems = pd.read_csv(span_cache / "problems.csv")
    mine = problems[problems.video_id == "casme2/sub01/EP03_01"]
    assert mine.kind.tolist() == ["sheet_value", "no_onset_apex_clip"]  # the reader's, then this one
    problem = mine.iloc[1]
    assert problem.action == "skipped"
    assert "\n" not in problem.message and problem.message.startswith(
        "no onset..apex clip: apex is not coded"
    )
    assert problem["where"].endswith("sub01/EP03_01")
    assert "no_onset_apex_clip" in report.skipped["casme2/sub01/EP03_01"]
    assert "casme2/sub01/EP03_01" not in set(read_videos(span_cache).video_id)
    # the whole video's span keeps it, without an onset->apex flow, as before
    kept = pd.read_csv(video_cache / "problems.csv")
    assert kept.kind[kept.video_id == "casme2/sub01/EP03_01"].tolist() == ["sheet_value", "no_apex_flow"]
    assert len(read_videos(video_cache)) == 3


def test_the_default_span_keys_the_cache_as_before(casme_like):
    root, (cache_dir, _), _ = casme_like
    assert PrepSettings().to_dict() == TODAY == PrepSettings(span="video").to_dict()
    assert PrepSettings(span="onset-apex").to_dict() == {**TODAY, "span": "onset-apex"}
    assert PrepSettings.from_dict(TODAY) == PrepSettings()
    with pytest.raises(ValueError, match="span"):
        PrepSettings(span="apex")
    settings = json.loads((cache_dir / "settings.json").read_text())
    assert settings == {**TODAY, "tvl1_epsilon": DRAFT_EPSILON}
    rows = read_dataset("casme2", root).table.set_index("video_id")
    for video_id, onset_apex in (
        ("casme2/sub01/EP01_01", None),  # apex img10 is not among the first 8 frames
        ("casme2/sub01/EP02_01", [1, 3]),
        ("casme2/sub01/EP03_01", None),
    ):
        paths = rows.loc[video_id, "frame_paths"][:8]  # stride n // 8 = 1: the first 8 frames
        key = cache.cache_key(paths, settings, {"truth": False, "onset_apex": onset_apex})
        assert video_file(cache_dir, video_id).name == f"{video_id.replace('/', '__')}.{key}.pt"


def test_smic_onset_apex_clip_ends_at_the_frame_nearest_the_middle():
    """SMIC codes no apex: the clip ends at the frame nearest the middle of onset..offset."""
    numbers = [100, 104, 108, 113, 117, 121, 126, 130, 134]
    row = {"dataset": "smic", "onset": 104, "apex": None, "offset": 134, "n_frames": 9}
    row["frame_paths"] = [f"/x/image{n:06d}.bmp" for n in numbers]
    used = _used_frames(row, SPAN)
    assert used.positions == [1, 1, 2, 2, 3, 3, 4, 4]  # 104..117: 119 is the middle, 117 nearest
    assert (used.step, used.onset_apex) == (1, (0, 7))


def prepared_twin(folder: Path, config: TwinConfig, settings: PrepSettings):
    """A two-row CASME II twin drawn as ``config`` says in ``folder``, prepared as ``settings`` say."""
    keys = ("subject", "sample", "onset", "apex", "offset", "action_units", "emotion")
    rows = [("01", "EP01_01", 10, 20, 40, "12", "happiness"), ("01", "EP02_01", 5, 8, 30, "4", "others")]
    LAYOUTS["casme2"].write_sheet(folder / "sheets", [dict(zip(keys, r)) for r in rows])
    root, cache_dir = folder / "twin", folder / "cache"
    generate_twin(root, "casme2", config, sheets=folder / "sheets", workers=1)
    return root, cache_dir, prepare("casme2", root, cache_dir, settings, workers=1, progress=False)


@pytest.fixture(scope="module")
def span_twin(tmp_path_factory):
    """16 frames a sample, half of them up to the apex, prepared with the onset-apex span."""
    config = TwinConfig(frames=16, frame_spacing="apex-halves", blink_rate_per_min=0.0)
    return prepared_twin(tmp_path_factory.mktemp("span_twin"), config, SPAN)


def test_onset_apex_truth_is_that_of_the_clips_frames(span_twin):
    root, cache_dir, report = span_twin
    assert len(report.prepared) == 2
    rows = read_dataset("casme2", root).table.set_index("video_id")
    for video_id in report.prepared:
        row = {"video_id": video_id, **rows.loc[video_id].to_dict()}
        sample = row["folder"]
        all_paths = sorted(row["frame_paths"], key=number)
        positions = [all_paths.index(p) for p in naive_span(row)]
        truth = sample_truth(root, sample)
        assert (positions[0], positions[-1]) == (truth["onset"], truth["apex"])
        data = cache.load_tensors(video_file(cache_dir, video_id))
        matrices = data["matrices"].numpy()
        # landmarks: the truth file's at those positions, carried by each frame's map
        marks = true_landmarks(root, sample)[positions]
        carried = np.einsum("tij,tkj->tki", matrices[:, :, :2], marks) + matrices[:, None, :, 2]
        np.testing.assert_allclose(data["true_landmarks"].numpy(), carried, atol=1e-3)
        # flows: pair k from the truth between positions k and k+1, at a few aligned pixels
        stored = data["true_flow"].permute(0, 2, 3, 1).numpy()
        assert stored.shape == (7, 144, 144, 2)
        pixels = np.array([[40.0, 50.0], [72.0, 72.0], [60.0, 100.0], [90.0, 110.0]])
        for k in range(7):
            raw = (pixels - matrices[k][:, 2]) @ np.linalg.inv(matrices[k][:, :2]).T
            moved = raw + true_flow(root, sample, positions[k], positions[k + 1], points=raw)
            expected = moved @ matrices[k + 1][:, :2].T + matrices[k + 1][:, 2] - pixels
            got = stored[k, pixels[:, 1].astype(int), pixels[:, 0].astype(int)]
            np.testing.assert_allclose(got, expected, atol=1e-3)
        assert np.abs(stored).max() > 0.05  # the expression moves within the clip
    with_truth = ClipDataset(cache_dir, train=False, with_truth=True)
    item = with_truth[0]
    assert len(with_truth) == 2 and item["true_flow"].shape == (7, 2, 128, 128)


def naive_gap(numbers: list[int], step: int) -> int:
    """The recorded frames between a clip's frames ``step`` apart: the median difference, by a loop."""
    gaps = [
        numbers[k + step] - numbers[k] for k in range(len(numbers) - step) if numbers[k + step] > numbers[k]
    ]
    return round(statistics.median(gaps))


def test_the_frame_gap_counts_recorded_frames_between_a_clips_frames():
    """A copy that holds every frame: the stride; a twin's few rendered frames: the gaps between
    their numbers; names without numbers: the stride."""
    settings = PrepSettings()
    twin8 = frame_numbers(46, 59, 86, 8)
    twin16 = frame_numbers(46, 59, 86, 16, spacing="apex-halves")
    for numbers, stride, gap in (
        (list(range(1, 41)), 5, 5),
        (twin8, 1, naive_gap(twin8, 1)),
        (twin16, 2, naive_gap(twin16[:16], 2)),
    ):
        row = {"dataset": "casme2", "onset": 46, "apex": 59, "n_frames": len(numbers)}
        row["frame_paths"] = [f"/x/img{n}.jpg" for n in numbers]
        used = _used_frames(row, settings)
        assert (used.step, used.frame_gap()) == (stride, gap)
    assert naive_gap(twin8, 1) > 1  # the twin's frames are not consecutive
    row = {"dataset": "casme2", "onset": 1, "apex": 2, "n_frames": 16, "frame_paths": ["/x/a.jpg"] * 16}
    assert _used_frames(row, settings).frame_gap() == 2


def test_a_checkpoint_records_the_clips_timing_in_recorded_frames(casme_like, tmp_path):
    """What ``molkit predict`` reads to time its windows: consecutive frames on a copy that holds
    every frame, the gaps between a twin's rendered frames on a twin."""
    _, (video_cache, _), _ = casme_like
    videos = read_videos(video_cache)
    assert (videos.frame_gap == videos.stride).all()
    older = tmp_path / "older"  # a cache from before the column: its stride stands in
    older.mkdir()
    videos.drop(columns="frame_gap").to_csv(older / cache.VIDEOS_CSV, index=False)
    assert read_videos(older).frame_gap.tolist() == videos.stride.tolist()
    timing = dataset_timing(ClipDataset(video_cache, train=False))
    assert timing == {"frame_rate": 200.0, "clip_stride": int(videos.stride.median()), "datasets": ["casme2"]}
    config = TwinConfig(blink_rate_per_min=0.0)  # 8 frames from onset to offset, the whole-video clip
    root, cache_dir, _ = prepared_twin(tmp_path, config, PrepSettings(tvl1_epsilon=DRAFT_EPSILON))
    videos = read_videos(cache_dir)
    rows = read_dataset("casme2", root).table.set_index("video_id")
    gaps = [naive_gap([number(p) for p in rows.loc[v, "frame_paths"]], 1) for v in videos.video_id]
    assert videos.stride.tolist() == [1, 1] and videos.frame_gap.tolist() == gaps and min(gaps) > 1
    assert dataset_timing(ClipDataset(cache_dir, train=False))["clip_stride"] == int(np.median(gaps))


def test_apex_halves_renders_half_the_frames_up_to_the_apex():
    for onset, apex, offset in ((10, 20, 40), (5, 8, 30), (46, 59, 86), (10, 10, 40), (0, 70, 71)):
        numbers = frame_numbers(onset, apex, offset, 16, spacing="apex-halves")
        assert numbers == sorted(set(numbers)) and len(numbers) == 16
        assert numbers[0] == onset and apex in numbers and numbers[-1] >= offset
        assert sum(n <= apex for n in numbers) == min(8, apex - onset + 1)
    assert "frame_spacing" not in TwinConfig().to_dict()  # earlier twins' config.json unchanged
    assert TwinConfig(frame_spacing="apex-halves").to_dict()["frame_spacing"] == "apex-halves"
    with pytest.raises(ValueError, match="frame_spacing"):
        TwinConfig(frame_spacing="odd").validate()
