"""The manifest: one row per video of a dataset, its labels in every class set, the sheets it was
read from and the problems found while reading it. Schema, class maps and the MEGC 2019 list are
data, in ``data_manifests/``, which ships inside the package (read with ``importlib.resources``,
so an installed molkit finds them from any working directory)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from molkit.data.problems import Problem, problems_table, summary_lines

DATASETS = ("casme2", "samm", "smic")
COMPOSITE = "composite"  # the MEGC 2019 composite of the three (molkit.data.read_composite)
CLASS_SETS = ("5", "3", "composite")
# The installed data folder (a plain folder in a wheel or an editable install).
MANIFESTS_DIR = Path(str(importlib.resources.files("molkit").joinpath("data_manifests")))


def manifest_file(name: str) -> Traversable:
    """A file of ``data_manifests/`` inside the installed package; a clear error when absent."""
    path = importlib.resources.files("molkit").joinpath("data_manifests", name)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: molkit's data manifest is missing (a broken install?)")
    return path


@functools.cache
def load_manifest_data(name: str) -> Any:
    """A YAML file of ``data_manifests/`` (``classes``, ``schema``, ``loso_subjects`` ...)."""
    return yaml.safe_load(manifest_file(f"{name}.yaml").read_text(encoding="utf-8"))


def manifest_columns() -> list[str]:
    return list(load_manifest_data("schema")["columns"])


def class_names(classes: str, dataset: str | None = None) -> list[str]:
    """The class set's names in logit order; the 5-class set depends on the dataset."""
    sets = load_manifest_data("classes")["class_sets"]
    if classes not in sets:
        raise ValueError(f"unknown class set {classes!r}; choose one of {sorted(sets)}")
    names = sets[classes]
    if isinstance(names, dict):
        if dataset not in names:
            raise ValueError(f"class set {classes!r} is defined for {sorted(names)}, not {dataset!r}")
        names = names[dataset]
    return list(names)


def emotion_labels(dataset: str, emotion: str) -> dict[str, str | None] | None:
    """``{"5": .., "3": .., "composite": ..}`` for a known emotion, None for an unknown one."""
    known = load_manifest_data("classes")["emotions"][dataset]
    return known.get(emotion)


def label_column(classes: str) -> str:
    """The manifest column holding labels of a class set."""
    if classes not in CLASS_SETS:
        raise ValueError(f"unknown class set {classes!r}; choose one of {list(CLASS_SETS)}")
    return f"label_{classes}"


@dataclasses.dataclass(frozen=True)
class SheetRecord:
    """A sheet or list a manifest was read from: its file name, SHA-256 and data rows."""

    dataset: str
    name: str
    sha256: str
    rows: int

    @classmethod
    def of(cls, dataset: str, path: Path | Traversable, rows: int) -> SheetRecord:
        return cls(dataset, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), rows)

    def __str__(self) -> str:
        return f"{self.name} (sha256 {self.sha256[:12]}, {self.rows} rows)"


@dataclasses.dataclass
class Manifest:
    """A dataset as read: ``table`` (one row per usable video), the ``problems`` found and the
    ``sheets`` read (none for SMIC-HS without an annotation sheet)."""

    dataset: str
    root: Path
    table: pd.DataFrame
    problems: list[Problem]
    sheets: list[SheetRecord] = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.table)

    def problems_table(self) -> pd.DataFrame:
        return problems_table(self.problems)

    def summary(self) -> str:
        """Videos, sheets read, and the problems grouped by kind (one line per kind)."""
        lines = [f"{self.dataset} at {self.root}: {len(self.table)} videos, {len(self.problems)} problems"]
        lines += [f"  read {sheet}" for sheet in self.sheets]
        return "\n".join(lines + summary_lines(self.problems))


def build_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The manifest table in schema order, with nullable integer frame numbers."""
    table = pd.DataFrame(rows, columns=manifest_columns())
    for column in ("onset", "apex", "offset", "n_frames"):
        table[column] = table[column].astype("Int64")
    return table.sort_values("video_id", ignore_index=True)
