"""Problems found in a dataset or while preparing it: one row each, naming the file or sheet row,
and the summary by kind that people read first (the full table goes to ``problems.csv``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
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


def problems_by_kind(problems: list[Problem]) -> pd.DataFrame:
    """One row per (kind, action): how many problems, how many videos, and the first one as an
    example. Kinds appear in the order first met."""
    table = problems_table(problems)
    groups = table.groupby(["kind", "action"], sort=False)
    first = groups.first()
    return pd.DataFrame(
        {
            "problems": groups.size(),
            "videos": groups.video_id.nunique(),
            "example": first["where"] + ": " + first["message"],
        }
    ).reset_index()


def summary_lines(problems: list[Problem], indent: str = "  ") -> list[str]:
    """The problems grouped by kind, one line each (``kind (action): count, e.g. ...``)."""
    return [
        f"{indent}{row.kind} ({row.action}): {row.problems}, e.g. {row.example}"
        for row in problems_by_kind(problems).itertuples()
    ]


def runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive runs of integers as (first, last) pairs: ``[3, 4, 5, 9]`` -> ``[(3, 5), (9, 9)]``."""
    found: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if found and n == found[-1][1] + 1:
            found[-1] = (found[-1][0], n)
        else:
            found.append((n, n))
    return found


def format_runs(numbers: Iterable[int]) -> str:
    """``[3, 4, 5, 9]`` -> ``"3-5, 9"``."""
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs(numbers))
