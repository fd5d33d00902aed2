"""The MEGC 2019 LBP-TOP baseline: one plane's block histograms against LBP codes computed by
hand on a tiny volume, and the LOSO method against scikit-learn's LinearSVC fitted by hand on
features recomputed from the cache's frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.svm import LinearSVC

from molkit.baselines import LBPTOPConfig, lbptop_features
from molkit.baselines.lbptop import PLANES, block_histograms, feature_file, n_codes, plane_codes
from molkit.cli import main
from molkit.data import cache as cache_files
from molkit.data import clips, read_videos
from molkit.model import MOLConfig
from molkit.train import LosoConfig, TrainConfig, plan_folds, run_loso
from molkit.train.loso import all_subjects


def bilinear(image: np.ndarray, r: float, c: float) -> float:
    r0, c0 = math.floor(r), math.floor(c)
    dr, dc = r - r0, c - c0
    value = 0.0
    for rr, wr in ((r0, 1 - dr), (r0 + 1, dr)):
        for cc, wc in ((c0, 1 - dc), (c0 + 1, dc)):
            if wr * wc:
                value += wr * wc * image[rr, cc]
    return value


def naive_uniform_code(image: np.ndarray, r: int, c: int, points: int, radius: int) -> int:
    """Ojala et al. 2002: the P neighbours on a circle (bilinear), s_p = g_p >= g_c; uniform
    (at most 2 circular 0/1 transitions): the number of ones, else P + 1."""
    bits = []
    for p in range(points):
        angle = 2 * math.pi * p / points
        g = bilinear(image, r - radius * math.sin(angle), c + radius * math.cos(angle))
        assert abs(g - image[r, c]) > 1e-3  # no near-tie: the comparison is unambiguous
        bits.append(int(g >= image[r, c]))
    transitions = sum(bits[p] != bits[(p + 1) % points] for p in range(points))
    return sum(bits) if transitions <= 2 else points + 1


def test_xt_block_histograms_equal_codes_counted_by_hand():
    config = LBPTOPConfig(mapping="uniform", blocks=2)
    volume = np.random.default_rng(0).integers(0, 1_000_000, size=(6, 7, 8))  # T, H, W
    T, H, W = volume.shape
    r = config.radius
    counts = np.zeros((2, 2, n_codes(config)))
    ys, xs = range(r, H - r), range(r, W - r)
    # inner (y, x) split in 2 x 2 near-equal blocks: 5 rows -> 0..2 | 2..5 (linspace rounds 2.5 to 2)
    row_block = {y: int((y - r) >= round((H - 2 * r) / 2)) for y in ys}
    col_block = {x: int((x - r) >= round((W - 2 * r) / 2)) for x in xs}
    for y in ys:
        plane = volume[:, y, :].astype(float)  # rows t, columns x
        for t in range(r, T - r):
            for x in xs:
                counts[row_block[y], col_block[x], naive_uniform_code(plane, t, x, 8, r)] += 1
    expected = (counts / counts.sum(axis=2, keepdims=True)).reshape(4, -1)
    got = block_histograms(plane_codes(volume, "XT", config), config)
    np.testing.assert_allclose(got, expected)
    features = lbptop_features(volume, config)
    per_plane = 4 * n_codes(config)
    assert features.shape == (3 * per_plane,) and PLANES.index("XT") == 1
    np.testing.assert_allclose(features[per_plane : 2 * per_plane], expected.ravel(), rtol=1e-6)
    # each plane's histograms sum to one per block; planes differ
    assert np.allclose(features.reshape(3, 4, -1).sum(axis=2), 1)
    assert not np.allclose(features[:per_plane], features[per_plane : 2 * per_plane])


def test_a_volume_too_thin_for_the_radius_is_refused():
    with pytest.raises(ValueError, match="larger than 2 voxels"):
        lbptop_features(np.zeros((2, 9, 9), np.uint8), LBPTOPConfig())
    with pytest.raises(ValueError, match="mapping must be"):
        LBPTOPConfig(mapping="ror")


def test_lbptop_loso_is_a_linear_svm_on_features_kept_beside_the_cache(
    synthetic_cache, tmp_path, monkeypatch
):
    cache, _ = synthetic_cache
    config = LosoConfig(
        method="lbptop",
        protocol="fixed",
        model=MOLConfig(n_classes=5),
        train=TrainConfig(seed=0),
        profile="test",
    )
    result = run_loso(config, cache, tmp_path / "run", progress=False)
    videos = read_videos(cache)
    folds = plan_folds("fixed", all_subjects(config, cache))
    assert sorted(result.clips.fold.unique()) == [f.test_subject for f in folds]
    assert len(result.clips) == len(videos) == 15  # every video, one row each
    by_video = {}
    for video in videos.itertuples():
        frames = np.asarray(cache_files.load_tensors(cache / video.file)["frames"])
        by_video[video.video_id] = lbptop_features(clips.crop(frames, clips.TEST_OFFSET), config.lbptop)
        assert feature_file(cache, video.file, config.lbptop).is_file()
    for fold in folds:
        train = result.clips[result.clips.fold != fold.test_subject]  # the other subjects' videos
        test = result.clips[result.clips.fold == fold.test_subject]
        svm = LinearSVC(C=1.0, dual=True, max_iter=10000, random_state=0)
        svm.fit(np.stack([by_video[v] for v in train.video_id]), train.label)
        np.testing.assert_array_equal(test.pred, svm.predict(np.stack([by_video[v] for v in test.video_id])))
    summary = result.summary.set_index("level")
    assert summary.loc["video", "method"] == "LBP-TOP (linear SVM)" and summary.loc["video", "n"] == 15
    # a second run reads the kept features: computing them again would fail here
    monkeypatch.setattr("molkit.baselines.lbptop.lbptop_features", lambda *a: 1 / 0)
    again = run_loso(config, cache, tmp_path / "again", progress=False)
    assert again.clips.pred.tolist() == result.clips.pred.tolist()


def test_lbptop_from_the_command_line(small_cache, tmp_path, capsys):
    cache, _ = small_cache
    status = main(["loso", "--model", "lbptop", "--cache", str(cache), "--out", str(tmp_path), "--quiet"])
    assert status == 0
    assert "LBP-TOP (linear SVM): fixed (last weights)" in capsys.readouterr().out
    collapse = pd.read_csv(tmp_path / "collapse.csv")
    # every small_cache video is happiness: a constant predictor of it, every video kept
    assert (
        collapse.fold.tolist() == ["sub01", "sub02", "pooled"] and (collapse.predicted == "happiness").all()
    )
    assert len(pd.read_csv(tmp_path / "summary.csv").query("level == 'video'")) == 1
