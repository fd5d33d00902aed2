"""The paper's table shapes, from per-video predictions.

- ``"5"``: CASME II in five classes, one column.
- ``"composite"``: the MEGC 2019 composite in three classes, a column each for the composite,
  CASME II, SAMM and SMIC, every dataset's column read from the pooled predictions (as MEGC 2019
  and STSTNet's authors do).

A measured cell is per-video UF1 or UAR with its 95% bootstrap over the column's test subjects
(:func:`molkit.intervals.subject_bootstrap`); the first column also gives accuracy and weighted
F1 as MOL's released code computes them (:mod:`molkit.metrics`). Published rows come from
``data_manifests/reference_results.csv`` with their source and no interval; a published row
without numbers is not a row: :func:`missing_published` names it in one line. Labels every row
shares go to the caption (:func:`shared_labels`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from molkit.baselines.oracle import oracle_predictions
from molkit.intervals import Interval, subject_bootstrap
from molkit.metrics import summarize
from molkit.reports.tables import load_reference_results, method_label
from molkit.train.loso import LosoResult
from molkit.train.references import chance_scores

PAPER_COLUMNS: dict[str, tuple[str, ...]] = {
    "5": ("casme2",),
    "composite": ("composite", "casme2", "samm", "smic"),
}
NAMES = {"composite": "Composite", "casme2": "CASME II", "samm": "SAMM", "smic": "SMIC"}
LABELS = ("tier", "profile", "protocol", "flow width")  # what each measured row was made by


def _columns(classes: str) -> tuple[str, ...]:
    try:
        return PAPER_COLUMNS[classes]
    except KeyError:
        raise ValueError(
            f"no paper table for class set {classes!r}; choose one of {sorted(PAPER_COLUMNS)}"
        ) from None


def n_classes(classes: str) -> int:
    return 5 if classes == "5" else 3


def column_part(videos: pd.DataFrame, column: str, classes: str) -> pd.DataFrame:
    """The videos of one column: all of them for the composite (and CASME II in five classes),
    else those whose ``video_id`` starts with the dataset (``casme2/sub01/EP02_01f``)."""
    if column == "composite" or classes == "5":
        return videos
    return videos[videos.video_id.str.split("/").str[0] == column]


def _cell(interval: Interval | float | None) -> str:
    if interval is None or (isinstance(interval, float) and np.isnan(interval)):
        return ""
    if isinstance(interval, Interval):
        if interval.low == interval.high:
            return f"{interval.estimate:.3f}"
        return f"{interval.estimate:.3f} [{interval.low:.2f}, {interval.high:.2f}]"
    return f"{interval:.3f}"


def _scores(
    videos: pd.DataFrame, classes: str, score_column: Callable[[pd.DataFrame, str | None], object]
) -> dict[str, str]:
    """Cells of every column; a composite column only when every dataset column has videos."""
    cells: dict[str, str] = {}
    parts = {c: column_part(videos, c, classes) for c in _columns(classes)}
    complete = all(len(p) for c, p in parts.items() if c != "composite")
    for i, (column, part) in enumerate(parts.items()):
        usable = len(part) and (column != "composite" or complete)
        for metric in ("uf1", "uar"):
            cells[f"{NAMES[column]} {metric.upper()}"] = _cell(score_column(part, metric)) if usable else ""
        if i == 0:
            whole = score_column(part, None) if usable else {}
            cells["Acc"], cells["WF1"] = _cell(whole.get("accuracy")), _cell(whole.get("wf1"))
    return cells


def measured_row(
    method: str, videos: pd.DataFrame, classes: str, labels: Mapping[str, object]
) -> dict[str, str]:
    """A row of per-video predictions (``subject``, ``video_id``, ``label``, ``pred``), each UF1
    and UAR with its 95% bootstrap over the column's subjects."""
    n = n_classes(classes)

    def score(part: pd.DataFrame, metric: str | None):
        if metric is None:
            return summarize(part.label, part.pred, n)
        return subject_bootstrap(part.subject, part.label, part.pred, n_classes=n, metric=metric)

    return {
        "method": method,
        **{k: "" if v is None else str(v) for k, v in labels.items()},
        **_scores(videos, classes, score),
        "videos": str(len(videos)),
    }


