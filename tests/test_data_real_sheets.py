"""The readers against the dataset owners' own sheets as they circulate (CASME II 2014 and 2019,
SAMM v2, SMIC-E) and the official MEGC 2019 composite list, read in place from
``../shared/data/real_sheets/`` (never copied into the project). Each test builds a folder tree
from a sheet's rows (tiny frames, the sheet linked in) and reads it through the public readers;
expected figures come from openpyxl on the same files and from that folder's README."""

from __future__ import annotations

import collections
import csv
import hashlib
import re
from pathlib import Path

import cv2
import numpy as np
import openpyxl
import pandas as pd
import pytest

from molkit.data import composite_list, list_coverage, read_composite, read_dataset
from molkit.data.manifest import MANIFESTS_DIR, manifest_columns
from molkit.data.readers import casme2, samm
from molkit.data.readers.common import read_coded_sheet

SHEETS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real_sheets"
pytestmark = pytest.mark.skipif(
    not SHEETS.is_dir(),
    reason=f"{SHEETS} is absent: the owners' sheets "
    "are read in place from the shared data folder, which this checkout lacks",
)
CASME_2014, CASME_2019 = "CASME2-coding-20140508.xlsx", "CASME2-coding-20190701.xlsx"
SAMM_OWNER, SAMM_EDITED = "SAMM_Micro_FACS_Codes_v2__MouathAb.xlsx", "SAMM_Micro_FACS_Codes_v2__davidnvq.xlsx"
SMIC_E = "SMIC-HS-E_annotation.xlsx"
MEGC = "MEGC2019_combined_3class_gt__MouathAb.csv"
JPEG = cv2.imencode(".jpg", np.full((8, 8), 128, np.uint8))[1].tobytes()
SMIC_EMOTION = {"ne": "negative", "po": "positive", "sur": "surprise"}


def sheet_rows(name: str, header_row: int = 1, worksheet: str | None = None) -> list[tuple[int, dict]]:
    """(Excel row number, {header: value}) of every row with a Subject, read with openpyxl."""
    book = openpyxl.load_workbook(SHEETS / name, read_only=True, data_only=True)
    sheet = book[worksheet] if worksheet else book.worksheets[0]
    rows = sheet.iter_rows(min_row=header_row, values_only=True)
    header = ["" if v is None else str(v).strip() for v in next(rows)]
    found = [(n, dict(zip(header, values))) for n, values in enumerate(rows, start=header_row + 1)]
    book.close()
    return [(n, r) for n, r in found if r.get("Subject") not in (None, "")]


def write_frames(folder: Path, numbers, name) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / name(n)).write_bytes(JPEG)


def casme_tree(root: Path, sheet: str) -> list[tuple[int, dict]]:
    """``root/subNN/<Filename>/img<n>.jpg`` for onset..offset of every row, and the sheet."""
    rows = sheet_rows(sheet)
    for _, r in rows:
        write_frames(
            root / f"sub{int(r['Subject']):02d}" / r["Filename"],
            range(r["OnsetFrame"], r["OffsetFrame"] + 1),
            lambda n: f"img{n}.jpg",
        )
    (root / sheet).symlink_to(SHEETS / sheet)
    return rows


def samm_tree(root: Path) -> list[tuple[int, dict]]:
    """``root/006/006_1_2/006_05562.jpg``: frame numbers padded to 5 or 4 digits by clip, as in
    the real copies."""
    rows = sheet_rows(SAMM_OWNER, header_row=14)
    for i, (_, r) in enumerate(rows):
        subject, width = str(r["Subject"]), 5 if i % 3 == 0 else 4
        write_frames(
            root / subject / r["Filename"],
            range(r["Onset Frame"], r["Offset Frame"] + 1),
            lambda n: f"{subject}_{n:0{width}d}.jpg",
        )
    (root / SAMM_OWNER).symlink_to(SHEETS / SAMM_OWNER)
    return rows


def megc_rows() -> list[list[str]]:
    with open(SHEETS / MEGC, newline="") as f:
        return [row for row in csv.reader(f)]


