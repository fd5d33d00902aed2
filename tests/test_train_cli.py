"""``molkit loso``, ``evaluate`` and ``predict`` from the command line, on a tiny run."""

import numpy as np
import pandas as pd
import pytest
import torch

from molkit.cli import main
from molkit.data import ClipDataset, PrepSettings, prepare
from molkit.train.predict import aligned_clips, read_frames


@pytest.fixture(scope="module")
def loso_dir(small_cache, tmp_path_factory, tiny_loso_args):
    cache, _ = small_cache
    out = tmp_path_factory.mktemp("cli_loso")
    status = main(["loso", "--cache", str(cache), "--out", str(out), *tiny_loso_args])
    assert status == 0
    return out


def test_loso_command_writes_labelled_tables(loso_dir, capsys):
    summary = pd.read_csv(loso_dir / "summary.csv")
    assert list(summary.level) == ["clip", "video"]
    assert set(summary.protocol) == {"fixed"} and set(summary.flow_width) == {0.0625}
    assert (loso_dir / "fold_sub01" / "checkpoint.pt").exists()
    assert not (loso_dir / "fold_sub02").exists()  # --folds 1


def test_evaluate_command(loso_dir, small_cache, tmp_path, capsys):
    cache, _ = small_cache
    out = tmp_path / "clips.csv"
    assert (
        main(
            [
                "evaluate",
                "--checkpoint",
                str(loso_dir / "fold_sub01" / "checkpoint.pt"),
                "--cache",
                str(cache),
                "--subjects",
                "sub01",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "per video" in printed and "epe_tvl1" in printed
    clips = pd.read_csv(out)
    expected = pd.read_csv(loso_dir / "fold_sub01" / "predictions.csv")
    np.testing.assert_array_equal(clips.pred, expected.pred)


def test_predict_command(loso_dir, small_dataset, tmp_path, capsys):
    out = tmp_path / "prediction.npz"
    assert (
        main(
            [
                "predict",
                str(small_dataset / "sub01" / "EP01_01"),
                "--checkpoint",
                str(loso_dir / "fold_sub01" / "checkpoint.pt"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    saved = np.load(out, allow_pickle=False)
    # trained on 8-frame videos (stride 1 at 200 fps): windows of 8 consecutive frames every 4
    assert saved["window_first"].tolist() == [1, 5, 9] and saved["window_last"].tolist() == [8, 12, 16]
    assert saved["window_probabilities"].shape == (3, 5)
    assert saved["probabilities"].sum() == pytest.approx(1.0, abs=1e-5)  # 0.08 s: a trimmed sample
    assert saved["flow"].shape == (7, 2, 128, 128)
    assert saved["predicted_landmarks"].shape == (7, 68, 2)
    assert list(saved["classes"])[1] == "happiness"
    printed = capsys.readouterr().out
    assert (
        "3 windows" in printed and "whole recording (a trimmed sample, clips vote by mean logits)" in printed
    )


def test_predict_names_a_bad_input(loso_dir, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert (
        main(
            [
                "predict",
                str(tmp_path / "empty"),
                "--checkpoint",
                str(loso_dir / "fold_sub01" / "checkpoint.pt"),
            ]
        )
        == 2
    )
    assert (
        capsys.readouterr().err == f"molkit predict: {tmp_path / 'empty'}: no image files "
        "(['.bmp', '.jpeg', '.jpg', '.png']) in this folder\n"
    )


@pytest.mark.parametrize("mode", ["frame", "video"])
def test_predict_prepares_clips_as_the_cache_does(small_dataset, tmp_path, mode):
    settings = PrepSettings(alignment=mode)
    prepare("casme2", small_dataset, tmp_path, settings, workers=1, progress=False)
    dataset = ClipDataset(tmp_path, subjects=["sub01"], train=False)
    rows = np.flatnonzero(dataset.table.video_id == "casme2/sub01/EP01_01")
    expected = torch.stack([dataset[int(i)]["clip"] for i in rows])
    clips = aligned_clips(read_frames(small_dataset / "sub01" / "EP01_01"), settings)
    torch.testing.assert_close(clips, expected)