def chance_row(videos: pd.DataFrame, classes: str, labels: Mapping[str, object]) -> dict[str, str]:
    """Uniform guessing: the expected confusion matrix's scores on these videos (no interval)."""
    n = n_classes(classes)

    def score(part: pd.DataFrame, metric: str | None):
        scores = chance_scores(part.label, n)
        return scores if metric is None else scores[metric]

    return {
        "method": "chance (uniform guess, expected)",
        **{k: "" if v is None else str(v) for k, v in labels.items()},
        **_scores(videos, classes, score),
        "videos": str(len(videos)),
    }


def majority_predictions(videos: pd.DataFrame) -> pd.DataFrame:
    """``videos`` with ``pred``: each test subject gets the most frequent label of the other
    subjects' videos (its LOSO fold's training subjects; ties: the first class in logit order)."""
    labels = videos.label.to_numpy(np.int64)
    pred = np.empty(len(videos), np.int64)
    subjects = videos.subject.to_numpy()
    for subject in pd.unique(subjects):
        test = subjects == subject
        pred[test] = np.bincount(labels[~test], minlength=int(labels.max()) + 1).argmax()
    return videos.assign(pred=pred)


def oracle_videos(manifest_table: pd.DataFrame, videos: pd.DataFrame, classes: str) -> pd.DataFrame:
    """The AU oracle's LOSO predictions (over every subject of the data's manifest) for the
    coded ones among ``videos``, as ``pred`` (``molkit.baselines.oracle``)."""
    oracle = oracle_predictions(manifest_table, classes=classes)[["video_id", "loso"]]
    return (
        videos.drop(columns="pred", errors="ignore")
        .merge(oracle, on="video_id")
        .rename(columns={"loso": "pred"})
    )


def published_rows(classes: str) -> list[dict[str, str]]:
    """The published numbers for this table's class set, one row per method, with its source."""
    table = load_reference_results()
    table = table[(table.classes == classes) & table[["UF1", "UAR"]].notna().any(axis=1)]
    rows = []
    for method, part in table.groupby("method", sort=False):
        by = part.set_index("dataset")
        row = {"method": f"{method} (published)"}
        for column in _columns(classes):
            for metric in ("UF1", "UAR"):
                value = by[metric].get(column) if column in by.index else None
                row[f"{NAMES[column]} {metric}"] = "" if value is None or pd.isna(value) else f"{value:.4f}"
        row["source"] = citation(part.source.iloc[0])
        rows.append(row)
    return rows


def citation(source: str) -> str:
    """``Liong et al., IEEE FG 2019`` from a reference's source text: its authors and the first
    part that names a year."""
    parts = [p.strip() for p in source.split(",")]
    venue = next((p for p in parts[1:] if any(w.isdigit() and len(w) == 4 for w in p.split())), "")
    return f"{parts[0]}, {venue.split(' (')[0]}" if venue else parts[0]


def missing_published(classes: str, methods: tuple[str, ...] = ("MOL", "LBP-TOP")) -> str:
    """One line naming the methods whose published numbers for this table the kit does not hold."""
    table = load_reference_results()
    held = set(table[(table.classes == classes) & table[["UF1", "UAR"]].notna().any(axis=1)].method)
    missing = [m for m in methods if m not in held]
    if not missing:
        return ""
    return (
        f"Published numbers not shown: {', '.join(missing)} (the kit holds none for this table "
        "and never estimates them)."
    )


def paper_table(rows: list[dict[str, str]]) -> pd.DataFrame:
    """The rows as one table, columns in the paper's order (a score column no row fills is left
    out), empty cells as empty text."""
    table = pd.DataFrame(rows).fillna("")
    filled = [c for c in table.columns if (table[c] != "").any()]
    metric = [c for c in filled if c.split(" ")[-1] in ("UF1", "UAR")]
    front = ["method", *[c for c in LABELS if c in table.columns]]
    back = [c for c in ("Acc", "WF1") if c in filled] + [
        c for c in ("videos", "source") if c in table.columns
    ]
    return table[front + metric + back]


def empty_cells(rows: list[dict[str, str]], classes: str) -> str:
    """A caption sentence naming the measured rows that lack a dataset's videos (their cells in
    that column, and the composite's, Acc and WF1, are empty); "" when none does. A dataset no
    row has is left out (its column is, too)."""
    datasets = [
        c
        for c in _columns(classes)
        if c != "composite" and any(row.get(f"{NAMES[c]} UF1") for row in rows if row.get("videos"))
    ]
    lacking = [
        f"{row['method']}: {', '.join(NAMES[c] for c in gaps)}"
        for row in rows
        if row.get("videos") and (gaps := [c for c in datasets if row.get(f"{NAMES[c]} UF1") == ""])
    ]
    if not lacking:
        return ""
    return (
        f"Empty cells: a row without videos of a dataset ({'; '.join(lacking)}) has none in its "
        "column, nor a composite, Acc or WF1 (they need every dataset)."
    )


