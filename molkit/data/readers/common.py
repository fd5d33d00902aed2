"""What the three readers share: frame listing, coding sheets, corrections and row checks."""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pandas as pd

from molkit.data.clips import CLIP_LENGTH
from molkit.data.manifest import MANIFESTS_DIR, emotion_labels, load_manifest_data
from molkit.data.problems import CORRECTED, KEPT, SKIPPED, Problem

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def frame_number(path: Path) -> int | None:
    """The last integer in a frame's file name (``img46.jpg`` -> 46)."""
    match = _NUMBER.search(path.stem)
    return int(match.group(1)) if match else None


def list_frames(folder: Path) -> list[Path]:
    """The image files of a sample folder in temporal (numeric) order."""
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=lambda p: (frame_number(p) is None, frame_number(p) or 0, p.name))


def subfolders(folder: Path, pattern: str = r".+") -> list[Path]:
    """Sub-folders whose name matches ``pattern`` (hidden ones left out), sorted by name."""
    regex = re.compile(pattern)
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and regex.fullmatch(p.name))


def _norm(text: Any) -> str:
    return re.sub(r"\s+", "", str(text)).lower()


def is_missing(value: Any) -> bool:
    missing = {_norm(v) for v in load_manifest_data("sheet_rules")["missing_values"]}
    return value is None or (isinstance(value, float) and pd.isna(value)) or _norm(value) in missing


def find_sheet(root: Path) -> Path:
    """The coding sheet (``*.xlsx``) at the dataset root; a clear error when there is none or
    several could be meant."""
    sheets = sorted(p for p in root.glob("*.xlsx") if not p.name.startswith("~$"))
    coding = [p for p in sheets if "coding" in p.name.lower()]
    if len(coding) == 1 or len(sheets) == 1:
        return (coding or sheets)[0]
    if not sheets:
        raise FileNotFoundError(f"{root}: no coding sheet (*.xlsx) found at the dataset root")
    raise ValueError(f"{root}: several coding sheets, cannot tell which one to use: "
                     f"{[p.name for p in sheets]}")


def read_sheet(path: Path, dataset: str) -> pd.DataFrame:
    """The sheet's rows with manifest column names and the spreadsheet row number (``row``).

    The header is the first row that holds every expected column name (SAMM's is not row 1);
    unnamed and unknown columns are dropped."""
    wanted = load_manifest_data("sheet_rules")["columns"][dataset]
    try:
        raw = pd.read_excel(path, header=None, dtype=object)
    except Exception as err:
        raise ValueError(f"{path}: cannot read the coding sheet ({err})") from err
    needed = {_norm(name): key for key, name in wanted.items()}
    for index, values in raw.iterrows():
        names = [_norm(v) for v in values]
        if set(needed) <= set(names):
            body = raw.iloc[index + 1:]
            table = pd.DataFrame({key: body[names.index(n)].to_numpy() for n, key in needed.items()})
            table["row"] = [int(i) + 1 for i in body.index]  # 1-based, as a spreadsheet shows it
            return table[table.drop(columns="row").notna().any(axis=1)].reset_index(drop=True)
    raise ValueError(f"{path}: no header row with the columns {list(wanted.values())}")


