"""Results tables: the kit's numbers per dataset and protocol beside sourced reference numbers,
exported as Markdown, LaTeX, HTML and CSV.

Reference numbers live in ``data_manifests/reference_results.csv``, every row with its source.
MOL's own numbers were not available to us: those rows carry no values and the note
"to be filled from the paper"; nothing is ever made up here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

import pandas as pd

from molkit.data.cache import atomic_write_text
from molkit.data.manifest import MANIFESTS_DIR
from molkit.train.loso import LosoResult
from molkit.train.references import ERROR_COLUMNS

REFERENCE_RESULTS = MANIFESTS_DIR / "reference_results.csv"
METRICS = ("UF1", "UAR", "Acc", "WF1", "WAR", "F1")
KEYS = ("method", "dataset", "classes", "protocol", "profile", "flow_width")
COLUMNS = (*KEYS, *METRICS, "source", "note")
TO_BE_FILLED = "to be filled from the paper"
METRIC_ALIASES = {
    "uf1": "UF1",
    "uar": "UAR",
    "acc": "Acc",
    "accuracy": "Acc",
    "wf1": "WF1",
    "war": "WAR",
    "f1": "F1",
}


def _problem(path: Path, message: str) -> ValueError:
    return ValueError(f"{path}: {message}")


def _check_results(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Normalise a results CSV to :data:`COLUMNS`; reject unknown columns, missing sources and
    values outside [0, 1], naming the file and row."""
    unknown = sorted(set(table.columns) - set(COLUMNS))
    if unknown:
        raise _problem(path, f"unknown columns {unknown}; expected some of {list(COLUMNS)}")
    for column in ("method", "dataset", "protocol", "source"):
        if column not in table.columns:
            raise _problem(path, f"missing column {column!r}")
    table = table.reindex(columns=list(COLUMNS))
    for column in METRICS:
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() & table[column].notna()
        bad |= (values < 0) | (values > 1)
        if bad.any():
            row = int(bad.idxmax())
            raise _problem(
                path, f"row {row + 2}: {column} = {table.at[row, column]!r} is not a number in [0, 1]"
            )
        table[column] = values
    no_source = table["source"].isna() | (table["source"].astype(str).str.strip() == "")
    if no_source.any():
        raise _problem(path, f"row {int(no_source.idxmax()) + 2}: every number needs a source")
    return table


def read_results(path: str | Path) -> pd.DataFrame:
    """A results CSV (reference numbers or the kit's), checked, with the columns of :data:`COLUMNS`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such results file")
    try:
        table = pd.read_csv(path, dtype={"classes": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise _problem(path, f"not a readable CSV ({err})") from err
    return _check_results(table, path)


def load_reference_results(path: str | Path = REFERENCE_RESULTS) -> pd.DataFrame:
    """The sourced reference numbers shipped in ``data_manifests/``."""
    return read_results(path)


def kit_result(
    dataset: str,
    classes: str,
    protocol: str,
    profile: str,
    flow_width: float | None,
    metrics: Mapping[str, float],
    method: str = "molkit MOL",
    source: str = "this run",
    note: str = "",
) -> dict[str, object]:
    """One row of the kit's own numbers. ``metrics`` may use any case (``uf1``, ``accuracy``...)."""
    row: dict[str, object] = dict(
        method=method,
        dataset=dataset,
        classes=str(classes),
        protocol=protocol,
        profile=profile,
        flow_width=flow_width,
        source=source,
        note=note,
    )
    for name, value in metrics.items():
        column = METRIC_ALIASES.get(name.lower())
        if column:
            row[column] = float(value)
    return row


def loso_row(result: LosoResult, dataset: str) -> dict[str, object]:
    """The per-video row of a LOSO result, labelled with its method (MOL: and its training recipe),
    protocol, profile and flow width; the note gives the video count and any collapse."""
    video = result.summary.set_index("level").loc["video"]
    note = f"per video, {int(video['n'])} videos"
    if result.collapsed_folds:
        note += f"; one class predicted in {result.collapsed_folds} of {len(result.collapse) - 1} folds"
    return kit_result(
        dataset,
        result.config.classes,
        result.config.protocol,
        result.config.profile,
        result.config.flow_width,
        video.to_dict(),
        method=f"molkit {method_label(result)}",
        note=note,
    )


