"""The MEGC 2019 composite from the user's side: a copy whose samples partly are on the official
list is prepared as ``--dataset composite`` into one cache holding exactly the listed samples,
labelled by the list, subjects named per dataset, and ``molkit loso --classes composite`` trains
on it."""

from __future__ import annotations

import pandas as pd

from molkit.cli import main
from molkit.data import composite_list, read_videos


def test_prepare_and_loso_on_the_composite(tmp_path, face_frames, write_casme_like, tiny_loso_args, capsys):
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
    assert (
        main(
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
        == 0
    )
    printed = capsys.readouterr().out
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
