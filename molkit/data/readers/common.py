"""What the three readers share: frame listing, coding sheets, corrections and row checks."""

from __future__ import annotations

import functools
import io
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from molkit.data.clips import CLIP_LENGTH
from molkit.data.manifest import SheetRecord, emotion_labels, load_manifest_data, manifest_file
from molkit.data.problems import CORRECTED, KEPT, SKIPPED, Problem, format_runs

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
    return sorted(
        p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and regex.fullmatch(p.name)
    )


def _norm(text: Any) -> str:
    return re.sub(r"\s+", "", str(text)).lower()


def is_missing(value: Any) -> bool:
    missing = {_norm(v) for v in load_manifest_data("sheet_rules")["missing_values"]}
    return value is None or (isinstance(value, float) and pd.isna(value)) or _norm(value) in missing


def find_sheet(
    root: Path, dataset: str, *, required: bool = True, folders: tuple[Path, ...] = ()
) -> Path | None:
    """The coding sheet (``*.xlsx``) at the dataset root (or in ``folders``); when there are
    several, the one whose name holds the dataset's keyword (``sheet_rules.yaml``). A clear error
    when there is none (None when not ``required``) or several could be meant."""
    sheets = sorted(
        {p for folder in (root, *folders) for p in folder.glob("*.xlsx") if not p.name.startswith("~$")}
    )
    keyword = load_manifest_data("sheet_rules")["sheet_keywords"][dataset]
    named = [p for p in sheets if keyword in p.name.lower()]
    if len(named) == 1 or len(sheets) == 1:
        return (named or sheets)[0]
    if sheets:
        raise ValueError(
            f"{root}: several coding sheets, cannot tell which one to use: {[p.name for p in sheets]}"
        )
    if required:
        raise FileNotFoundError(f"{root}: no coding sheet (*.xlsx) found at the dataset root")
    return None


def read_sheet(path: Path, dataset: str) -> pd.DataFrame:
    """The sheet's rows with manifest column names and the spreadsheet row number (``row``).

    The header is the first row that holds every expected column name (SAMM's is not row 1);
    unnamed and unknown columns are dropped."""
    rules = load_manifest_data("sheet_rules")
    wanted = rules["columns"][dataset]
    worksheet = rules["worksheets"].get(dataset, 0)
    try:
        raw = pd.read_excel(path, header=None, dtype=object, sheet_name=worksheet)
    except Exception as err:
        raise ValueError(f"{path}: cannot read the coding sheet ({err})") from err
    needed = {_norm(name): key for key, name in wanted.items()}
    for index, values in raw.iterrows():
        names = [_norm(v) for v in values]
        if set(needed) <= set(names):
            body = raw.iloc[index + 1 :]
            table = pd.DataFrame({key: body[names.index(n)].to_numpy() for n, key in needed.items()})
            table["row"] = [int(i) + 1 for i in body.index]  # 1-based, as a spreadsheet shows it
            return table[table.drop(columns="row").notna().any(axis=1)].reset_index(drop=True)
    raise ValueError(f"{path}: no header row with the columns {list(wanted.values())}")


@functools.cache
def _corrections(path: Path | None) -> pd.DataFrame:
    source = path or io.StringIO(manifest_file("corrections.csv").read_text(encoding="utf-8"))
    return pd.read_csv(source, dtype=str, keep_default_na=False)


def apply_corrections(
    row: dict[str, Any],
    dataset: str,
    where: str,
    video_id: str,
    problems: list[Problem],
    path: Path | None = None,
) -> dict[str, Any]:
    """Replace sheet values listed in ``data_manifests/corrections.csv`` (each with its source)."""
    table = _corrections(path)
    hits = table[
        (table.dataset == dataset) & (table.subject == row["subject"]) & (table["sample"] == row["sample"])
    ]
    row = dict(row)
    for fix in hits.itertuples():
        problems.append(
            Problem(
                dataset,
                video_id,
                "correction",
                where,
                f"{fix.column} {row.get(fix.column)!r} -> {fix.value!r} ({fix.source})",
                CORRECTED,
            )
        )
        row[fix.column] = fix.value
    return row