def method_label(result: LosoResult) -> str:
    """The method of a LOSO result, MOL with its training recipe: ``MOL (kit recipe)``."""
    recipe = result.config.recipe(result.prep)  # None for the baselines
    return result.config.method_name + (f" ({recipe} recipe)" if recipe else "")


def error_table(results: Sequence[LosoResult], references: pd.DataFrame) -> pd.DataFrame:
    """Mean flow EPE and landmark NME per test clip of each result (labelled) above the reference
    predictors' (``molkit.train.references.error_references``), one column per reference."""
    rows = []
    for result in results:
        clip = result.summary.set_index("level").loc["clip"]
        rows.append(
            {
                "predictor": f"{result.config.method_name} predicted ({result.label})",
                **{c: clip.get(c, math.nan) for c in ERROR_COLUMNS},
            }
        )
    return pd.concat([pd.DataFrame(rows), references], ignore_index=True)


def save_results(rows: list[Mapping[str, object]], path: str | Path) -> Path:
    """Write result rows as a CSV in :data:`COLUMNS` order (atomically)."""
    path = Path(path)
    table = _check_results(pd.DataFrame(list(rows)), path)
    return atomic_write_text(path, table.to_csv(index=False))


def results_table(*tables: pd.DataFrame) -> pd.DataFrame:
    """The given result tables stacked, metric columns that nobody filled dropped."""
    table = pd.concat([t.reindex(columns=list(COLUMNS)) for t in tables if len(t)], ignore_index=True)
    empty = [c for c in METRICS if table[c].isna().all()]
    return table.drop(columns=empty)


def _formatted(table: pd.DataFrame, digits: int, missing: str) -> pd.DataFrame:
    """Every cell as text: metrics to ``digits`` places (``missing`` when absent), others as-is."""

    def cell(column: str, value: object) -> str:
        if isinstance(value, str):  # already formatted (e.g. a score with its interval)
            return value
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return missing if column in METRICS else ""
        if column in METRICS:
            return f"{float(value):.{digits}f}"
        return str(value)

    return pd.DataFrame({c: [cell(c, v) for v in table[c]] for c in table.columns})


def to_markdown(table: pd.DataFrame, digits: int = 4) -> str:
    """A GitHub-flavoured Markdown pipe table."""
    text = _formatted(table, digits, "–")

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    align = ["---:" if c in METRICS else "---" for c in text.columns]
    body = [line(list(row)) for row in text.itertuples(index=False)]
    return "\n".join([line(list(text.columns)), "| " + " | ".join(align) + " |", *body]) + "\n"


def to_latex(table: pd.DataFrame, digits: int = 4) -> str:
    """A booktabs LaTeX tabular, special characters escaped."""
    text = _formatted(table, digits, "--")
    return text.to_latex(
        index=False, escape=True, column_format="".join("r" if c in METRICS else "l" for c in text.columns)
    )


def to_html(table: pd.DataFrame, digits: int = 4) -> str:
    """An HTML ``<table>`` (no page around it), text escaped."""
    return _formatted(table, digits, "–").to_html(
        index=False, escape=True, classes="molkit-results", border=0
    )


def export_table(
    table: pd.DataFrame, stem: str | Path, digits: int = 4, caption: str = ""
) -> dict[str, Path]:
    """Write ``stem.md``, ``stem.tex``, ``stem.html`` and ``stem.csv``; returns the paths by format.
    ``caption`` (what every row shares, sources) follows the table in Markdown and HTML and is
    a comment in LaTeX."""
    stem = Path(stem)
    writers = {
        "md": lambda: to_markdown(table, digits) + (f"\n{caption}\n" if caption else ""),
        "tex": lambda: (f"% {caption}\n" if caption else "") + to_latex(table, digits),
        "html": lambda: (
            to_html(table, digits) + (f'\n<p class="caption">{escape(caption)}</p>' if caption else "")
        ),
        "csv": lambda: table.to_csv(index=False),
    }
    return {
        fmt: atomic_write_text(stem.with_name(f"{stem.name}.{fmt}"), make()) for fmt, make in writers.items()
    }
