"""The MEGC 2019 composite from the user's side: a copy whose samples partly are on the official
list is prepared as ``--dataset composite`` into one cache holding exactly the listed samples,
labelled by the list, subjects named per dataset, and ``molkit loso --classes composite`` trains
on it, and so does the ``paper`` profile's configuration (full-width flow head) for one step."""

from __future__ import annotations

import contextlib
import io
import json

import pandas as pd
import pytest

from molkit.cli import main
from molkit.data import composite_list, read_videos
from molkit.profiles import get_profile
from molkit.train.loso import LosoConfig


@pytest.fixture(scope="module")
def composite_cache(tmp_path_factory, face_frames, write_casme_like):
    """Two listed CASME II samples and one the list leaves out, prepared as the composite; returns
    the cache and what ``prepare`` printed."""
    tmp_path = tmp_path_factory.mktemp("composite")
    listed = composite_list().set_index(["dataset", "subject", "sample"]).label
    # two listed samples (one coded with an emotion the list disagrees with) and one the list leaves out
    assert (
        listed["casme2", "sub06", "EP01_01"] == "positive"
        and listed["casme2", "sub07", "EP01_01"] == "negative"
    )
    assert ("casme2", "sub06", "EP09_09") not in listed.index
    videos = {
        "sub06/EP01_01": face_frames(8),
        "sub07/EP01_01": face_frames(8, (0.2, 0.0)),
        "sub06/EP09_09": face_frames(8, (0.0, 0.2)),
    }
    rows = [
        {
            "Subject": s[3:5],
            "Filename": f,
            "OnsetFrame": 1,
            "ApexFrame": 3,
            "OffsetFrame": 8,
            "Action Units": "12",
            "Estimated Emotion": e,
        }
        for (s, f), e in zip([v.split("/") for v in videos], ["happiness", "happiness", "disgust"])
    ]
    copies = tmp_path / "megc"
    write_casme_like(copies / "CASME2_RAW_selected", videos, rows)
    cache = tmp_path / "cache"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(
            [
                "prepare",
                "--dataset",
                "composite",
                "--root",
                str(copies),
                "--cache",
                str(cache),
                "--workers",
                "1",
                "--no-progress",
            ]
        )
    assert code == 0
    return copies, cache, printed.getvalue()


def test_prepare_and_loso_on_the_composite(tmp_path, composite_cache, tiny_loso_args):
    copies, cache, printed = composite_cache
    assert "not_in_list (skipped): 1" in printed and "list_label (kept): 1" in printed
    assert "missing_dataset (skipped): 2" in printed
    table = read_videos(cache).set_index("video_id")
    assert table.label_composite.to_dict() == {
        "casme2/sub06/EP01_01": "positive",
        "casme2/sub07/EP01_01": "negative",
    }
    assert table.subject.tolist() == ["casme2/sub06", "casme2/sub07"]
    assert (copies / table.folder.iloc[0]).is_dir()
    problems = pd.read_csv(cache / "problems.csv").set_index("video_id")
    assert problems.loc["casme2/sub06/EP09_09", "kind"] == "not_in_list"
    assert "the list says negative" in problems.loc["casme2/sub07/EP01_01", "message"]
    out = tmp_path / "loso"
    args = ["loso", "--cache", str(cache), "--out", str(out), "--classes", "composite", *tiny_loso_args]
    assert main(args) == 0
    predictions = pd.read_csv(out / "fold_casme2_sub06" / "predictions.csv")
    assert set(predictions.fold) == {"casme2/sub06"} and set(predictions.label) == {1}  # positive


def test_the_paper_profile_runs_one_step_on_the_composite(tmp_path, composite_cache):
    _, cache, _ = composite_cache
    out = tmp_path / "paper"
    args = ["loso", "--cache", str(cache), "--out", str(out), "--profile", "paper", "--quiet"]
    assert main([*args, "--steps", "1", "--batch-size", "2", "--folds", "1"]) == 0
    paper = get_profile("paper")
    config = LosoConfig.load(out / "loso.yaml")
    # the profile's own class set and released scale; only the smoke size was changed
    assert (config.profile, config.classes, config.model.n_classes) == ("paper", paper.classes, 3)
    assert (config.model.flow_width, config.train_crops) == (paper.flow_width, paper.train_crops) == (1.0, 5)
    assert config.train.steps == 1 and config.train.batch_size == 2
    log = [json.loads(line) for line in (out / "fold_casme2_sub06" / "log.jsonl").read_text().splitlines()]
    assert max(line.get("step", 0) for line in log) == 1
    predictions = pd.read_csv(out / "fold_casme2_sub06" / "predictions.csv")
    assert set(predictions.fold) == {"casme2/sub06"} and predictions.pred.between(0, 2).all()
    assert list(predictions.filter(like="logit_").columns) == ["logit_0", "logit_1", "logit_2"]
