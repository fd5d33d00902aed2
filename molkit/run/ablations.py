"""Notebook 03's ablations: MOL variants trained under several seeds on the same LOSO folds, and
each variant's difference to the full model paired by seed and fold, with an exact interval.

By default (and at the ``smoke``, ``easy`` and ``demo`` profiles) the four task variants run:
full, no flow, no landmarks, neither. The model variants (CCC readings, no CCC, k) run at the
``paper`` profile or when asked for (``which="all"``, or ``papermill -p ablations all``). A
profile whose ablation does not fit its time (``ablations_recorded``: the ``demo``) shows the
benchmark's record instead (:func:`recorded_ablation`), saying where it comes from."""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path
from typing import Any

import pandas as pd

from molkit.data.cache import atomic_write_text
from molkit.executors import run_tasks
from molkit.intervals import sign_interval, sign_test
from molkit.reports.record import file_provenance
from molkit.run.context import REPO, NotebookRun
from molkit.run.steps import fold_executor, loso_config, loso_folder
from molkit.train.loso import load_loso, run_loso

# model changes from the full model (CCC as released, k = 4)
ABLATIONS: dict[str, dict[str, Any]] = {
    "full": {},
    "no flow": {"flow": False},
    "no landmarks": {"landmarks": False},
    "no flow, no landmarks": {"flow": False, "landmarks": False},
    "CCC paper reading": {"ccc": "paper"},
    "no CCC": {"ccc": "none"},
    "k=2": {"neighbours": 2},
    "k=8": {"neighbours": 8},
}
TASK_VARIANTS = ("full", "no flow", "no landmarks", "no flow, no landmarks")
POOLED_CSV, FOLDS_CSV = "ablations.csv", "ablation_folds.csv"
# the task ablation on the twin, paired by named fold (benchmarks/bench_learning.py --parts tasks-pairs)
RECORD = REPO / "reports" / "benchmarks" / "ablations_twin_pairs.csv"
RECORD_LABELS = ("data", "recipe", "folds", "steps", "seed")  # what made the record, on every row


def ablation_variants(run: NotebookRun, which: str | None = None) -> dict[str, dict[str, Any]]:
    """The variants to run: ``which=None`` the profile's (``ablation_variants``; empty: all),
    ``"tasks"`` the four task variants, ``"all"`` every one of :data:`ABLATIONS`, or names
    separated by ``;``."""
    names = {
        None: run.profile.ablation_variants or tuple(ABLATIONS),
        "tasks": TASK_VARIANTS,
        "all": tuple(ABLATIONS),
    }.get(which) or tuple(n.strip() for n in str(which).split(";"))
    unknown = sorted(set(names) - set(ABLATIONS))
    if unknown:
        raise ValueError(f"profile {run.profile.name}: unknown ablations {unknown}; known: {list(ABLATIONS)}")
    return {name: ABLATIONS[name] for name in names}


@dataclasses.dataclass
class Ablations:
    """``pooled``: one row per variant and seed (per-video metrics pooled over the folds);
    ``per_fold``: one row per variant, seed and fold; ``label``: what produced them."""

    pooled: pd.DataFrame
    per_fold: pd.DataFrame
    label: str

    def save(self, folder: str | Path) -> None:
        atomic_write_text(Path(folder) / POOLED_CSV, self.pooled.to_csv(index=False))
        atomic_write_text(Path(folder) / FOLDS_CSV, self.per_fold.to_csv(index=False))

    def spread(self, metrics: tuple[str, ...] = ("uf1", "uar", "accuracy")) -> pd.DataFrame:
        return ablation_spread(self.pooled, metrics)

    def differences(self, metric: str = "uf1", confidence: float = 0.95) -> pd.DataFrame:
        return paired_differences(self.per_fold, metric, confidence)


def run_ablations(run: NotebookRun, which: str | None = None, *, progress: bool = True) -> Ablations:
    """The variants (:func:`ablation_variants`) under each of the profile's seeds
    (``ablation_seeds``) on the same folds (the first ``ablation_folds``) with ``ablation_steps``
    steps and the run's protocol, written to ``work/ablations/``. Finished runs are reused."""
    p = run.profile
    base = loso_config(run, folds=p.ablation_folds)
    pooled, per_fold = [], []
    variants = ablation_variants(run, which)
    runs = []
    for name, seed in [(name, seed) for name in variants for seed in p.ablation_seeds]:
        config = base.replace(
            model=base.model.replace(**variants[name]),
            train=base.train.replace(steps=p.ablation_steps, seed=seed),
        )
        runs.append(
            (
                name,
                seed,
                config,
                loso_folder(run, "ablations", re.sub(r"[^a-z0-9]+", "-", name.lower()), config),
            )
        )
    # the runs are independent: side by side on a CPU (the profile's fold_workers), else in turn
    run_tasks(
        functools.partial(run_loso, progress=False),
        [(config, run.recall("cache"), folder) for _, _, config, folder in runs],
        **fold_executor(run),
        progress=progress,
    )
    for name, seed, _, folder in runs:
        result = load_loso(folder)
        video = result.summary.set_index("level").loc["video"]
        pooled.append(
            {
                "variant": name,
                "seed": seed,
                "folds": result.clips["fold"].nunique(),
                "steps": p.ablation_steps,
                **video.to_dict(),
                "collapsed_folds": result.collapsed_folds,
                "warnings": "; ".join(result.warnings),
            }
        )
        folds = result.per_fold[result.per_fold.level == "video"]
        per_fold.append(folds.assign(variant=name, seed=seed, steps=p.ablation_steps))
    label = f"{base.label} | {p.ablation_steps} steps"
    ablations = Ablations(pd.DataFrame(pooled), pd.concat(per_fold, ignore_index=True), label)
    ablations.save(run.path("ablations", POOLED_CSV).parent)
    return ablations


