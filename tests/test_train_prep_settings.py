"""Preprocessing travels with the model: a checkpoint records the PrepSettings of the cache it
was trained on; ``molkit predict`` prepares new frames with them (``--prep-settings`` overrides,
and says so); an older checkpoint without them still loads and predicts with the defaults, saying
so; ``molkit evaluate`` refuses a cache prepared otherwise unless told (``--any-prep``), and
``molkit prepare --settings CHECKPOINT`` prepares a cache the model's way."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
import torch

from molkit.cli import main
from molkit.data import ClipDataset, PrepSettings, prepare
from molkit.data.cache import load_plain, save_tensors
from molkit.model import MOLConfig
from molkit.train import TrainConfig, load_checkpoint, train_fold

VIDEO = "casme2/sub01/EP01_01"


@pytest.fixture(scope="module")
def video_cache(small_dataset, tmp_path_factory):
    """``small_dataset`` prepared with one alignment per video (not the released default)."""
    cache = tmp_path_factory.mktemp("video_cache")
    prepare("casme2", small_dataset, cache, PrepSettings(alignment="video"), workers=1, progress=False)
    return cache


@pytest.fixture(scope="module")
def trained(video_cache, tmp_path_factory):
    """One training step on the video-aligned cache, saved as every molkit training saves."""
    out = tmp_path_factory.mktemp("video_fold")
    train_set = ClipDataset(video_cache, subjects=["sub02"], crops=1)
    train_fold(
        MOLConfig(n_classes=5, flow_width=0.0625),
        TrainConfig(steps=1, batch_size=2, device="cpu"),
        train_set,
        out,
        progress=False,
        classes="5",
        class_names=train_set.classes,
    )
    return out / "checkpoint.pt"


@functools.cache
def cache_vote(checkpoint, cache) -> np.ndarray:
    """The reference: the model on the cache's test clips of VIDEO, mean logits, softmax."""
    model, _ = load_checkpoint(checkpoint)
    data = ClipDataset(cache, subjects=["sub01"], train=False)
    rows = np.flatnonzero(data.table.video_id == VIDEO)
    with torch.no_grad():
        logits = model(torch.stack([data[int(i)]["clip"] for i in rows])).logits
    return logits.mean(0).softmax(-1).numpy()


def predicted(argv, tmp_path, capsys) -> tuple[np.ndarray, str]:
    out = tmp_path / f"p{len(list(tmp_path.glob('*.npz')))}.npz"
    assert main(["predict", *map(str, argv), "--out", str(out), "--device", "cpu"]) == 0
    return np.load(out)["probabilities"], capsys.readouterr().out


def test_the_checkpoint_records_the_training_caches_settings(trained, video_cache):
    record = load_plain(trained)
    assert record["prep_settings"] == json.loads((video_cache / "settings.json").read_text())
    assert record["prep_settings"]["alignment"] == "video"


def test_predict_prepares_as_the_model_was_trained_unless_told(
    trained, video_cache, small_cache, small_dataset, tmp_path, capsys
):
    folder = small_dataset / "sub01" / "EP01_01"
    probabilities, printed = predicted([folder, "--checkpoint", trained], tmp_path, capsys)
    assert "preparation as the model was trained" in printed
    np.testing.assert_allclose(probabilities, cache_vote(trained, video_cache), atol=1e-5)
    frame_settings = small_cache[0] / "settings.json"
    probabilities, printed = predicted(
        [folder, "--checkpoint", trained, "--prep-settings", frame_settings], tmp_path, capsys
    )
    assert (
        f"preparation from {frame_settings}, overriding the checkpoint's (changed: alignment "
        "'video' -> 'frame')" in printed
    )
    np.testing.assert_allclose(probabilities, cache_vote(trained, small_cache[0]), atol=1e-5)
    assert not np.allclose(cache_vote(trained, small_cache[0]), cache_vote(trained, video_cache), atol=1e-5)


def test_an_older_checkpoint_still_loads_and_predicts_with_the_defaults(
    trained, small_cache, small_dataset, tmp_path, capsys
):
    record = load_plain(trained)
    del record["prep_settings"]
    older = save_tensors(tmp_path / "older.pt", record)
    model, rest = load_checkpoint(older)
    assert "prep_settings" not in rest and model.config.n_classes == 5
    probabilities, printed = predicted(
        [small_dataset / "sub01" / "EP01_01", "--checkpoint", older], tmp_path, capsys
    )
    assert "the checkpoint records no preparation settings" in printed and "released defaults" in printed
    np.testing.assert_allclose(probabilities, cache_vote(older, small_cache[0]), atol=1e-5)


def test_evaluate_checks_the_cache_against_the_model(
    trained, video_cache, small_cache, small_dataset, tmp_path, capsys
):
    frame_cache = small_cache[0]
    base = ["evaluate", "--checkpoint", str(trained), "--subjects", "sub01", "--device", "cpu", "--cache"]
    assert main(base + [str(frame_cache)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(frame_cache) in err and "alignment 'video' -> 'frame'" in err
    assert main(base + [str(frame_cache), "--any-prep"]) == 0
    assert "evaluated anyway (--any-prep)" in capsys.readouterr().out
    # the advice of the error: prepare with the model's settings, then evaluate
    remade = tmp_path / "remade"
    assert (
        main(
            [
                "prepare",
                "--dataset",
                "casme2",
                "--root",
                str(small_dataset),
                "--cache",
                str(remade),
                "--settings",
                str(trained),
                "--workers",
                "1",
                "--no-progress",
            ]
        )
        == 0
    )
    assert PrepSettings.load(remade / "settings.json") == PrepSettings(alignment="video")
    capsys.readouterr()
    assert main(base + [str(remade)]) == 0
    assert "the cache is prepared as the model's training cache was" in capsys.readouterr().out
