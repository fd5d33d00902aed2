"""Readers and manifests: CASME II, SAMM and SMIC layouts, class maps, and every kind of bad input
found at read time, each reported by file or sheet row while the rest is kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from molkit.data import class_names, read_dataset

GREY = np.full((16, 16, 3), 100, np.uint8)


def row(subject, sample, emotion="happiness", onset=1, apex=2, offset=8, units="12"):
    return {
        "Subject": subject,
        "Filename": sample,
        "OnsetFrame": onset,
        "ApexFrame": apex,
        "OffsetFrame": offset,
        "Action Units": units,
        "Estimated Emotion": emotion,
    }


def problems_of(manifest, kind):
    return [p for p in manifest.problems if p.kind == kind]


@pytest.fixture
def casme(tmp_path, write_casme_like):
    def build(videos, rows):
        return read_dataset("casme2", write_casme_like(tmp_path / "casme", videos, rows))

    return build


def test_casme2_manifest_columns_order_and_labels(casme):
    videos = {"sub01/EP01_01": [GREY] * 12, "sub02/EP03_02f": [GREY] * 9, "sub02/EP04_01": [GREY] * 8}
    manifest = casme(
        videos,
        [row(1, "EP01_01", "happiness"), row("02", "EP03_02f", "Repression "), row(2, "EP04_01", "others")],
    )
    table = manifest.table.set_index("video_id")
    assert list(table.index) == ["casme2/sub01/EP01_01", "casme2/sub02/EP03_02f", "casme2/sub02/EP04_01"]
    assert manifest.problems == []
    # labels, written out independently of data_manifests/classes.yaml
    expected = {
        "casme2/sub01/EP01_01": ("happiness", "positive", "positive"),
        "casme2/sub02/EP03_02f": ("repression", "negative", "negative"),
        "casme2/sub02/EP04_01": ("others", None, None),
    }
    for video_id, labels in expected.items():
        got = table.loc[video_id, ["label_5", "label_3", "label_composite"]].tolist()
        assert [None if pd.isna(v) else v for v in got] == list(labels)
    frames = table.loc["casme2/sub01/EP01_01", "frame_paths"]
    assert [int(p.rsplit("img", 1)[1][:-4]) for p in frames] == list(range(1, 13))  # img10 after img9
    assert table.loc["casme2/sub02/EP03_02f", "n_frames"] == 9
    assert class_names("5", "casme2") == ["surprise", "happiness", "disgust", "repression", "others"]
    assert class_names("5", "samm") == ["surprise", "happiness", "anger", "contempt", "others"]


def test_sheet_row_without_folder_and_folder_without_row(casme):
    manifest = casme(
        {"sub01/EP01_01": [GREY] * 8, "sub01/EP09_09": [GREY] * 8},
        [
            row(1, "EP01_01"),
            row(1, "EP05_01"),
            row(3, "EP05_01"),
            row(3, "EP06_01"),
            row(4, "EP01_01"),
            row(3, "EP07_01"),
        ],
    )
    assert manifest.table.video_id.tolist() == ["casme2/sub01/EP01_01"]
    (no_folder,) = problems_of(manifest, "row_without_folder")
    assert no_folder.where == "CASME2-coding-test.xlsx row 3" and "sub01/EP05_01" in no_folder.message
    # a subject missing altogether is said once, with its sheet rows
    absent = {p.video_id: p for p in problems_of(manifest, "missing_subject")}
    assert sorted(absent) == ["casme2/sub03", "casme2/sub04"]
    assert absent["casme2/sub03"].where == "CASME2-coding-test.xlsx rows 4-5, 7"
    assert "3 coded samples" in absent["casme2/sub03"].message
    (no_row,) = problems_of(manifest, "folder_without_row")
    assert no_row.where.endswith("sub01/EP09_09") and no_row.action == "skipped"


def test_duplicate_ids_keep_the_first_row(casme):
    manifest = casme(
        {"sub01/EP01_01": [GREY] * 8}, [row(1, "EP01_01", "surprise"), row("sub01", "EP01_01", "disgust")]
    )
    assert manifest.table.emotion.tolist() == ["surprise"]
    (dup,) = problems_of(manifest, "duplicate_id")
    assert dup.where == "CASME2-coding-test.xlsx row 3" and "row 2" in dup.message


def test_unknown_and_missing_emotions_are_skipped_by_row(casme):
    manifest = casme(
        {"sub01/EP01_01": [GREY] * 8, "sub01/EP02_01": [GREY] * 8, "sub01/EP03_01": [GREY] * 8},
        [row(1, "EP01_01"), row(1, "EP02_01", "boredom"), row(1, "EP03_01", None)],
    )
    assert manifest.table.video_id.tolist() == ["casme2/sub01/EP01_01"]
    unknown = {p.where: p.message for p in problems_of(manifest, "unknown_emotion")}
    assert unknown == {
        "CASME2-coding-test.xlsx row 3": "unknown emotion 'boredom'",
        "CASME2-coding-test.xlsx row 4": "no emotion coded",
    }


def test_short_empty_and_gapped_frame_folders(casme, tmp_path):
    videos = {"sub01/EP01_01": [GREY] * 7, "sub01/EP02_01": [GREY] * 10, "sub01/EP03_01": [GREY] * 8}
    root = tmp_path / "casme"
    manifest = casme(videos, [row(1, n.split("/")[1]) for n in videos] + [row(1, "EP04_01")])
    (root / "sub01/EP02_01/img4.jpg").unlink()  # a gap: kept, reported
    (root / "sub01/EP04_01").mkdir()  # an empty folder
    manifest = read_dataset("casme2", root)
    assert manifest.table.video_id.tolist() == ["casme2/sub01/EP02_01", "casme2/sub01/EP03_01"]
    (short,) = problems_of(manifest, "too_short")
    assert short.where.endswith("sub01/EP01_01") and "7 frames" in short.message
    missing = {p.where.rsplit("/", 1)[1]: p for p in problems_of(manifest, "missing_frames")}
    assert "[4]" in missing["EP02_01"].message and missing["EP02_01"].action == "kept"
    assert missing["EP04_01"].action == "skipped"


def test_faulty_sheet_values_are_reported_and_kept(casme):
    videos = {f"sub01/EP0{i}_01": [GREY] * 8 for i in range(1, 4)}
    manifest = casme(
        videos,
        [
            row(1, "EP01_01", apex="/"),
            row(1, "EP02_01", onset=50, offset=10),
            row(1, "EP03_01", units="R12 or 14"),
        ],
    )
    table = manifest.table.set_index("sample")
    assert len(table) == 3 and pd.isna(table.loc["EP01_01", "apex"])
    messages = {p.where: p.message for p in problems_of(manifest, "sheet_value")}
    assert messages["CASME2-coding-test.xlsx row 2"] == "apex is missing"
    assert "before onset" in messages["CASME2-coding-test.xlsx row 3"]
    (units,) = problems_of(manifest, "action_units")
    assert units.where == "CASME2-coding-test.xlsx row 4" and "'or'" in units.message


def test_corrections_file_overrides_and_reports(casme, tmp_path):
    videos = {"sub01/EP01_01": [GREY] * 8}
    root = tmp_path / "casme"
    casme(videos, [row(1, "EP01_01", apex="/")])
    fixes = tmp_path / "fixes.csv"
    fixes.write_text("dataset,subject,sample,column,value,source\ncasme2,sub01,EP01_01,apex,4,a test\n")
    manifest = read_dataset("casme2", root, corrections=fixes)
    assert manifest.table.apex.tolist() == [4]
    assert [p.kind for p in manifest.problems] == ["correction"]


def test_ground_truth_and_other_folders_are_ignored(casme, tmp_path):
    root = tmp_path / "casme"
    casme({"sub01/EP01_01": [GREY] * 8}, [row(1, "EP01_01")])
    (root / "ground_truth" / "sub01").mkdir(parents=True)
    manifest = read_dataset("casme2", root)
    assert len(manifest) == 1 and manifest.problems == []


def test_missing_sheet_is_a_clear_error(tmp_path):
    (tmp_path / "sub01" / "EP01_01").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no coding sheet"):
        read_dataset("casme2", tmp_path)


def test_samm_header_not_on_the_first_row(tmp_path):
    import cv2

    for sample in ("006_1_2", "007_5_1"):
        folder = tmp_path / sample[:3] / sample
        folder.mkdir(parents=True)
        for t in range(5562, 5570):
            cv2.imwrite(str(folder / f"{sample[:3]}_{t:05d}.jpg"), GREY)
    header = [
        "Subject",
        "Filename",
        "Inducement Code",
        "Onset Frame",
        "Apex Frame",
        "Offset Frame",
        "Duration",
        "Type",
        "Action Units",
        "Notes",
        "Estimated Emotion",
    ]
    body = [
        [6, "006_1_2", 1, 5562, 5566, 5569, 8, "Micro", "4+7", "", "Anger"],
        ["007", "007_5_1", 5, 5562, 5563, 5569, 8, "Micro", "12", "", "Contempt"],
    ]
    sheet = [["SAMM coding"] + [None] * 10, [None] * 11, header] + body
    pd.DataFrame(sheet).to_excel(tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx", header=False, index=False)
    manifest = read_dataset("samm", tmp_path)
    assert manifest.problems == []
    table = manifest.table.set_index("video_id")
    assert table.loc["samm/006/006_1_2", ["label_5", "label_3", "onset", "apex"]].tolist() == [
        "anger",
        "negative",
        5562,
        5566,
    ]
    assert table.loc["samm/007/007_5_1", "label_5"] == "contempt"


def test_smic_labels_come_from_folders(tmp_path):
    import cv2

    for subject, emotion, sample, n in [
        ("s1", "negative", "s1_ne_01", 9),
        ("s1", "surprise", "s1_sur_01", 8),
        ("s2", "positive", "s2_po_03", 4),
    ]:
        folder = tmp_path / "HS" / subject / "micro" / emotion / sample
        folder.mkdir(parents=True)
        for t in range(n):
            cv2.imwrite(str(folder / f"image{10234 + t:06d}.bmp"), GREY)
    manifest = read_dataset("smic", tmp_path)
    assert manifest.table.video_id.tolist() == ["smic/s1/s1_ne_01", "smic/s1/s1_sur_01"]
    assert manifest.table.label_3.tolist() == ["negative", "surprise"]
    assert manifest.table.label_5.isna().all()
    assert [p.kind for p in manifest.problems] == ["too_short"]