@functools.cache
def _corrections(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def apply_corrections(row: dict[str, Any], dataset: str, where: str, video_id: str,
                      problems: list[Problem], path: Path | None = None) -> dict[str, Any]:
    """Replace sheet values listed in ``data_manifests/corrections.csv`` (each with its source)."""
    table = _corrections(Path(path or MANIFESTS_DIR / "corrections.csv"))
    hits = table[(table.dataset == dataset) & (table.subject == row["subject"])
                 & (table["sample"] == row["sample"])]
    row = dict(row)
    for fix in hits.itertuples():
        problems.append(Problem(dataset, video_id, "correction", where,
                                f"{fix.column} {row.get(fix.column)!r} -> {fix.value!r} ({fix.source})",
                                CORRECTED))
        row[fix.column] = fix.value
    return row


def frame_number_cell(value: Any, column: str, ctx: tuple[str, str, str],
                      problems: list[Problem]) -> int | None:
    """A coded frame number, or None (reported) when it is missing or not a number."""
    dataset, video_id, where = ctx
    if is_missing(value):
        problems.append(Problem(dataset, video_id, "sheet_value", where, f"{column} is missing", KEPT))
        return None
    try:
        number = float(value)
        if number != int(number):
            raise ValueError
        return int(number)
    except (TypeError, ValueError):
        problems.append(Problem(dataset, video_id, "sheet_value", where,
                                f"{column} {value!r} is not a frame number", KEPT))
        return None


def check_frames(frames: list[Path], ctx: tuple[str, str, str], problems: list[Problem]) -> bool:
    """Report empty folders, gaps in frame numbering and clips shorter than 8 frames; False when
    the video cannot be used."""
    dataset, video_id, folder = ctx
    if not frames:
        problems.append(Problem(dataset, video_id, "missing_frames", folder,
                                "no image files in the sample folder", SKIPPED))
        return False
    numbers = [n for n in (frame_number(p) for p in frames) if n is not None]
    gaps = sorted(set(range(min(numbers), max(numbers) + 1)) - set(numbers)) if numbers else []
    if gaps:
        problems.append(Problem(dataset, video_id, "missing_frames", folder,
                                f"frame numbers {gaps[:10]}{' ...' if len(gaps) > 10 else ''} are missing",
                                KEPT))
    if len(frames) < CLIP_LENGTH:
        problems.append(Problem(dataset, video_id, "too_short", folder,
                                f"{len(frames)} frames, a clip needs {CLIP_LENGTH}", SKIPPED))
        return False
    return True


def video_row(dataset: str, subject: str, sample: str, folder: Path, root: Path,
              coded: dict[str, Any], where: str, problems: list[Problem]) -> dict[str, Any] | None:
    """A manifest row for one coded sample, or None (reported) when it cannot be used."""
    video_id = f"{dataset}/{subject}/{sample}"
    ctx = (dataset, video_id, where)
    emotion = None if is_missing(coded.get("emotion")) else str(coded["emotion"]).strip().lower()
    labels = emotion_labels(dataset, emotion) if emotion else None
    if labels is None:
        message = f"unknown emotion {emotion!r}" if emotion else "no emotion coded"
        problems.append(Problem(dataset, video_id, "unknown_emotion", where, message, SKIPPED))
        return None
    frames = list_frames(folder)
    if not check_frames(frames, (dataset, video_id, str(folder)), problems):
        return None
    onset, apex, offset = (frame_number_cell(coded.get(c), c, ctx, problems) if c in coded else None
                           for c in ("onset", "apex", "offset"))
    if onset is not None and offset is not None and offset < onset:
        problems.append(Problem(dataset, video_id, "sheet_value", where,
                                f"offset {offset} is before onset {onset}", KEPT))
    elif None not in (onset, apex, offset) and not onset <= apex <= offset:
        problems.append(Problem(dataset, video_id, "sheet_value", where,
                                f"apex {apex} is outside onset..offset {onset}..{offset}", KEPT))
    units = None if is_missing(coded.get("action_units")) else str(coded["action_units"]).strip()
    if units and re.search(r"\bor\b", units, re.IGNORECASE):
        problems.append(Problem(dataset, video_id, "sheet_value", where,
                                f"action units {units!r} hold an alternative ('or'); kept as coded", KEPT))
    return {
        "dataset": dataset, "subject": subject, "sample": sample, "video_id": video_id,
        "folder": str(folder.relative_to(root)), "frame_paths": [str(p) for p in frames],
        "n_frames": len(frames), "onset": onset, "apex": apex, "offset": offset,
        "action_units": units, "emotion": emotion,
        "label_5": labels["5"], "label_3": labels["3"], "label_composite": labels["composite"],
    }


def read_coded(dataset: str, root: Path, subject_pattern: str, subject_name,
               corrections: Path | None = None) -> tuple[list[dict[str, Any]], list[Problem]]:
    """CASME II and SAMM: match coding-sheet rows to ``root/<subject>/<sample>/`` folders.

    ``subject_name`` turns a sheet's Subject cell into the folder name. Rows without a folder,
    folders without a row and duplicate rows are reported by name."""
    sheet_path = find_sheet(root)
    sheet = read_sheet(sheet_path, dataset)
    problems: list[Problem] = []
    folders = {(s.name, f.name): f for s in subfolders(root, subject_pattern) for f in subfolders(s)}
    rows, seen = [], {}
    for coded in sheet.to_dict("records"):
        where = f"{sheet_path.name} row {coded['row']}"
        subject, sample = subject_name(coded["subject"]), str(coded["sample"]).strip()
        video_id = f"{dataset}/{subject}/{sample}"
        if (subject, sample) in seen:
            problems.append(Problem(dataset, video_id, "duplicate_id", where,
                                    f"{subject}/{sample} is also coded at {seen[subject, sample]}; "
                                    "the first row is used", SKIPPED))
            continue
        seen[subject, sample] = where
        if (subject, sample) not in folders:
            problems.append(Problem(dataset, video_id, "row_without_folder", where,
                                    f"no folder {root / subject / sample}", SKIPPED))
            continue
        coded = apply_corrections({**coded, "subject": subject, "sample": sample}, dataset, where,
                                  video_id, problems, corrections)
        row = video_row(dataset, subject, sample, folders[subject, sample], root, coded, where, problems)
        if row:
            rows.append(row)
    for (subject, sample), folder in folders.items():
        if (subject, sample) not in seen:
            problems.append(Problem(dataset, f"{dataset}/{subject}/{sample}", "folder_without_row",
                                    str(folder), f"not coded in {sheet_path.name}", SKIPPED))
    return rows, problems
