"""Onset->apex flow in the preparation cache: the coded frames, TV-L1 as OpenCV computes it on
the cached aligned frames, and videos whose onset/apex cannot be used kept and reported."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from molkit.data import PrepSettings, cache, prepare, read_videos
from molkit.data.pipeline import cache_prep_settings
from molkit.data.tvl1 import DRAFT_EPSILON
from molkit.synthetic import sample_truth


def test_cached_onset_apex_flow_is_tvl1_between_the_coded_frames(synthetic_cache, synthetic_root):
    cache_dir, report = synthetic_cache
    videos = read_videos(cache_dir)
    assert videos.apex_flow.all() and len(videos) == report.usable == 15
    epsilon = cache_prep_settings(cache_dir).tvl1_epsilon  # the cache's solver
    solver = cv2.optflow.DualTVL1OpticalFlow_create(epsilon=epsilon)
    for video in videos.head(3).itertuples():
        data = cache.load_tensors(cache_dir / video.file)
        truth = sample_truth(synthetic_root, f"{video.subject}/{video.sample}")
        onset, apex = data["onset_apex"].tolist()
        assert (onset, apex) == (truth["onset"], truth["apex"])  # 0-based frame positions
        frames = data["frames"].numpy()
        expected = solver.calc(frames[onset], frames[apex], None)
        assert data["apex_flow"].shape == (2, 144, 144)
        np.testing.assert_allclose(
            data["apex_flow"].permute(1, 2, 0).float().numpy(), expected, atol=2e-3
        )  # float16 storage
        assert np.abs(expected).max() > 0.1  # the expression moves between the two frames


def test_bad_onset_or_apex_is_named_and_the_video_kept(tmp_path, face_frames, write_casme_like):
    def row(sample, onset, apex):
        return {
            "Subject": "01",
            "Filename": sample,
            "OnsetFrame": onset,
            "ApexFrame": apex,
            "OffsetFrame": 8,
            "Action Units": "12",
            "Estimated Emotion": "happiness",
        }

    root = write_casme_like(
        tmp_path / "data",
        {f"sub01/EP0{k}_01": face_frames(8) for k in range(1, 5)},
        [row("EP01_01", 1, "/"), row("EP02_01", 5, 3), row("EP03_01", 1, 20), row("EP04_01", 2, 6)],
    )
    cache_dir = tmp_path / "cache"
    draft = PrepSettings(tvl1_epsilon=DRAFT_EPSILON)  # what is checked here does not read the flows
    prepare("casme2", root, cache_dir, draft, workers=2, progress=False)
    videos = read_videos(cache_dir).set_index("sample")
    assert len(videos) == 4  # every video kept for MOL
    assert videos.apex_flow.to_dict() == {
        "EP01_01": False,
        "EP02_01": False,
        "EP03_01": False,
        "EP04_01": True,
    }
    problems = pd.read_csv(cache_dir / "problems.csv")
    missing = problems[problems.kind == "no_apex_flow"].set_index("video_id")
    assert sorted(missing.index) == [f"casme2/sub01/EP0{k}_01" for k in (1, 2, 3)]
    assert (missing.action == "kept").all()
    assert "apex is not coded" in missing.loc["casme2/sub01/EP01_01", "message"]
    assert "apex 3 is not after onset 5" in missing.loc["casme2/sub01/EP02_01", "message"]
    assert "apex frame 20 is not among the 8 frames" in missing.loc["casme2/sub01/EP03_01", "message"]
    assert missing.loc["casme2/sub01/EP03_01", "where"].endswith("sub01/EP03_01")
    good = cache.load_tensors(cache_dir / videos.loc["EP04_01", "file"])
    assert good["onset_apex"].tolist() == [1, 5]  # img2 -> img6
    bad = cache.load_tensors(cache_dir / videos.loc["EP01_01", "file"])
    assert "apex_flow" not in bad
    # a rerun reuses the cache and reports the same problems
    again = prepare("casme2", root, cache_dir, draft, workers=1, progress=False)
    assert len(again.reused) == 4
    assert sum(p.kind == "no_apex_flow" for p in again.problems) == 3


def test_smic_apex_is_the_prepared_frame_nearest_the_middle():
    """SMIC codes no apex: the frame nearest the middle of onset..offset (the folder's first and
    last frames where those are not coded either), found among the frames prepared for clips."""
    from molkit.data.apex import onset_apex_positions

    numbers = [100, 104, 108, 113, 117, 121, 126, 130]
    row = {"dataset": "smic", "onset": 100, "apex": None, "offset": 130}
    row["frame_paths"] = [f"/x/image{n:06d}.bmp" for n in numbers]
    middle = min(numbers, key=lambda n: (abs(n - 115), n))
    assert onset_apex_positions(row, 8) == (0, numbers.index(middle))
    assert onset_apex_positions({**row, "onset": None, "offset": None}, 8) == (0, numbers.index(middle))
    # another dataset without an apex still has none
    assert onset_apex_positions({**row, "dataset": "casme2"}, 8) == "apex is not coded"
