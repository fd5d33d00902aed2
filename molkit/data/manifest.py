"""The manifest: one row per video of a dataset, its labels in every class set, and the problems
found while reading it. Schema and class maps are data, in ``data_manifests/``."""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from molkit.data.problems import Problem, problems_table

MANIFESTS_DIR = Path(__file__).resolve().parents[2] / "data_manifests"
DATASETS = ("casme2", "samm", "smic")
CLASS_SETS = ("5", "3", "composite")


@functools.cache
def load_manifest_data(name: str) -> Any:
    """A YAML file of ``data_manifests/`` (``classes``, ``schema``, ``loso_subjects`` ...)."""
    path = MANIFESTS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: molkit's data manifest is missing")
    return yaml.safe_load(path.read_text())


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


@dataclasses.dataclass
class Manifest:
    """A dataset as read: ``table`` (one row per usable video) and the ``problems`` found."""

    dataset: str
    root: Path
    table: pd.DataFrame
    problems: list[Problem]

    def __len__(self) -> int:
        return len(self.table)

    def problems_table(self) -> pd.DataFrame:
        return problems_table(self.problems)

    def summary(self) -> str:
        kinds = pd.Series([p.kind for p in self.problems], dtype=str).value_counts()
        lines = [f"{self.dataset} at {self.root}: {len(self.table)} videos, {len(self.problems)} problems"]
        lines += [f"  {kind}: {count}" for kind, count in kinds.items()]
        return "\n".join(lines)


def build_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The manifest table in schema order, with nullable integer frame numbers."""
    table = pd.DataFrame(rows, columns=manifest_columns())
    for column in ("onset", "apex", "offset", "n_frames"):
        table[column] = table[column].astype("Int64")
    return table.sort_values("video_id", ignore_index=True)