def shared_labels(table: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The table without the label columns whose value every measured row shares, and a caption
    sentence naming them (``tier twin; profile demo; ...``)."""
    measured = table[table.get("videos", pd.Series("", index=table.index)) != ""]
    shared = {
        c: measured[c].iloc[0]
        for c in LABELS
        if c in table.columns and len(measured) and measured[c].nunique() == 1
    }
    caption = "; ".join(f"{k} {v}" for k, v in shared.items() if v)
    return table.drop(columns=list(shared)), caption


def result_labels(result: LosoResult, tier: str) -> dict[str, object]:
    """What made a LOSO result: its tier, profile, protocol and flow-head width."""
    config = result.config
    return {
        "tier": tier,
        "profile": config.profile,
        "protocol": config.protocol,
        "flow width": config.flow_width,
    }


def reference_rows(
    videos: pd.DataFrame, classes: str, labels: Mapping[str, object], manifest_table: pd.DataFrame | None
) -> list[dict[str, str]]:
    """Chance, the majority class of each fold's training subjects and (when the data's sheet
    codes action units) the AU oracle's LOSO predictions, on ``videos``."""
    rows = [
        measured_row(
            "majority class (each fold's training subjects)", majority_predictions(videos), classes, labels
        ),
        chance_row(videos, classes, labels),
    ]
    if (
        manifest_table is not None
        and manifest_table.get("action_units", pd.Series(dtype=object)).notna().any()
    ):
        rows.append(
            measured_row(
                "AU oracle (exact code, other subjects)",
                oracle_videos(manifest_table, videos, classes),
                classes,
                labels,
            )
        )
    return rows


def run_tables(
    results: list[LosoResult],
    tier: str,
    manifest_table: pd.DataFrame | None = None,
    *,
    not_run: Sequence[str] = (),
    published: Sequence[Mapping[str, str]] = (),
) -> dict[str, tuple[pd.DataFrame, str]]:
    """The paper-shaped tables of a run's LOSO results: ``all folds`` (every result as run, the
    references on the videos of the result that tests the most, then the published rows) and,
    when a result ran on fewer folds (MOL on named folds), ``<n> named folds`` (every result and
    reference restricted to those folds' videos). Each table with its caption: the labels its
    rows share, the rows the run left out (``not_run``) and the published numbers it lacks."""
    left_out = f"Not run at this profile: {', '.join(not_run)}." if not_run else ""
    classes = results[0].config.classes
    widest = max(results, key=lambda r: len(r.videos))
    labels = {
        "tier": tier,
        "profile": widest.config.profile,
        "protocol": widest.config.protocol,
        "flow width": "",
    }
    tables = {}
    rows = [measured_row(method_label(r), r.videos, classes, result_labels(r, tier)) for r in results]
    rows += reference_rows(widest.videos, classes, labels, manifest_table)
    cited = published_rows(classes) + [dict(row) for row in published]
    tables["all folds"] = _captioned(rows + cited, classes, left_out)
    narrow = min(results, key=lambda r: len(r.videos))
    if len(narrow.videos) < len(widest.videos):
        keep = set(narrow.videos.video_id)
        rows = []
        for result in results:
            part = result.videos[result.videos.video_id.isin(keep)]
            rows.append(measured_row(method_label(result), part, classes, result_labels(result, tier)))
        rows += reference_rows(
            widest.videos[widest.videos.video_id.isin(keep)], classes, labels, manifest_table
        )
        tables[f"{narrow.videos.subject.nunique()} named folds"] = _captioned(rows, classes, left_out)
    return tables


def _captioned(rows: list[dict[str, str]], classes: str, left_out: str) -> tuple[pd.DataFrame, str]:
    table, shared = shared_labels(paper_table(rows))
    parts = (
        shared and f"Every row: {shared}.",
        left_out,
        empty_cells(rows, classes),
        missing_published(classes),
    )
    return table, " ".join(p for p in parts if p)
