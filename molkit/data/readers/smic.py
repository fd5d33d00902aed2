"""SMIC-HS as released: ``HS/s1/micro/negative/s1_ne_01/image010234.bmp``; the label is the
emotion folder. ``root`` may be the ``HS`` folder or its parent.

The release ships no sheet. When an SMIC-E annotation sheet (``*annotation*.xlsx``, its ``HS``
worksheet) sits beside the copy, its onsets and offsets are used, and every disagreement with
the folders is named: another emotion than the folder's (the folder's label is kept), a folder
without a row, a row without a folder, an onset or offset outside the row's FirstF..LastF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from molkit.data.manifest import SheetRecord
from molkit.data.problems import KEPT, SKIPPED, Problem
from molkit.data.readers.common import (
    ReadResult,
    find_sheet,
    frame_number_cell,
    match_rows,
    read_sheet,
    subfolders,
    video_row,
    whole_number,
)


def subject_folder(cell: Any) -> str:
    """``1``, ``"s01"`` or ``"s1"`` -> ``"s1"``."""
    text = str(cell).strip()
    digits = re.fullmatch(r"s?0*(\d+)(?:\.0)?", text, re.IGNORECASE)
    return f"s{int(digits.group(1))}" if digits else text


def sample_folder(name: str) -> str:
    """``"s01_ne_01"`` (the MEGC 2019 list's padding) -> ``"s1_ne_01"``."""
    subject, sep, rest = str(name).strip().partition("_")
    return f"{subject_folder(subject)}{sep}{rest}"


def _check_row(
    coded: dict[str, Any], emotion: str, ctx: tuple[str, str, str], problems: list[Problem]
) -> None:
    """Name where the sheet's row disagrees with the folder or with its own long clip."""
    dataset, video_id, where = ctx
    said = str(coded.get("emotion") or "").strip().lower()
    if said and said != emotion:
        problems.append(
            Problem(
                dataset,
                video_id,
                "sheet_disagrees",
                where,
                f"the sheet says {said!r}, the folder {emotion!r}; the folder's label is used",
                KEPT,
            )
        )
    first, last = (
        frame_number_cell(coded.get(c), name, ctx, problems)
        for c, name in (("first", "FirstF"), ("last", "LastF"))
    )
    for column in ("onset", "offset"):
        value = whole_number(coded.get(column))
        if None not in (first, last, value) and not first <= value <= last:
            problems.append(
                Problem(
                    dataset,
                    video_id,
                    "sheet_value",
                    where,
                    f"{column} {value} is outside FirstF..LastF {first}..{last}",
                    KEPT,
                )
            )


def read(root: Path, corrections: Path | None = None) -> ReadResult:
    base = root / "HS" if (root / "HS").is_dir() else root
    problems: list[Problem] = []
    samples: dict[tuple[str, str], tuple[Path, str]] = {}
    subjects = subfolders(base, r"s\d+")
    for subject in subjects:
        micro = subject / "micro"
        if not micro.is_dir():
            problems.append(
                Problem(
                    "smic",
                    f"smic/{subject.name}",
                    "missing_frames",
                    str(subject),
                    "no 'micro' folder",
                    SKIPPED,
                )
            )
            continue
        for emotion in subfolders(micro):
            for folder in subfolders(emotion):
                key = (subject.name, folder.name)
                if key in samples:
                    problems.append(
                        Problem(
                            "smic",
                            f"smic/{key[0]}/{key[1]}",
                            "duplicate_id",
                            str(folder),
                            f"also found at {samples[key][0]}; the first is used",
                            SKIPPED,
                        )
                    )
                    continue
                samples[key] = (folder, emotion.name.lower())
    sheet_path = find_sheet(root, "smic", required=False, folders=(base,))
    matched, sheets = {}, []
    if sheet_path is not None:
        sheet = read_sheet(sheet_path, "smic")
        sheets = [SheetRecord.of("smic", sheet_path, len(sheet))]
        matched = match_rows(
            "smic",
            base,
            sheet_path,
            sheet,
            {k: f for k, (f, _) in samples.items()},
            {s.name for s in subjects},
            subject_folder,
            problems,
        )
    rows = []
    for (subject, sample), (folder, emotion) in samples.items():
        video_id = f"smic/{subject}/{sample}"
        coded, where = matched.get((subject, sample), ({}, str(folder)))
        if coded:
            _check_row(coded, emotion, ("smic", video_id, where), problems)
        elif sheet_path is not None:
            problems.append(
                Problem(
                    "smic",
                    video_id,
                    "folder_without_row",
                    str(folder),
                    f"not in {sheet_path.name}: no onset or offset",
                    KEPT,
                )
            )
        timing = {c: coded[c] for c in ("onset", "offset") if coded}
        row = video_row(
            "smic", subject, sample, folder, root, {**timing, "emotion": emotion}, where, problems
        )
        if row:
            rows.append(row)
    return rows, problems, sheets
