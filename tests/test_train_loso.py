"""LOSO runs: executors agree, finished folds are skipped, tables agree with the predictions."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import torch_threads

from molkit.metrics import confusion_matrix, summarize
from molkit.model import MOLConfig
from molkit.reports.tables import loso_row
from molkit.train import LosoConfig, TrainConfig, load_loso, run_loso
from molkit.train.evaluation import labels_of
from molkit.train.loso import all_subjects, dataset_classes, open_clips

CONFIG = LosoConfig(
    protocol="fixed",
    model=MOLConfig(n_classes=5, flow_width=0.0625),
    train=TrainConfig(steps=2, batch_size=2, deterministic=True),
    train_crops=1,
    eval_batch_size=4,
    profile="test",
)


@pytest.fixture(scope="module")
def inprocess(small_cache, tmp_path_factory):
    """The run in this process, on as many torch threads as a fresh process (a submitit job) has."""
    cache, _ = small_cache
    out = tmp_path_factory.mktemp("loso_inprocess")
    fresh = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.get_num_threads())"], capture_output=True, text=True
    )
    with torch_threads(int(fresh.stdout)):
        return cache, out, run_loso(CONFIG, cache, out, progress=False)


def test_submitit_local_gives_the_inprocess_result(inprocess, tmp_path):
    cache, _, expected = inprocess
    got = run_loso(CONFIG, cache, tmp_path, executor="submitit-local", progress=False)
    columns = ["fold", "video_id", "clip_index", "label", "pred"]
    pd.testing.assert_frame_equal(got.clips[columns], expected.clips[columns])
    logits = [c for c in got.clips.columns if c.startswith("logit_")]
    np.testing.assert_allclose(got.clips[logits], expected.clips[logits], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got.confusion("video"), expected.confusion("video"))
    pd.testing.assert_frame_equal(got.summary, expected.summary, rtol=1e-4)


def test_rerun_skips_finished_folds(inprocess):
    cache, out, expected = inprocess
    files = sorted(out.glob("fold_*/*"))
    stamps = {f: f.stat().st_mtime_ns for f in files}
    again = run_loso(CONFIG, cache, out, progress=False)
    assert {f: f.stat().st_mtime_ns for f in files} == stamps
    pd.testing.assert_frame_equal(again.clips, expected.clips)
    with pytest.raises(ValueError, match="another configuration"):
        run_loso(CONFIG.replace(protocol="released"), cache, out, progress=False)


def test_every_table_names_the_recipe_read_from_the_config_and_the_cache(inprocess):
    _, out, result = inprocess  # released defaults on a cache aligned frame by frame (released)
    assert result.prep.alignment == "frame" and load_loso(out).prep == result.prep
    assert set(result.summary.recipe) == {"released"}
    assert loso_row(result, "synthetic")["method"] == "molkit MOL (released recipe)"
    magnified = result.config.replace(model=result.config.model.replace(magnification=21.0))
    assert magnified.describe(result.prep).startswith("MOL (released + magnification 21 recipe)")


def test_tables_agree_with_the_predictions(inprocess):
    _, out, result = inprocess
    clips = result.clips
    assert sorted(clips.fold.unique()) == ["sub01", "sub02"]
    assert (clips.fold == clips.subject).all()
    pooled = sum(confusion_matrix(t.label, t.pred, 5) for _, t in clips.groupby("fold"))
    np.testing.assert_array_equal(result.confusion("clip"), pooled)
    row = result.summary.set_index("level").loc["clip"]
    for metric, value in summarize(clips.label, clips.pred, 5).items():
        assert row[metric] == pytest.approx(value)
    per_class = result.per_class[result.per_class.level == "video"].set_index("class")
    videos = result.videos
    for c, name in enumerate(result.class_names):
        truth = videos.label == c
        assert per_class.loc[name, "support"] == truth.sum()
        if truth.any():
            assert per_class.loc[name, "recall"] == pytest.approx((videos.pred[truth] == c).mean())
    for table in (result.summary, result.per_fold, result.per_class):
        assert (table.protocol == "fixed").all() and (table.profile == "test").all()
        assert (table.flow_width == 0.0625).all()
    assert {"epe_tvl1", "nme_dlib"} <= set(result.summary.columns)
    assert "fixed (last weights)" in str(load_loso(out))


def test_composite_setup_names_subjects_by_dataset(small_cache):
    cache, _ = small_cache
    config = LosoConfig(classes="composite", model=MOLConfig(n_classes=3))
    caches = {"casme2": cache, "copy": cache}
    assert all_subjects(config, caches) == ["casme2/sub01", "casme2/sub02", "copy/sub01", "copy/sub02"]
    both = open_clips(config, caches, ("casme2/sub01", "copy/sub02"), False)
    parts = [open_clips(config, cache, (s,), False) for s in ("sub01", "sub02")]
    assert len(both) == sum(len(p) for p in parts) > 0
    assert dataset_classes(both) == ["negative", "positive", "surprise"]
    assert (labels_of(both) == 1).all()  # every small_cache video is happiness: positive