def whole_number(value: Any) -> int | None:
    """A cell holding a whole number (``46``, ``46.0``, ``"46"``) as int, else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def frame_number_cell(
    value: Any, column: str, ctx: tuple[str, str, str], problems: list[Problem]
) -> int | None:
    """A coded frame number, or None (reported) when it is missing or not a number."""
    dataset, video_id, where = ctx
    if is_missing(value):
        problems.append(Problem(dataset, video_id, "sheet_value", where, f"{column} is missing", KEPT))
        return None
    number = whole_number(value)
    if number is None:
        problems.append(
            Problem(
                dataset, video_id, "sheet_value", where, f"{column} {value!r} is not a frame number", KEPT
            )
        )
    return number


def check_frames(frames: list[Path], ctx: tuple[str, str, str], problems: list[Problem]) -> bool:
    """Report empty folders, gaps in frame numbering and clips shorter than 8 frames; False when
    the video cannot be used."""
    dataset, video_id, folder = ctx
    if not frames:
        problems.append(
            Problem(
                dataset, video_id, "missing_frames", folder, "no image files in the sample folder", SKIPPED
            )
        )
        return False
    numbers = [n for n in (frame_number(p) for p in frames) if n is not None]
    gaps = sorted(set(range(min(numbers), max(numbers) + 1)) - set(numbers)) if numbers else []
    if gaps:
        problems.append(
            Problem(
                dataset,
                video_id,
                "missing_frames",
                folder,
                f"frame numbers {gaps[:10]}{' ...' if len(gaps) > 10 else ''} are missing",
                KEPT,
            )
        )
    if len(frames) < CLIP_LENGTH:
        problems.append(
            Problem(
                dataset,
                video_id,
                "too_short",
                folder,
                f"{len(frames)} frames, a clip needs {CLIP_LENGTH}",
                SKIPPED,
            )
        )
        return False
    return True


def _check_timing(
    onset: int | None,
    apex: int | None,
    offset: int | None,
    numbers: list[int],
    ctx: tuple[str, str, str],
    problems: list[Problem],
) -> None:
    """Report an offset before the onset, an apex outside onset..offset, and onset..offset
    outside the frames the folder holds (all kept as coded)."""
    dataset, video_id, where = ctx
    if onset is not None and offset is not None and offset < onset:
        problems.append(
            Problem(dataset, video_id, "sheet_value", where, f"offset {offset} is before onset {onset}", KEPT)
        )
    elif None not in (onset, apex, offset) and not onset <= apex <= offset:
        problems.append(
            Problem(
                dataset,
                video_id,
                "sheet_value",
                where,
                f"apex {apex} is outside onset..offset {onset}..{offset}",
                KEPT,
            )
        )
    coded = [n for n in (onset, offset) if n is not None]
    if coded and numbers and (min(coded) < min(numbers) or max(coded) > max(numbers)):
        problems.append(
            Problem(
                dataset,
                video_id,
                "outside_frames",
                where,
                f"onset..offset {onset}..{offset} is not within the folder's frames "
                f"{min(numbers)}..{max(numbers)}",
                KEPT,
            )
        )


def _check_action_units(units: str | None, ctx: tuple[str, str, str], problems: list[Problem]) -> None:
    """Report action-unit codes that hold what ``sheet_rules.yaml`` lists ('or', 'ref(...)', '?')."""
    dataset, video_id, where = ctx
    for pattern, what in load_manifest_data("sheet_rules")["action_unit_notes"].items():
        if units and re.search(pattern, units, re.IGNORECASE):
            problems.append(
                Problem(dataset, video_id, "action_units", where, f"action units {units!r} hold {what}", KEPT)
            )


def coded_fields(
    dataset: str, video_id: str, coded: dict[str, Any], where: str, problems: list[Problem]
) -> dict[str, Any] | None:
    """What a sheet row codes (frame numbers, action units, emotion and its labels), or None
    (reported) when its emotion is unknown; frame numbers are checked against each other only."""
    ctx = (dataset, video_id, where)
    emotion = None if is_missing(coded.get("emotion")) else str(coded["emotion"]).strip().lower()
    labels = emotion_labels(dataset, emotion) if emotion else None
    if labels is None:
        message = f"unknown emotion {emotion!r}" if emotion else "no emotion coded"
        problems.append(Problem(dataset, video_id, "unknown_emotion", where, message, SKIPPED))
        return None
    onset, apex, offset = (
        frame_number_cell(coded.get(c), c, ctx, problems) if c in coded else None
        for c in ("onset", "apex", "offset")
    )
    units = None if is_missing(coded.get("action_units")) else str(coded["action_units"]).strip()
    _check_action_units(units, ctx, problems)
    return {
        "onset": onset,
        "apex": apex,
        "offset": offset,
        "action_units": units,
        "emotion": emotion,
        "label_5": labels["5"],
        "label_3": labels["3"],
        "label_composite": labels["composite"],
    }


def video_row(
    dataset: str,
    subject: str,
    sample: str,
    folder: Path,
    root: Path,
    coded: dict[str, Any],
    where: str,
    problems: list[Problem],
) -> dict[str, Any] | None:
    """A manifest row for one coded sample, or None (reported) when it cannot be used."""
    video_id = f"{dataset}/{subject}/{sample}"
    fields = coded_fields(dataset, video_id, coded, where, problems)
    if fields is None:
        return None
    frames = list_frames(folder)
    if not check_frames(frames, (dataset, video_id, str(folder)), problems):
        return None
    numbers = [n for n in map(frame_number, frames) if n is not None]
    _check_timing(
        fields["onset"], fields["apex"], fields["offset"], numbers, (dataset, video_id, where), problems
    )
    return {
        "dataset": dataset,
        "subject": subject,
        "sample": sample,
        "video_id": video_id,
        "folder": str(folder.relative_to(root)),
        "frame_paths": [str(p) for p in frames],
        "n_frames": len(frames),
        **fields,
    }


def read_coded_sheet(
    dataset: str, sheet_path: Path, subject_name: Callable[[Any], str], corrections: Path | None = None
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """What a reader takes from a coding sheet alone, without the frames: one row per coded
    sample (subject and sample as folder names, :func:`coded_fields`, ``row``: the sheet's row),
    with the problems the sheet itself holds (duplicates, unknown emotions, values, order)."""
    problems: list[Problem] = []
    rows, seen = [], {}
    for coded in read_sheet(sheet_path, dataset).to_dict("records"):
        where = f"{sheet_path.name} row {coded['row']}"
        subject, sample = subject_name(coded["subject"]), str(coded["sample"]).strip()
        video_id = f"{dataset}/{subject}/{sample}"
        if (subject, sample) in seen:
            problems.append(_duplicate(dataset, video_id, where, seen[subject, sample]))
            continue
        seen[subject, sample] = where
        coded = apply_corrections(
            {**coded, "subject": subject, "sample": sample}, dataset, where, video_id, problems, corrections
        )
        fields = coded_fields(dataset, video_id, coded, where, problems)
        if fields is not None:
            _check_timing(
                fields["onset"], fields["apex"], fields["offset"], [], (dataset, video_id, where), problems
            )
            rows.append({"subject": subject, "sample": sample, **fields, "row": coded["row"]})
    return rows, problems


def _duplicate(dataset: str, video_id: str, where: str, first: str) -> Problem:
    """A sheet row coding a sample that an earlier row (``first``) already codes."""
    sample = video_id.split("/", 1)[1]
    return Problem(
        dataset,
        video_id,
        "duplicate_id",
        where,
        f"{sample} is also coded at {first}; the first row is used",
        SKIPPED,
    )


ReadResult = tuple[list[dict[str, Any]], list[Problem], list[SheetRecord]]


def match_rows(
    dataset: str,
    root: Path,
    sheet_path: Path,
    sheet: pd.DataFrame,
    folders: dict[tuple[str, str], Path],
    subjects: set[str],
    subject_name: Callable[[Any], str],
    problems: list[Problem],
) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    """Sheet rows matched to sample folders: ``{(subject, sample): (row, where)}``.

    ``subject_name`` turns a Subject cell into the folder name. Duplicate rows and rows without
    a folder are reported by row; a subject without any folder once, with its rows."""
    matched: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    seen: dict[tuple[str, str], str] = {}
    absent: dict[str, list[int]] = defaultdict(list)
    for coded in sheet.to_dict("records"):
        where = f"{sheet_path.name} row {coded['row']}"
        key = subject, sample = subject_name(coded["subject"]), str(coded["sample"]).strip()
        video_id = f"{dataset}/{subject}/{sample}"
        if key in seen:
            problems.append(_duplicate(dataset, video_id, where, seen[key]))
            continue
        seen[key] = where
        if subject not in subjects:
            absent[subject].append(coded["row"])
        elif key not in folders:
            problems.append(
                Problem(
                    dataset,
                    video_id,
                    "row_without_folder",
                    where,
                    f"no folder {root / subject / sample}",
                    SKIPPED,
                )
            )
        else:
            matched[key] = ({**coded, "subject": subject, "sample": sample}, where)
    for subject, numbers in absent.items():
        problems.append(
            Problem(
                dataset,
                f"{dataset}/{subject}",
                "missing_subject",
                f"{sheet_path.name} rows {format_runs(numbers)}",
                f"no folder {root / subject}: its {len(numbers)} coded samples are left out",
                SKIPPED,
            )
        )
    return matched


def read_coded(
    dataset: str,
    root: Path,
    subject_pattern: str,
    subject_name: Callable[[Any], str],
    corrections: Path | None = None,
) -> ReadResult:
    """CASME II and SAMM: match coding-sheet rows to ``root/<subject>/<sample>/`` folders.
    Folders without a row are reported and skipped."""
    sheet_path = find_sheet(root, dataset)
    sheet = read_sheet(sheet_path, dataset)
    problems: list[Problem] = []
    subjects = subfolders(root, subject_pattern)
    folders = {(s.name, f.name): f for s in subjects for f in subfolders(s)}
    matched = match_rows(
        dataset, root, sheet_path, sheet, folders, {s.name for s in subjects}, subject_name, problems
    )
    rows = []
    for (subject, sample), (coded, where) in matched.items():
        video_id = f"{dataset}/{subject}/{sample}"
        coded = apply_corrections(coded, dataset, where, video_id, problems, corrections)
        row = video_row(dataset, subject, sample, folders[subject, sample], root, coded, where, problems)
        if row:
            rows.append(row)
    for (subject, sample), folder in folders.items():
        if (subject, sample) not in matched:
            problems.append(
                Problem(
                    dataset,
                    f"{dataset}/{subject}/{sample}",
                    "folder_without_row",
                    str(folder),
                    f"not coded in {sheet_path.name}",
                    SKIPPED,
                )
            )
    return rows, problems, [SheetRecord.of(dataset, sheet_path, len(sheet))]