def unpadded_smic(subject: str, name: str) -> tuple[str, str]:
    """The list's ``s01, s01_ne_01`` -> the folders' ``s1, s1_ne_01`` (written here on its own)."""
    plain = "s" + str(int(subject[1:]))
    return plain, plain + name[len(subject) :]


def smic_tree(root: Path) -> dict[str, tuple[int, dict]]:
    """The 164 SMIC-HS folders of the MEGC list, each holding OnsetF..OffsetF of its SMIC-E row
    (12 frames where the sheet has no row), and the SMIC-E sheet beside ``HS/``."""
    rows = {r["Filename"].strip(): (n, r) for n, r in sheet_rows(SMIC_E, worksheet="HS")}
    for dataset, subject, name, _ in megc_rows():
        if dataset != "smic":
            continue
        subject, sample = unpadded_smic(subject, name)
        row = rows.get(sample, (None, None))[1]
        numbers = range(row["OnsetF"], row["OffsetF"] + 1) if row else range(1000, 1012)
        write_frames(
            root / "HS" / subject / "micro" / SMIC_EMOTION[sample.split("_")[1]] / sample,
            numbers,
            lambda n: f"image{n:06d}.jpg",
        )
    (root / SMIC_E).symlink_to(SHEETS / SMIC_E)
    return rows


