"""Reference rows against hand computations: chance and majority class against scikit-learn on
a hand-made LOSO, flow and landmark references against naive loops over the test clips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from molkit.data import ClipDataset, cache, loso_folds, read_videos
from molkit.model import MOLConfig
from molkit.train import LosoConfig
from molkit.train.references import (
    CHANCE,
    MAJORITY,
    chance_scores,
    class_references,
    error_references,
    majority_scores,
)


def test_majority_class_of_each_fold_against_scikit_learn():
    videos = pd.DataFrame(
        {"subject": ["A", "A", "A", "B", "B", "C", "C", "C"], "label": [0, 0, 1, 0, 2, 1, 1, 2]}
    )
    # by hand: fold A trains on B, C (labels 0 2 1 1 2: 1 and 2 tie, the first wins) -> 1;
    # fold B trains on A, C (0 0 1 1 1 2) -> 1; fold C trains on A, B (0 0 1 0 2) -> 0
    truth = [0, 0, 1, 0, 2, 1, 1, 2]
    pred = [1, 1, 1, 1, 1, 0, 0, 0]
    got = majority_scores(videos, loso_folds(["A", "B", "C"]), 3)
    assert got["accuracy"] == pytest.approx(accuracy_score(truth, pred)) == pytest.approx(1 / 8)
    assert got["uar"] == pytest.approx(balanced_accuracy_score(truth, pred))
    assert got["uf1"] == pytest.approx(f1_score(truth, pred, average="macro"))


def test_chance_is_the_expected_confusion_of_uniform_guessing():
    labels = [0, 0, 0, 1, 1, 1, 2, 2]
    got = chance_scores(labels, 3)
    share = np.array([3, 3, 2]) / 8  # precision of guessing class c = its share of the videos
    f1 = 2 * share * (1 / 3) / (share + 1 / 3)
    assert got["accuracy"] == pytest.approx(1 / 3) and got["uar"] == pytest.approx(1 / 3)
    assert got["uf1"] == pytest.approx(f1.mean())
    assert got["wf1"] == pytest.approx((share * f1).sum())
    assert chance_scores([0, 1, 2, 3, 4] * 3, 5)["uf1"] == pytest.approx(0.2)


@pytest.fixture(scope="module")
def config():
    return LosoConfig(model=MOLConfig(n_classes=5), eval_batch_size=4)


def test_class_references_on_the_synthetic_set(synthetic_cache, config):
    cache_dir, _ = synthetic_cache
    table = class_references(config, cache_dir).set_index("reference")
    # every subject shows each of the five classes once: chance 0.2; each fold's training
    # subjects hold two of every class, so the first class (surprise) is predicted everywhere
    assert table.loc[CHANCE, ["accuracy", "uf1", "uar"]].tolist() == pytest.approx([0.2] * 3)
    assert table.loc[MAJORITY, "n"] == 15
    assert table.loc[MAJORITY, "accuracy"] == pytest.approx(3 / 15)
    assert table.loc[MAJORITY, "uf1"] == pytest.approx((2 * 0.2 * 1 / 1.2) / 5)


def test_error_references_against_naive_loops(synthetic_cache, config):
    cache_dir, _ = synthetic_cache
    table = error_references(config.replace(folds=1), cache_dir).set_index("predictor")
    videos = read_videos(cache_dir)
    test = ClipDataset(cache_dir, subjects=["sub01"], train=False, with_truth=True)
    train_marks = np.concatenate(
        [
            cache.load_tensors(cache_dir / f)["landmarks"].numpy()
            for f in videos[videos.subject != "sub01"].file
        ]
    )
    shape = train_marks.reshape(-1, 68, 2).mean(0) - [8, 8]
    rows = {k: [] for k in ("zero_tvl1", "zero_true", "tvl1_true", "shape_dlib", "shape_true", "dlib_true")}
    for i in range(len(test)):
        item = {k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in test[i].items()}
        flow, true_flow = item["flow"].astype(np.float64), item["true_flow"].astype(np.float64)
        rows["zero_tvl1"].append(np.mean([np.hypot(*flow[k]).mean() for k in range(7)]))
        rows["zero_true"].append(np.mean([np.hypot(*true_flow[k]).mean() for k in range(7)]))
        rows["tvl1_true"].append(np.mean([np.hypot(*(flow[k] - true_flow[k])).mean() for k in range(7)]))
        for name, guess, target in (
            ("shape_dlib", None, "landmarks"),
            ("shape_true", None, "true_landmarks"),
            ("dlib_true", "landmarks", "true_landmarks"),
        ):
            per_frame = []
            for t in range(1, 8):
                reference = item[target][t]
                predicted = shape if guess is None else item[guess][t]
                ocular = np.linalg.norm(reference[36] - reference[45])
                per_frame.append(np.linalg.norm(predicted - reference, axis=1).mean() / ocular)
            rows[name].append(np.mean(per_frame))
    expected = {k: np.mean(v) for k, v in rows.items()}
    assert table.loc["zero flow", "epe_tvl1"] == pytest.approx(expected["zero_tvl1"], rel=1e-4)
    assert table.loc["zero flow", "epe_true"] == pytest.approx(expected["zero_true"], rel=1e-4)
    assert table.loc["TV-L1", "epe_true"] == pytest.approx(expected["tvl1_true"], rel=1e-4)
    assert table.loc["training mean shape", "nme_dlib"] == pytest.approx(expected["shape_dlib"], rel=1e-4)
    assert table.loc["training mean shape", "nme_true"] == pytest.approx(expected["shape_true"], rel=1e-4)
    assert table.loc["dlib", "nme_true"] == pytest.approx(expected["dlib_true"], rel=1e-4)
    assert np.isnan(table.loc["TV-L1", "epe_tvl1"]) and np.isnan(table.loc["dlib", "nme_dlib"])
