"""Problems found in a dataset or while preparing it: one row each, naming the file or sheet row."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from molkit.data.cache import atomic_write_text

# What happened to the video the problem concerns.
SKIPPED = "skipped"
KEPT = "kept"
CORRECTED = "corrected"


@dataclasses.dataclass(frozen=True)
class Problem:
    """One problem: ``where`` is the file or sheet row, ``kind`` a short keyword."""

    dataset: str
    video_id: str
    kind: str
    where: str
    message: str
    action: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} ({self.action})"


COLUMNS = [f.name for f in dataclasses.fields(Problem)]


def problems_table(problems: list[Problem]) -> pd.DataFrame:
    """The problems as a table with the columns of :class:`Problem`."""
    return pd.DataFrame([dataclasses.asdict(p) for p in problems], columns=COLUMNS)


def write_problems(problems: list[Problem], path: str | Path) -> Path:
    """Write the problems as CSV, atomically."""
    return atomic_write_text(path, problems_table(problems).to_csv(index=False))