def git_blob(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def found(manifest, kind: str) -> dict[str, object]:
    return {p.video_id: p for p in manifest.problems if p.kind == kind}


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """Folder trees built from the owners' sheets: CASME II (2014 and 2019 sheets), SAMM, SMIC-HS
    (with the SMIC-E sheet), and a composite folder linking the first three of them."""
    base = tmp_path_factory.mktemp("real_sheets")
    built = {
        "casme2014": casme_tree(base / "CASME2", CASME_2014),
        "casme2019": casme_tree(base / "CASME2-2019", CASME_2019),
        "samm": samm_tree(base / "SAMM"),
        "smic": smic_tree(base / "SMIC"),
    }
    megc = base / "megc"
    megc.mkdir()
    for name, target in (("CASME2_RAW_selected", "CASME2"), ("SAMM", "SAMM"), ("SMIC_all_raw", "SMIC")):
        (megc / name).symlink_to(base / target)
    return base, built


def test_casme2_2014_sheet_every_row_read_and_its_faults_named(trees):
    base, built = trees
    manifest = read_dataset("casme2", base / "CASME2")
    rows = built["casme2014"]
    assert len(rows) == 255
    expected = {f"casme2/sub{int(r['Subject']):02d}/{r['Filename']}": r for _, r in rows}
    assert sorted(manifest.table.video_id) == sorted(expected)  # every row read
    table = manifest.table.set_index("video_id")
    for video_id, r in expected.items():
        assert (table.loc[video_id, "onset"], table.loc[video_id, "offset"]) == (
            r["OnsetFrame"],
            r["OffsetFrame"],
        )
        assert table.loc[video_id, "n_frames"] == r["OffsetFrame"] - r["OnsetFrame"] + 1
    # the owners' class counts (README) and the same from openpyxl
    owners = {
        "others": 99,
        "disgust": 63,
        "happiness": 32,
        "repression": 27,
        "surprise": 25,
        "sadness": 7,
        "fear": 2,
    }
    assert manifest.table.emotion.value_counts().to_dict() == owners
    assert collections.Counter(r["Estimated Emotion"] for _, r in rows) == owners
    assert manifest.table.label_5.value_counts().to_dict() == {
        k: owners[k] for k in ("others", "disgust", "happiness", "repression", "surprise")
    }
    # the known faults, by sample and row, and nothing else
    problems = {(p.kind, p.video_id, p.where) for p in manifest.problems}
    unsure = {
        (f"casme2/sub{int(r['Subject']):02d}/{r['Filename']}", n)
        for n, r in rows
        if str(r["Action Units"]).strip() == "?"
    }
    assert len(unsure) == 5
    assert problems == {("sheet_value", "casme2/sub04/EP12_01f", f"{CASME_2014} row 31")} | {
        ("action_units", video_id, f"{CASME_2014} row {n}") for video_id, n in unsure
    }
    assert pd.isna(table.loc["casme2/sub04/EP12_01f", "apex"])
    # which sheet was read: name and hash (the README's git blob id of the owner's file)
    (sheet,) = manifest.sheets
    assert (sheet.name, sheet.rows) == (CASME_2014, 255)
    assert sheet.sha256 == hashlib.sha256((SHEETS / CASME_2014).read_bytes()).hexdigest()
    assert git_blob(SHEETS / CASME_2014).startswith("9cdec8d7")
    assert CASME_2014 in manifest.summary() and sheet.sha256[:12] in manifest.summary()


@pytest.mark.parametrize(
    "dataset, folder, sheet, subject_name",
    [
        ("casme2", "CASME2", CASME_2014, casme2.subject_folder),
        ("samm", "SAMM", SAMM_OWNER, samm.subject_folder),
    ],
)
def test_a_sheet_alone_gives_the_rows_the_reader_takes_from_the_copy(
    trees, dataset, folder, sheet, subject_name
):
    """``read_coded_sheet`` (what the twin is built from) equals ``read_dataset`` on the copy."""
    rows, problems = read_coded_sheet(dataset, SHEETS / sheet, subject_name)
    manifest = read_dataset(dataset, trees[0] / folder)
    columns = ["subject", "sample", "onset", "apex", "offset", "action_units", "emotion", "label_composite"]

    def tidy(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[columns].sort_values(["subject", "sample"], ignore_index=True)
        return frame.astype({"onset": "Int64", "apex": "Int64", "offset": "Int64", "action_units": "string"})

    pd.testing.assert_frame_equal(tidy(pd.DataFrame(rows)), tidy(manifest.table))
    sheet_kinds = {p.kind for p in problems}
    assert sheet_kinds <= {p.kind for p in manifest.problems}


def test_casme2_2019_sheet_adds_objective_classes_and_relabels_three_sub24_samples(trees):
    base, _ = trees
    old = read_dataset("casme2", base / "CASME2").table.set_index("video_id")
    new = read_dataset("casme2", base / "CASME2-2019")
    assert len(new) == 255 and list(new.table.columns) == manifest_columns()  # no extra column
    table = new.table.set_index("video_id")
    changed = table.index[table.emotion != old.emotion.reindex(table.index)]
    assert sorted(changed) == ["casme2/sub24/EP07_01", "casme2/sub24/EP07_04f", "casme2/sub24/EP10_03"]
    assert set(old.emotion[changed]) == {"sadness"} and set(table.emotion[changed]) == {"surprise"}
    assert table.emotion.value_counts()[["surprise", "sadness"]].tolist() == [28, 4]
    kinds = collections.Counter(p.kind for p in new.problems)
    assert kinds == {"sheet_value": 1}  # the "/" apex stays; the 2019 sheet has no '?' action units
    assert new.sheets[0].name == CASME_2019


def test_samm_owner_sheet_header_on_row_14_and_its_faults_named(trees):
    base, built = trees
    manifest = read_dataset("samm", base / "SAMM")
    rows = built["samm"]
    assert len(rows) == len(manifest) == 159 and rows[0][0] == 15
    table = manifest.table.set_index("video_id")
    for n, r in rows:
        video_id = f"samm/{r['Subject']}/{r['Filename']}"
        assert table.loc[video_id, ["onset", "apex", "offset"]].tolist() == [
            r["Onset Frame"],
            r["Apex Frame"],
            r["Offset Frame"],
        ], n
    owners = {
        "anger": 57,
        "other": 26,
        "happiness": 26,
        "surprise": 15,
        "contempt": 12,
        "disgust": 9,
        "fear": 8,
        "sadness": 6,
    }
    assert manifest.table.emotion.value_counts().to_dict() == owners
    timing = found(manifest, "sheet_value")
    assert sorted(timing) == ["samm/028/028_4_1", "samm/032/032_3_1"]
    assert timing["samm/028/028_4_1"].where == f"{SAMM_OWNER} row 140"
    assert "apex 1143 is outside onset..offset 1071..1134" in timing["samm/028/028_4_1"].message
    assert "apex 1930" in timing["samm/032/032_3_1"].message
    units = {(p.video_id, p.where) for p in manifest.problems if p.kind == "action_units"}
    odd = {
        (f"samm/{r['Subject']}/{r['Filename']}", f"{SAMM_OWNER} row {n}")
        for n, r in rows
        if re.search(r" or |ref\(", str(r["Action Units"]))
    }
    assert units == odd and len(odd) == 14  # 5 "or" and 9 "ref(...)" codes
    assert {p.kind for p in manifest.problems} == {"sheet_value", "action_units"}


def test_samm_edited_copy_differs_only_in_the_two_apex_cells(trees, tmp_path):
    base, _ = trees
    for subject in (base / "SAMM").iterdir():
        if subject.is_dir():
            (tmp_path / subject.name).symlink_to(subject)
    (tmp_path / SAMM_EDITED).symlink_to(SHEETS / SAMM_EDITED)
    owner = read_dataset("samm", base / "SAMM").table.set_index("video_id")
    edited = read_dataset("samm", tmp_path)
    table = edited.table.set_index("video_id")
    differs = table.index[table.apex != owner.apex]
    assert table.loc[differs, "apex"].to_dict() == {"samm/028/028_4_1": 1113, "samm/032/032_3_1": 4930}
    assert "sheet_value" not in {p.kind for p in edited.problems}


def test_smic_annotation_sheet_gives_onsets_and_names_every_disagreement(trees):
    base, built = trees
    manifest = read_dataset("smic", base / "SMIC")
    assert len(manifest) == 164 and manifest.sheets[0].rows == 157
    table = manifest.table.set_index("sample")
    for sample, (_, r) in built["smic"].items():
        assert table.loc[sample, ["onset", "offset"]].tolist() == [r["OnsetF"], r["OffsetF"]]
    no_row = {"s1_ne_02", "s2_sur_05", "s3_ne_03", "s3_ne_20", "s4_ne_05", "s4_ne_06", "s9_sur_02"}
    assert {v.split("/")[2] for v in found(manifest, "folder_without_row")} == no_row
    assert table.loc[sorted(no_row), "onset"].isna().all()
    (disagrees,) = found(manifest, "sheet_disagrees").values()
    assert disagrees.video_id == "smic/s18/s18_sur_03" and "'negative'" in disagrees.message
    assert table.loc["s18_sur_03", "emotion"] == "surprise"  # the folder's label is kept
    assert set(found(manifest, "sheet_value")) == {"smic/s1/s1_ne_03"}  # onset outside FirstF..LastF
    assert {p.kind for p in manifest.problems} == {"folder_without_row", "sheet_disagrees", "sheet_value"}
    labels = collections.Counter(SMIC_EMOTION[s.split("_")[1]] for s in table.index)
    assert (
        manifest.table.label_3.value_counts().to_dict()
        == labels
        == {"negative": 70, "positive": 51, "surprise": 43}
    )


def test_smic_edited_sheet_splits_five_clips_and_its_missing_cells_are_named(trees, tmp_path):
    base, _ = trees
    edited = "SMIC-HS-E_annotation_orig.xlsx"
    (tmp_path / "HS").symlink_to(base / "SMIC" / "HS")
    (tmp_path / edited).symlink_to(SHEETS / edited)
    manifest = read_dataset("smic", tmp_path)
    split = {"s3_ne_03", "s3_ne_20", "s4_ne_05", "s4_ne_06", "s9_sur_02"}  # rows the owner's sheet lacks
    assert manifest.sheets[0].rows == 162 and len(manifest) == 164
    assert {v.split("/")[2] for v in found(manifest, "folder_without_row")} == {"s1_ne_02", "s2_sur_05"}
    row = next(n for n, r in sheet_rows(edited, worksheet="HS") if r["Filename"] == "s3_ne_20")
    cells = {
        p.message for p in manifest.problems if p.where == f"{edited} row {row}" and p.kind == "sheet_value"
    }
    assert cells == {"FirstF 'MISSING <-426679' is not a frame number", "LastF is missing"}
    assert split <= set(manifest.table["sample"][manifest.table.onset.notna()])


def test_the_stored_composite_list_is_the_official_one():
    stored = (MANIFESTS_DIR / "megc2019_composite.csv").read_text().splitlines()
    assert stored[0] == "dataset,subject,filename,label"
    assert [line.split(",") for line in stored[1:]] == megc_rows()
    listed = composite_list()
    assert listed.groupby("dataset").size().to_dict() == {"casme2": 145, "samm": 133, "smic": 164}
    rows = listed.set_index(["dataset", "sample"])
    assert (
        rows.loc[("smic", "s1_ne_01"), "subject"] == "s1"
        and rows.loc[("samm", "006_1_2"), "subject"] == "006"
    )


def test_read_composite_holds_exactly_the_listed_samples_with_the_lists_labels(trees):
    base, _ = trees
    manifest = read_composite(base / "megc")
    names = {"0": "negative", "1": "positive", "2": "surprise"}
    expected = {}
    for dataset, subject, name, label in megc_rows():
        if dataset == "smic":
            subject, name = unpadded_smic(subject, name)
        elif dataset == "samm":
            subject = f"{int(subject):03d}"
        expected[f"{dataset}/{subject}/{name}"] = names[label]
    table = manifest.table.set_index("video_id")
    assert table.label_composite.to_dict() == expected
    assert table.groupby("dataset").size().to_dict() == {"casme2": 145, "samm": 133, "smic": 164}
    assert table.subject.nunique() == 68 and set(table.subject.str.split("/").str[0]) == {
        "casme2",
        "samm",
        "smic",
    }
    assert list_coverage(manifest)[["listed", "found"]].to_dict("list") == {
        "listed": [145, 133, 164],
        "found": [145, 133, 164],
    }
    # what an emotion mapping would add, named; and every file still readable from the table
    assert sorted(found(manifest, "not_in_list")) == ["casme2/sub04/EP12_01f", "casme2/sub05/EP09_05f"]
    assert all((manifest.root / folder).is_dir() for folder in table.folder)
    assert [s.name for s in manifest.sheets] == ["megc2019_composite.csv", CASME_2014, SAMM_OWNER, SMIC_E]
    by_mapping = read_composite({"casme2": base / "CASME2", "samm": base / "SAMM", "smic": base / "SMIC"})
    assert by_mapping.table.video_id.tolist() == manifest.table.video_id.tolist()
    assert by_mapping.table.label_composite.tolist() == manifest.table.label_composite.tolist()


def test_a_copy_of_four_subjects_names_each_missing_subject_once(trees, tmp_path):
    base, built = trees
    kept = ["sub01", "sub02", "sub11", "sub17"]
    for subject in kept:
        (tmp_path / subject).symlink_to(base / "CASME2" / subject)
    (tmp_path / CASME_2014).symlink_to(SHEETS / CASME_2014)
    manifest = read_dataset("casme2", tmp_path)
    rows = built["casme2014"]
    absent = collections.defaultdict(list)
    for n, r in rows:
        if f"sub{int(r['Subject']):02d}" not in kept:
            absent[f"casme2/sub{int(r['Subject']):02d}"].append(n)
    missing = found(manifest, "missing_subject")
    assert sorted(missing) == sorted(absent) and len(missing) == 22
    for video_id, numbers in absent.items():
        assert f"its {len(numbers)} coded samples" in missing[video_id].message
        assert missing[video_id].where.startswith(f"{CASME_2014} rows {min(numbers)}")
    assert len(manifest) + sum(map(len, absent.values())) == 255
    assert "row_without_folder" not in {p.kind for p in manifest.problems}
    assert len(manifest.summary().splitlines()) == 3  # header, sheet, one line for the 22 subjects
    # in the composite: only the four subjects' listed samples, the other two datasets said once
    composite = read_composite({"casme2": tmp_path})
    assert set(composite.table.subject) == {f"casme2/{s}" for s in kept}
    listed = composite_list()
    assert len(composite) == int((listed.dataset.eq("casme2") & listed.subject.isin(kept)).sum())
    assert sorted(found(composite, "missing_dataset")) == ["samm", "smic"]
    assert "not_in_copy" not in {p.kind for p in composite.problems}
