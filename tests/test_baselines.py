"""The onset->apex baselines: STSTNet's layers against the paper's layer list, optical strain on
analytic flows, the linear baseline against scikit-learn run by hand, and both through the same
LOSO folds, protocols and tables as MOL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from molkit.baselines import (
    STSTNet,
    STSTNetConfig,
    VideoFeatures,
    apex_features,
    optical_strain,
    train_ststnet,
    video_features,
)
from molkit.baselines.features import _apex_file_features
from molkit.cli import main
from molkit.data.cache import save_tensors
from molkit.model import MOLConfig
from molkit.train import LosoConfig, TrainConfig, plan_folds, run_loso
from molkit.train.loso import all_subjects, open_clips

BASE = LosoConfig(
    protocol="fixed",
    model=MOLConfig(n_classes=5),
    train=TrainConfig(seed=3),
    profile="test",
    ststnet=STSTNetConfig(steps=40, eval_every=10),
)


@pytest.mark.parametrize("n_classes", [3, 5])
def test_ststnet_shapes_and_parameter_count(n_classes):
    # the paper's layers: three 3x3 convolutions over 3 input channels with 3, 5 and 8 filters
    # (weights and biases), batch normalisation after each (scale and shift per filter), and one
    # fully connected layer from 5 x 5 x 16 = 400 pooled values to the classes
    convolutions = (3 * 3 * 3 * 3 + 3) + (5 * 3 * 3 * 3 + 5) + (8 * 3 * 3 * 3 + 8)  # 448
    batch_norm = 2 * (3 + 5 + 8)  # 32
    dense = 400 * n_classes + n_classes
    model = STSTNet(n_classes)
    assert sum(p.numel() for p in model.parameters()) == convolutions + batch_norm + dense
    seen = {}
    model.pool.register_forward_hook(lambda m, args, out: seen.update(before=args[0].shape, after=out.shape))
    out = model(torch.randn(4, 3, 28, 28))
    assert out.shape == (4, n_classes)
    assert seen == {"before": (4, 16, 10, 10), "after": (4, 16, 5, 5)}
    assert [s[0].out_channels for s in model.streams] == [3, 5, 8]


def test_optical_strain_of_analytic_flows():
    y, x = np.mgrid[0:40, 0:40].astype(np.float64)
    inner = (slice(1, -1), slice(1, -1))
    stretch = np.stack([0.3 * x, np.zeros_like(x)])  # u_x = 0.3
    assert np.allclose(optical_strain(stretch), 0.3)
    shear = np.stack([0.2 * y, np.zeros_like(x)])  # u_y = 0.2: strain 0.2 / sqrt(2)
    assert np.allclose(optical_strain(shear)[inner], 0.2 / np.sqrt(2))
    rotation = np.stack([-0.1 * y, 0.1 * x])  # a rigid rotation does not strain
    assert np.allclose(optical_strain(rotation)[inner], 0.0)


def test_apex_features_of_uniform_and_stretching_flows():
    flow = np.zeros((2, 144, 144), np.float32)
    flow[0] = 1.28  # 1.28 px on the 128 px crop = 0.28 px on the 28 px grid
    features = apex_features(flow)
    assert features.shape == (3, 28, 28) and features.dtype == np.float32
    np.testing.assert_allclose(features[0], 0.28, rtol=1e-6)
    np.testing.assert_allclose(features[1:], 0.0, atol=1e-7)
    x = np.arange(144, dtype=np.float32)[None, :].repeat(144, 0)
    features = apex_features(np.stack([0.01 * x, np.zeros_like(x)]))
    np.testing.assert_allclose(features[2], 0.01, rtol=1e-4)  # strain is unitless: kept as is
    # u grows by 0.01 px per pixel on every grid: 0.01 x (128 / 28) px per 28 px cell, x 28 / 128
    step = np.diff(features[0], axis=1)
    assert step.mean() == pytest.approx(0.01, rel=1e-3)
    np.testing.assert_allclose(step, 0.01, rtol=0.02)  # area averaging over 4.57 px cells


def test_apex_features_are_computed_once_per_version_of_a_cache_file(tmp_path):
    flows = np.random.default_rng(2).normal(0, 1, (2, 2, 144, 144)).astype(np.float16)
    for flow in flows:  # the second replaces the first, as a new preparation would
        save_tensors(tmp_path / "videos" / "a.pt", {"apex_flow": torch.from_numpy(flow)})
        got = _apex_file_features(tmp_path, "videos/a.pt")
        np.testing.assert_array_equal(got, apex_features(torch.from_numpy(flow)))
    assert _apex_file_features(tmp_path, "videos/a.pt") is got and not got.flags.writeable
    save_tensors(tmp_path / "videos" / "b.pt", {"frames": torch.zeros(8, 144, 144)})
    assert _apex_file_features(tmp_path, "videos/b.pt") is None
    with pytest.raises(ValueError, match="c.pt: not a readable molkit cache file"):
        _apex_file_features(tmp_path, "videos/c.pt")


def test_ststnet_fits_separable_features():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 8)
    features = rng.normal(0, 0.01, (24, 3, 28, 28)).astype(np.float32)
    for c in range(3):  # each class moves another band of the face
        features[labels == c, 0, 9 * c : 9 * c + 9] += 0.05
    data = VideoFeatures(
        pd.DataFrame({"subject": "s", "video_id": [str(i) for i in range(24)], "label": labels}), features
    )
    model = train_ststnet(STSTNetConfig(steps=150, batch_size=8, lr=5e-3), data, 3, seed=0, device="cpu")
    with torch.no_grad():
        pred = model(torch.as_tensor(features)).argmax(1).numpy()
    assert (pred == labels).mean() == 1.0


@pytest.fixture(scope="module")
def synthetic_loso(synthetic_cache, tmp_path_factory):
    cache, _ = synthetic_cache
    out = tmp_path_factory.mktemp("baselines")
    runs = {
        (method, protocol): run_loso(
            BASE.replace(method=method, protocol=protocol),
            cache,
            out / f"{method}-{protocol}",
            progress=False,
        )
        for method, protocol in [("linear", "fixed"), ("ststnet", "fixed"), ("ststnet", "released")]
    }
    return cache, runs


def test_linear_baseline_is_scikit_learn_on_the_same_folds(synthetic_loso):
    cache, runs = synthetic_loso
    result = runs["linear", "fixed"]
    folds = plan_folds("fixed", all_subjects(BASE, cache))  # MOL's folds
    assert sorted(result.clips.fold.unique()) == [f.test_subject for f in folds]
    assert len(result.clips) == 15 and (result.clips.fold == result.clips.subject).all()
    for fold in folds:
        train = video_features(open_clips(BASE, cache, fold.train_subjects, False))
        test = video_features(open_clips(BASE, cache, (fold.test_subject,), False))
        by_hand = make_pipeline(
            StandardScaler(), LogisticRegression(C=BASE.linear.C, max_iter=BASE.linear.max_iter)
        )
        by_hand.fit(train.features.reshape(len(train), -1), train.labels)
        got = (
            result.clips[result.clips.fold == fold.test_subject]
            .set_index("video_id")
            .loc[test.table.video_id]
        )
        assert list(got.label) == list(test.labels)
        x = test.features.reshape(len(test), -1)
        np.testing.assert_array_equal(got.pred, by_hand.predict(x))
        logits = got[[f"logit_{c}" for c in by_hand.classes_]].to_numpy()
        np.testing.assert_allclose(np.exp(logits), by_hand.predict_proba(x), atol=1e-6)
    summary = result.summary.set_index("level")
    assert summary.loc["video", "method"] == "linear (logistic regression)"
    assert summary.loc["video", "n"] == summary.loc["clip", "n"] == 15  # one prediction per video
    assert summary.flow_width.isna().all()
    assert result.label.startswith("linear (logistic regression): fixed (last weights) | profile test")


def test_ststnet_under_test_set_selection_scores_at_least_the_last_weights(synthetic_loso):
    _, runs = synthetic_loso
    fixed, released = runs["ststnet", "fixed"], runs["ststnet", "released"]
    assert released.label.startswith("STSTNet: released (test-set selection)")
    per_fold = {
        name: r.per_fold[r.per_fold.level == "video"].set_index("fold").accuracy
        for name, r in (("fixed", fixed), ("released", released))
    }
    # same seed, same batches: released keeps the best of the scored steps, the last among them
    assert (per_fold["released"] >= per_fold["fixed"]).all()
    assert len(fixed.videos) == 15 and fixed.collapse.fold.tolist()[-1] == "pooled"


def test_linear_from_the_command_line(small_cache, tmp_path, capsys):
    cache, _ = small_cache
    status = main(
        [
            "loso",
            "--model",
            "linear",
            "--cache",
            str(cache),
            "--out",
            str(tmp_path),
            "--profile",
            "smoke",
            "--quiet",
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "linear (logistic regression): fixed (last weights) | profile smoke" in out
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert set(summary.method) == {"linear (logistic regression)"}
    collapse = pd.read_csv(tmp_path / "collapse.csv")
    assert collapse.fold.tolist() == ["sub01", "sub02", "pooled"]
    # every small_cache video is happiness: a constant predictor of it, nothing collapsed
    assert (collapse.predicted == "happiness").all() and not collapse.single_class.any()
