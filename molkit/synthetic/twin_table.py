"""The twin's per-sample table: one row per sample the kit's readers accept from the owners'
coding sheets (CASME II, SAMM) and per SMIC-HS sample on the MEGC 2019 list, with the sheet's
subject, sample, emotion, action units and onset/apex/offset frame numbers, and the frame rate.

The table ships as ``data_manifests/twin_samples.csv`` (derived from the sheets named in
``twin.yaml``; no images), so a twin can be made without the sheets; ``sheet_table(folder)``
derives it again from a user's own copy of the sheets.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from molkit.data.composite import composite_list
from molkit.data.manifest import DATASETS, MANIFESTS_DIR, load_manifest_data, manifest_file
from molkit.data.problems import Problem
from molkit.data.readers import casme2, samm, smic
from molkit.data.readers.common import read_coded_sheet, read_sheet

COLUMNS = ("dataset", "subject", "sample", "emotion", "action_units", "onset", "apex", "offset", "fps")
_SUBJECT_NAMES = {"casme2": casme2.subject_folder, "samm": samm.subject_folder, "smic": smic.subject_folder}
# How each sheet is recognised in a folder of sheets, most specific first.
_SHEET_PATTERNS = {
    "casme2": ("CASME2-coding-20140508.xlsx", "CASME2-coding*.xlsx"),
    "samm": ("SAMM_Micro_FACS_Codes_v2*.xlsx", "SAMM*.xlsx"),
    "smic": ("SMIC-HS-E_annotation.xlsx", "SMIC*annotation*.xlsx"),
}


def twin_info() -> dict:
    """``data_manifests/twin.yaml``: the sheets, the capture settings and their sources."""
    return load_manifest_data("twin")


def find_twin_sheet(folder: Path, dataset: str) -> Path:
    """The owners' sheet of ``dataset`` in ``folder``; a one-line error naming what is missing."""
    for pattern in _SHEET_PATTERNS[dataset]:
        found = sorted(p for p in folder.glob(pattern) if not p.name.startswith("~$"))
        if found:
            return found[0]
    raise FileNotFoundError(f"{folder}: no {dataset} sheet ({' or '.join(_SHEET_PATTERNS[dataset])})")


def _smic_rows(sheet: Path | None) -> tuple[list[dict], list[Problem]]:
    """The MEGC 2019 list's SMIC-HS samples, timed from the SMIC-E sheet where it has them."""
    timing, problems = {}, []
    if sheet is not None:
        coded = read_sheet(sheet, "smic")
        for entry in coded.to_dict("records"):
            key = smic.subject_folder(entry["subject"]), smic.sample_folder(entry["sample"])
            timing.setdefault(key, entry)
    listed = composite_list()
    rows = []
    for entry in listed[listed.dataset == "smic"].itertuples():
        subject, sample = smic.subject_folder(entry.subject), smic.sample_folder(entry.sample)
        coded = timing.get((subject, sample), {})
        rows.append(
            {
                "subject": subject,
                "sample": sample,
                "emotion": entry.label,
                "action_units": None,
                "onset": coded.get("onset"),
                "apex": None,
                "offset": coded.get("offset"),
            }
        )
    return rows, problems


def sheet_table(
    folder: str | Path, datasets: tuple[str, ...] = DATASETS
) -> tuple[pd.DataFrame, list[Problem]]:
    """The per-sample table (:data:`COLUMNS`) of ``datasets`` derived from the owners' sheets in
    ``folder``, with the problems the sheets hold."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: sheets folder is not a folder")
    info, parts, problems = twin_info(), [], []
    for dataset in datasets:
        if dataset == "smic":
            rows, found = _smic_rows(find_twin_sheet(folder, "smic"))
        else:
            rows, found = read_coded_sheet(dataset, find_twin_sheet(folder, dataset), _SUBJECT_NAMES[dataset])
        problems += found
        part = pd.DataFrame(rows)
        part.insert(0, "dataset", dataset)
        part["fps"] = info["capture"][dataset]["fps"]
        parts.append(part)
    return _normalised(pd.concat(parts, ignore_index=True)), problems


def _normalised(table: pd.DataFrame) -> pd.DataFrame:
    table = table[list(COLUMNS)].copy()
    for column in ("onset", "apex", "offset", "fps"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    for column in ("subject", "sample", "emotion", "action_units"):
        table[column] = table[column].astype("string")
    return table.reset_index(drop=True)


def shipped_table() -> pd.DataFrame:
    """The table as shipped in ``data_manifests/twin_samples.csv``."""
    text = manifest_file(twin_info()["table"]).read_text(encoding="utf-8")
    return _normalised(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""]))


def twin_samples(name: str, sheets: str | Path | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """The samples of the ``name`` twin (a dataset, or ``"composite"``: the MEGC 2019 list's 442,
    with a ``label_composite`` column), from the shipped table or from ``sheets``."""
    if name not in (*DATASETS, "composite"):
        raise ValueError(f"unknown twin {name!r}; choose one of {[*DATASETS, 'composite']}")
    needed = DATASETS if name == "composite" else (name,)
    table, problems = sheet_table(sheets, needed) if sheets else (shipped_table(), [])
    if name == "composite":
        listed = composite_list()
        keys = {
            (
                row.dataset,
                _SUBJECT_NAMES[row.dataset](row.subject),
                _sample_name(row.dataset, row.sample),
            ): row.label
            for row in listed.itertuples()
        }
        labels = [keys.get(k) for k in zip(table.dataset, table.subject, table["sample"])]
        table = table.assign(label_composite=labels)
        return table[table.label_composite.notna()].reset_index(drop=True), problems
    return table[table.dataset == name].reset_index(drop=True), [p for p in problems if p.dataset == name]


def _sample_name(dataset: str, sample: str) -> str:
    return smic.sample_folder(sample) if dataset == "smic" else str(sample).strip()


def write_shipped_table(sheets: str | Path, out: str | Path | None = None) -> Path:
    """Derive the table from ``sheets`` and write it (default: the shipped file)."""
    table, _ = sheet_table(sheets)
    path = Path(out) if out else Path(str(MANIFESTS_DIR.joinpath(twin_info()["table"])))
    table.to_csv(path, index=False)
    return path
