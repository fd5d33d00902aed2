"""The synthetic set as a CASME II reader sees it: layout, coding sheet, determinism, the command."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pandas as pd
import pytest

from molkit.cli import main as molkit_main
from molkit.synthetic import (
    EMOTIONS,
    REGIONS,
    SynthConfig,
    generate,
    has_ground_truth,
    list_samples,
    sample_truth,
    true_flow,
    true_landmarks,
)
from molkit.synthetic.action_units import EMOTION_ACTION_UNITS

CASME2_COLUMNS = [
    "Subject",
    "Filename",
    "OnsetFrame",
    "ApexFrame",
    "OffsetFrame",
    "Action Units",
    "Estimated Emotion",
]
TINY = dict(subjects=2, samples_per_subject=2, frames=12, workers=1)


def tree_digest(root) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sheet(synthetic_root):
    return pd.read_excel(synthetic_root / "CASME2-coding-synthetic.xlsx")


def test_sheet_has_casme2_columns_and_every_class_per_subject(sheet):
    assert list(sheet.columns) == CASME2_COLUMNS
    assert sorted(sheet["Subject"].unique()) == [1, 2, 3]
    for _, rows in sheet.groupby("Subject"):
        assert sorted(rows["Estimated Emotion"]) == sorted(EMOTIONS)


def test_frames_are_colour_jpegs_named_like_casme2(synthetic_root, sheet):
    for row in sheet.itertuples():
        folder = synthetic_root / f"sub{row.Subject:02d}" / row.Filename
        names = sorted(p.name for p in folder.iterdir())
        assert names == sorted(f"img{k}.jpg" for k in range(1, 25))
        image = cv2.imread(str(folder / "img1.jpg"), cv2.IMREAD_UNCHANGED)
        assert image.shape == (192, 160, 3)
        assert np.abs(image[..., 0].astype(int) - image[..., 2]).mean() > 2  # really colour
        assert 1 <= row.OnsetFrame < row.ApexFrame < row.OffsetFrame <= 24


def test_sheet_agrees_with_ground_truth(synthetic_root, sheet):
    assert has_ground_truth(synthetic_root)
    assert len(list_samples(synthetic_root)) == len(sheet) == 15
    for row in sheet.itertuples():
        truth = sample_truth(synthetic_root, f"sub{row.Subject:02d}/{row.Filename}")
        assert truth["emotion"] == row._7
        assert (truth["onset"] + 1, truth["apex"] + 1, truth["offset"] + 1) == (
            row.OnsetFrame,
            row.ApexFrame,
            row.OffsetFrame,
        )
        assert tuple(truth["action_units"]) in EMOTION_ACTION_UNITS[truth["emotion"]]
        assert row._6 == "+".join(au[2:] for au in truth["action_units"])
        assert truth["regions"] and set(truth["regions"]) <= set(REGIONS)
        assert (truth["three_class"] is None) == (truth["emotion"] == "others")


def test_same_seed_same_bytes_in_one_or_two_processes(tmp_path):
    a = generate(tmp_path / "a", seed=5, **TINY)
    b = generate(tmp_path / "b", seed=5, **{**TINY, "workers": 2})
    digest = tree_digest(a)
    assert len(digest) == 2 * 2 * 12 + 2 * 2 + 2  # frames, truth files, sheet, config
    assert digest == tree_digest(b)


def test_different_seeds_give_different_subjects(tmp_path):
    a = generate(tmp_path / "a", seed=1, **TINY)
    b = generate(tmp_path / "b", seed=2, **TINY)
    for subject in ("sub01", "sub02"):
        first_a = cv2.imread(str(a / subject / "EP01_01" / "img1.jpg")).astype(float)
        first_b = cv2.imread(str(b / subject / "EP01_01" / "img1.jpg")).astype(float)
        assert np.abs(first_a - first_b).mean() > 10
        shape_a = true_landmarks(a, f"{subject}/EP01_01")[0]
        shape_b = true_landmarks(b, f"{subject}/EP01_01")[0]
        assert np.linalg.norm(shape_a - shape_b, axis=1).mean() > 2


def test_subjects_of_one_set_differ_in_shape(synthetic_root):
    shapes = [true_landmarks(synthetic_root, f"sub{s:02d}/EP01_01")[0] for s in (1, 2, 3)]
    for i in range(3):
        for j in range(i + 1, 3):
            centred = [x - x.mean(0) for x in (shapes[i], shapes[j])]
            assert np.linalg.norm(centred[0] - centred[1], axis=1).mean() > 1.5


def test_command_writes_a_set_and_regenerates_in_place(tmp_path, capsys):
    out = tmp_path / "cli"
    args = [
        "synth",
        "--out",
        str(out),
        "--subjects",
        "1",
        "--samples-per-subject",
        "1",
        "--frames",
        "12",
        "--seed",
        "3",
        "--workers",
        "1",
    ]
    assert molkit_main(args) == 0
    first = tree_digest(out)
    assert molkit_main(args) == 0
    assert tree_digest(out) == first
    assert "wrote 1 subjects" in capsys.readouterr().out


def test_refuses_a_folder_that_is_not_a_synthetic_set(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=str(tmp_path)):
        generate(tmp_path, **TINY)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_bad_config_and_bad_requests_are_named():
    with pytest.raises(ValueError, match="frames must be at least 12"):
        SynthConfig(frames=5).validate()
    with pytest.raises(ValueError, match="difficulty"):
        SynthConfig(difficulty=0).validate()
    SynthConfig(difficulty=1 / 3).validate()  # the obvious end: 1.5-6 px
    with pytest.raises(ValueError, match="exceeds 6 px.*lowest difficulty: 0.333"):
        SynthConfig(difficulty=0.3).validate()


def test_accessors_name_what_is_missing(synthetic_root, tmp_path):
    with pytest.raises(FileNotFoundError, match="sub09/EP01_01"):
        true_flow(synthetic_root, "sub09/EP01_01", 0, 1)
    with pytest.raises(FileNotFoundError, match="not a synthetic set"):
        true_landmarks(tmp_path, "sub01/EP01_01")
    with pytest.raises(IndexError, match="outside 0..23"):
        true_flow(synthetic_root, "sub01/EP01_01", 0, 24)


def test_every_subject_is_a_distinct_identity(synthetic_root):
    """Subjects are morphs with their own shape and appearance: two subjects' neutral frames differ
    far more than two samples of one subject (which differ by nuisances only)."""

    def first_frame(subject, sample):
        path = synthetic_root / f"sub{subject:02d}" / f"EP{sample:02d}_01" / "img1.jpg"
        return cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).astype(np.float32)

    same = np.mean([np.abs(first_frame(s, 1) - first_frame(s, 2)).mean() for s in (1, 2, 3)])
    between = [np.abs(first_frame(a, 1) - first_frame(b, 1)).mean() for a, b in ((1, 2), (1, 3), (2, 3))]
    assert min(between) > 5 * same, (between, same)
