"""The MEGC 2019 composite: the official list of 442 samples (``data_manifests/``) read against
the user's copies of CASME II, SAMM and SMIC-HS.

Membership and labels come from the list, not from an emotion mapping (which would add CASME II
sub04/EP12_01f and sub05/EP09_05f). The list spells SMIC subjects and samples zero-padded
(``s01_ne_01``) and SAMM subjects unpadded (``6``); they are mapped to the real folders."""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from molkit.data.manifest import COMPOSITE, DATASETS, Manifest, SheetRecord, load_manifest_data, manifest_file
from molkit.data.problems import KEPT, SKIPPED, Problem
from molkit.data.readers import casme2, read_copy, samm, smic

Roots = str | Path | Mapping[str, str | Path]

# The list's (subject, filename) -> the copy's (subject folder, sample folder), per dataset.
_FOLDER_NAMES: dict[str, tuple[Callable[[str], str], Callable[[str], str]]] = {
    "casme2": (casme2.subject_folder, str.strip),
    "samm": (samm.subject_folder, str.strip),
    "smic": (smic.subject_folder, smic.sample_folder),
}


def _info() -> dict:
    return load_manifest_data("composite")


@functools.cache
def composite_list() -> pd.DataFrame:
    """The official list with the copies' folder names: ``dataset, subject, sample, label``
    (class name) and ``line`` (its line in the list file)."""
    spec = _info()["list"]
    text = manifest_file(spec["file"]).read_text(encoding="utf-8")
    listed = pd.read_csv(io.StringIO(text), dtype=str)
    subject, sample = zip(
        *(
            (_FOLDER_NAMES[d][0](s), _FOLDER_NAMES[d][1](f))
            for d, s, f in zip(listed.dataset, listed.subject, listed.filename)
        )
    )
    return pd.DataFrame(
        {
            "dataset": listed.dataset,
            "subject": subject,
            "sample": sample,
            "label": listed.label.astype(int).map(spec["labels"]),
            "line": listed.index + 2,
        }
    )


def _copies(roots: Roots) -> dict[str, Path]:
    """``{dataset: root}`` from a mapping, or from a folder whose sub-folders are named after the
    datasets (``casme2*``, ``samm*``, ``smic*``, any case; symbolic links work)."""
    if isinstance(roots, Mapping):
        unknown = sorted(set(roots) - set(DATASETS))
        if unknown:
            raise ValueError(f"composite copies named {unknown}; use {list(DATASETS)}")
        found = {name: Path(root) for name, root in roots.items()}
        if not found:
            raise ValueError(f"no composite copies given; name some of {list(DATASETS)}")
    else:
        folder = Path(roots)
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: composite root is not a folder")
        found = {}
        for child in sorted(p for p in folder.iterdir() if p.is_dir()):
            key = re.sub(r"[^a-z0-9]", "", child.name.lower())
            for name in DATASETS:
                if key.startswith(name):
                    if name in found:
                        raise ValueError(f"{folder}: two {name} copies, {found[name].name} and {child.name}")
                    found[name] = child
        if not found:
            raise FileNotFoundError(
                f"{folder}: no copy of {list(DATASETS)} in it (sub-folders named casme2*, samm*, smic*)"
            )
    for name, root in found.items():
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: {name} root is not a folder")
    return found


def _listed_videos(manifest: Manifest, listed: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """The copy's videos that the list holds, labelled by the list; what the copy would add and
    what it lacks are reported."""
    dataset, table, where = manifest.dataset, manifest.table, _info()["list"]["file"]
    labels = {
        (s, f): (label, line)
        for s, f, label, line in zip(listed.subject, listed["sample"], listed.label, listed.line)
    }
    keys = list(zip(table.subject, table["sample"]))
    on_list = pd.Series([k in labels for k in keys], index=table.index, dtype=bool)
    for row in table[~on_list & table.label_composite.notna()].itertuples():
        problems.append(
            Problem(
                dataset,
                row.video_id,
                "not_in_list",
                str(manifest.root / row.folder),
                f"its emotion {row.emotion!r} would make it {row.label_composite}; "
                "the MEGC 2019 list leaves it out",
                SKIPPED,
            )
        )
    kept = table[on_list].copy()
    for row in kept.itertuples():
        label, line = labels[row.subject, row.sample]
        if row.label_composite != label:
            problems.append(
                Problem(
                    dataset,
                    row.video_id,
                    "list_label",
                    f"{where} line {line}",
                    f"the list says {label}, the emotion {row.emotion!r} gives "
                    f"{row.label_composite}; the list's label is used",
                    KEPT,
                )
            )
    kept["label_composite"] = [labels[k][0] for k in zip(kept.subject, kept["sample"])]
    absent = {p.video_id for p in manifest.problems if p.kind == "missing_subject"}
    present = set(keys)
    for entry in listed.itertuples():
        video_id = f"{dataset}/{entry.subject}/{entry.sample}"
        if (entry.subject, entry.sample) not in present and f"{dataset}/{entry.subject}" not in absent:
            problems.append(
                Problem(
                    dataset,
                    video_id,
                    "not_in_copy",
                    f"{where} line {entry.line}",
                    "listed, but not among the copy's usable videos",
                    SKIPPED,
                )
            )
    kept["subject"] = dataset + "/" + kept.subject
    return kept


def read_composite(roots: Roots, corrections: str | Path | None = None) -> Manifest:
    """The MEGC 2019 composite as a :class:`Manifest`: exactly the listed samples that exist in the
    copies, ``label_composite`` from the list, subjects named per dataset (``casme2/sub01``).

    ``roots``: ``{"casme2": root, "samm": root, "smic": root}`` (any of them), or a folder holding
    the copies as sub-folders named after the datasets. Listed samples missing from the copies
    (a copy or subject missing altogether said once), and samples an emotion mapping would add,
    are in the problems, with every problem the readers found. ``folder`` is relative to the
    copies' common folder (``root``)."""
    found = _copies(roots)
    common = (
        Path(os.path.commonpath([os.path.abspath(p) for p in found.values()]))
        if isinstance(roots, Mapping)
        else Path(roots)
    )
    listed = composite_list()
    spec = _info()["list"]
    problems: list[Problem] = []
    sheets = [SheetRecord.of(COMPOSITE, manifest_file(spec["file"]), len(listed))]
    tables = []
    for dataset in DATASETS:
        part = listed[listed.dataset == dataset]
        if dataset not in found:
            problems.append(
                Problem(
                    dataset,
                    dataset,
                    "missing_dataset",
                    str(common),
                    f"no {dataset} copy: its {len(part)} listed samples are left out",
                    SKIPPED,
                )
            )
            continue
        manifest = read_copy(dataset, found[dataset], corrections)
        problems += manifest.problems
        sheets += manifest.sheets
        table = _listed_videos(manifest, part, problems)
        table["folder"] = [os.path.relpath(found[dataset] / f, common) for f in table.folder]
        tables.append(table)
    table = pd.concat(tables, ignore_index=True).sort_values("video_id", ignore_index=True)
    return Manifest(COMPOSITE, common, table, problems, sheets)


def list_coverage(manifest: Manifest) -> pd.DataFrame:
    """Per dataset: samples on the list, of them in the manifest, and the labels' counts."""
    listed = composite_list().groupby("dataset").size().rename("listed")
    found = manifest.table.groupby("dataset").size().rename("found")
    labels = pd.crosstab(manifest.table.dataset, manifest.table.label_composite)
    return pd.concat([listed, found, labels], axis=1).fillna(0).astype(int).reindex(list(DATASETS))