@dataclasses.dataclass
class RecordedAblation:
    """The benchmark's paired differences (:func:`paired_differences`' columns), what made them
    and where they come from."""

    differences: pd.DataFrame
    label: str
    source: str


def recorded_ablation(path: str | Path = RECORD) -> RecordedAblation | None:
    """The task ablation's benchmark record, or None where there is none (an installed kit)."""
    path = Path(path)
    if not path.is_file():
        return None
    table = pd.read_csv(path)
    made = table.iloc[0]
    label = (
        f"{made.data} | MOL ({made.recipe} recipe), {made.steps} steps, seed {made.seed} | "
        f"named folds {made.folds}"
    )
    differences = table.drop(columns=list(RECORD_LABELS))
    return RecordedAblation(differences, label, f"not from this run: {file_provenance(path)}")


def load_ablations(folder: str | Path, label: str = "") -> Ablations:
    """The tables :func:`run_ablations` wrote into ``folder``."""
    folder = Path(folder)
    return Ablations(
        pd.read_csv(folder / POOLED_CSV), pd.read_csv(folder / FOLDS_CSV, dtype={"fold": str}), label
    )


def ablation_spread(
    table: pd.DataFrame, metrics: tuple[str, ...] = ("uf1", "uar", "accuracy")
) -> pd.DataFrame:
    """Mean, standard deviation, minimum and maximum over seeds of each metric, per variant."""
    spread = table.groupby("variant", sort=False)[list(metrics)].agg(["mean", "std", "min", "max"])
    spread.insert(0, ("seeds", ""), table.groupby("variant", sort=False)["seed"].nunique())
    return spread


def paired_differences(
    per_fold: pd.DataFrame, metric: str = "uf1", confidence: float = 0.95, reference: str = "full"
) -> pd.DataFrame:
    """Each variant's ``metric`` minus the ``reference`` variant's, paired by seed and fold: one
    row per variant with the number of pairs, the mean and median difference, the sign interval
    of the median (:func:`molkit.intervals.sign_interval`, its exact coverage) and the sign
    test's p-value; ``exceeds``: the interval leaves out zero and covers at least ``confidence``
    (with few pairs no interval does, and no difference is claimed)."""
    keys = ["seed", "fold"]
    base = per_fold[per_fold.variant == reference].set_index(keys)[metric]
    rows = []
    for variant, table in per_fold[per_fold.variant != reference].groupby("variant", sort=False):
        pairs = table.set_index(keys)[metric].to_frame("variant").join(base.rename("reference"), how="inner")
        difference = pairs["variant"] - pairs["reference"]
        if difference.empty:
            continue
        interval = sign_interval(difference, confidence)
        rows.append(
            {
                "variant": variant,
                "metric": metric,
                "pairs": len(difference),
                "mean": difference.mean(),
                "median": interval.estimate,
                "low": interval.low,
                "high": interval.high,
                "coverage": interval.coverage,
                "p_sign": sign_test(difference),
                "exceeds": interval.excludes(0.0) and interval.coverage >= confidence,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "variant",
            "metric",
            "pairs",
            "mean",
            "median",
            "low",
            "high",
            "coverage",
            "p_sign",
            "exceeds",
        ],
    )


def differences_sentence(differences: pd.DataFrame, confidence: float = 0.95, reference: str = "full") -> str:
    """A plain sentence: which variants differ from ``reference`` beyond the spread of their
    pairs (the sign interval leaves out zero), and how much the intervals cover."""
    if differences.empty:
        return f"Only the {reference} model ran: there is no difference to compare."
    metric = differences["metric"].iloc[0]

    def describe(row: pd.Series) -> str:
        return f"{row.variant} {row['median']:+.3f} [{row.low:+.3f}, {row.high:+.3f}]"

    exceeding = differences[differences.exceeds]
    if len(exceeding):
        text = (
            f"Beyond the spread of their pairs (median difference in per-video {metric} to "
            f"{reference}, sign interval): "
            + "; ".join(describe(r) for _, r in exceeding.iterrows())
            + ". Within it: "
            + (", ".join(differences.loc[~differences.exceeds, "variant"]) or "none")
            + "."
        )
    else:
        text = (
            f"No variant differs from {reference} beyond the spread of its pairs (median difference "
            f"in per-video {metric}, sign interval): "
            + "; ".join(describe(r) for _, r in differences.iterrows())
            + "."
        )
    short = differences[differences.coverage < confidence]
    if len(short):
        text += (
            f" With {int(short.pairs.min())} pair(s) no interval can cover {confidence:.0%}: "
            f"these cover {short.coverage.min():.0%}; more seeds or folds would narrow them."
        )
    return text
