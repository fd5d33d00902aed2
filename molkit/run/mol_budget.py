"""MOL's budget curve quoted beside its verdict (issue 35): the sentence on MOL against the baselines
says how large this run's training was and what the kit's budget curve measured at larger budgets
on named twin folds (``reports/benchmarks/mol_budget.csv`` and ``mol_budget_baselines.csv``,
``benchmarks/bench_mol_budget.py``), so that "below the baselines at demo size" carries its
context. An installed kit holds no record: the sentence then gives this run's budget alone."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from molkit.reports.record import file_provenance
from molkit.run.context import REPO
from molkit.train.config import TrainConfig

RECORD = REPO / "reports" / "benchmarks" / "mol_budget.csv"
STSTNET = "STSTNet"
QUOTED = {  # the record's variants said after MOL's curve, where measured, each at its largest budget
    "full-width": "At the paper's flow-head width (1.0) MOL scored",
    "motion-truth": "Given the exact motion beside its frames (a departure: the stem fed the true flow), MOL scored",
}


def budget_context(train: TrainConfig, record: str | Path = RECORD) -> str:
    """A few sentences: this run's clips per fold (``train``: steps times batch), then, from the
    record where there is one, MOL's (kit recipe) mean per-fold UF1, over its seeds (named), at the
    smallest and the largest budget it reached on the curve's folds (and at its best, where that
    lies between), STSTNet's on the same folds, and, where measured, MOL's at full width and given
    the true motion, each at its largest budget."""
    record = Path(record)
    here = (
        f"This run trained MOL {train.steps:,} steps of {train.batch_size} clips "
        f"({train.steps * train.batch_size:,} clips a fold)."
    )
    baselines = record.with_name(f"{record.stem}_baselines.csv")
    if not record.is_file() or not baselines.is_file():
        return here
    rows = pd.read_csv(record)
    runs = rows[rows.variant == "mol"]
    mol = runs.groupby("steps").agg(
        uf1=("uf1", "mean"), clips=("clips_seen", "first"), seeds=("seed", "nunique")
    )
    base = pd.read_csv(baselines)
    ststnet = base[(base.method == STSTNET) & (base.fold != "all")]
    if len(mol) < 2 or ststnet.empty:
        return here
    low, high, best = mol.iloc[0], mol.iloc[-1], mol.uf1.idxmax()
    peak = (
        f", {mol.uf1[best]:.2f} after {int(mol.clips[best]):,} (its best)"
        if best not in (mol.index[0], mol.index[-1])
        else ""
    )
    folds = sorted(rows.fold.unique())
    seeds = sorted(runs.seed.unique())
    seeded = f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}" + (
        "" if (mol.seeds == len(seeds)).all() else ", not all at every budget"
    )
    measured = ""
    for variant, words in QUOTED.items():
        curve = rows[rows.variant == variant].groupby("clips_seen").uf1.mean()
        if len(curve):
            measured += f" {words} {curve.iloc[-1]:.2f} after {int(curve.index[-1]):,} clips."
    return (
        f"{here} On the twin's folds {' and '.join(folds)}, the budget curve ({file_provenance(record)}) "
        f"measured MOL (kit recipe; {seeded}) at mean per-fold UF1 {low.uf1:.2f} after {int(low.clips):,} clips{peak} "
        f"and {high.uf1:.2f} after {int(high.clips):,}, and STSTNet at {ststnet.uf1.mean():.2f} on the same folds."
        f"{measured}"
    )
