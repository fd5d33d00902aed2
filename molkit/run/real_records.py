"""The real composite beyond this run (issue 33): what the kit's benchmark records measured on the same
public onset->apex images, quoted under the real section (notebook 05 and the front page) as
records, not as this run:

- every baseline under the three protocols at its seeds (``real_composite.csv``,
  ``benchmarks/bench_real_composite.py``): how much test-set selection adds to each;
- the twin as pre-training (``pretrain.csv`` and ``pretrain_pairs.csv``,
  ``benchmarks/bench_pretrain.py``): twin then real, and twin only, each paired by fold and seed
  with real only (which is the fixed protocol's run of the same seeds);
- HTNet (``htnet_cost.csv``, ``benchmarks/bench_htnet_cost.py``): its published row, the rerun
  figure its users report, and what its LOSO run would cost here, where it was not run.

An installed kit holds no records: nothing is quoted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from molkit.baselines.config import HTNetConfig
from molkit.reports.index import REAL_RECORDS_TITLE
from molkit.reports.paper_tables import citation
from molkit.reports.record import file_provenance
from molkit.reports.tables import export_table, load_reference_results
from molkit.run.context import REPO, NotebookRun

RECORDS = REPO / "reports" / "benchmarks"
COLUMNS = {"composite": "Composite", "casme2": "CASME II", "samm": "SAMM", "smic": "SMIC"}
HTNET_RERUN = (  # what users who rerun HTNet's released code report (they pick each fold's best test epoch)
    "users who rerun HTNet's released code report UF1 / UAR 0.6484 / 0.6456 and 0.6552 / 0.6521 "
    "(github.com/wangzhifengharrison/HTNet issue #21, 2024-10-28/29)"
)


def _mean_range(values: pd.Series) -> str:
    mean = f"{values.mean():.3f}"
    return (
        mean
        if values.nunique() == 1 or len(values) == 1
        else f"{mean} ({values.min():.3f}-{values.max():.3f})"
    )


def _cells(runs: pd.DataFrame) -> dict[str, str]:
    """Mean over the runs (range where they differ) of each column's UF1 (the records hold UAR too)."""
    return {f"{name} UF1": _mean_range(runs[f"{key}_uf1"]) for key, name in COLUMNS.items()}


def _seeds(runs: pd.DataFrame) -> str:
    seeds = runs["seed"].dropna()
    return ", ".join(str(int(s)) for s in sorted(seeds.unique())) if len(seeds) else "their run"


def protocol_rows(record: pd.DataFrame) -> list[dict[str, str]]:
    """One row per (method, protocol) of ``real_composite.csv``; released and inner-val compared
    with the fixed protocol's mean composite UF1 over the same method's seeds."""
    rows = []
    for (method, protocol), runs in record.groupby(["method", "protocol"], sort=False):
        fixed = record[(record.method == method) & (record.protocol == "fixed")]
        if protocol == "fixed" or not len(fixed):
            compared = {"compared with": "", "UF1 difference": ""}
        else:
            change = round(runs.composite_uf1.mean() - fixed.composite_uf1.mean(), 3) + 0
            compared = {"compared with": "fixed", "UF1 difference": f"{change:+.3f} (composite, mean)"}
        trained = "real (LOSO)" if len(fixed) else "real (the authors' weights)"
        rows.append(
            {"method": method, "trained on": trained, "protocol": protocol, "seeds": _seeds(runs)}
            | _cells(runs)
            | compared
        )
    return rows


def pretrain_rows(record: pd.DataFrame, pairs: pd.DataFrame) -> list[dict[str, str]]:
    """Twin then real, and twin only, per method and twin, each with its paired difference to real
    only (median composite-fold UF1 with its sign interval and the sign test)."""
    rows = []
    kept = record[record.variant != "real only"]
    for (method, twin, variant), runs in kept.groupby(["method", "twin_label", "variant"], sort=False):
        pair = pairs[
            (pairs.method == method)
            & (pairs.twin_label == twin)
            & (pairs.variant == variant)
            & (pairs.metric == "uf1")
        ]
        difference = (
            f"{pair['median'].iloc[0]:+.3f} [{pair.low.iloc[0]:+.3f}, {pair.high.iloc[0]:+.3f}] "
            f"(median per fold; p {pair.p_sign.iloc[0]:.2g}, {int(pair.pairs.iloc[0])} pairs)"
            if len(pair)
            else ""
        )
        trained = f"twin ({twin}), then real" if variant == "twin -> real" else f"twin only ({twin})"
        rows.append(
            {"method": method, "trained on": trained, "protocol": "fixed", "seeds": _seeds(runs)}
            | _cells(runs)
            | {"compared with": "real only", "UF1 difference": difference}
        )
    return rows


def htnet_published() -> pd.Series:
    """HTNet's published composite row (``reference_results.csv``: UF1, UAR, source)."""
    return load_reference_results().query("method == 'HTNet' and dataset == 'composite'").iloc[0]


def htnet_line(cost: Path) -> str:
    """HTNet's published composite row (``reference_results.csv``), its users' rerun and, from
    ``htnet_cost.csv``, what its LOSO run would cost here."""
    published = htnet_published()
    line = (
        f"HTNet (published UF1 / UAR {published.UF1:.4f} / {published.UAR:.4f}, {citation(published.source)}): "
        f"{HTNET_RERUN}."
    )
    table = pd.read_csv(cost) if cost.is_file() else pd.DataFrame({"dim": []})
    authors = table[table.dim == HTNetConfig().dim]
    if len(authors):
        row = authors.iloc[0]
        line += (
            f" Not run here: one LOSO run at the authors' size is {row.cpu_hours_run:,.0f} CPU hours "
            f"on this kit's 2-core machine ({row.params_m:.1f}M parameters; {file_provenance(cost)})."
        )
    return line


def real_records(folder: str | Path = RECORDS) -> tuple[pd.DataFrame, str] | None:
    """The records' table and its caption (None without ``real_composite.csv``)."""
    folder = Path(folder)
    protocols = folder / "real_composite.csv"
    if not protocols.is_file():
        return None
    rows = protocol_rows(pd.read_csv(protocols))
    sources = [protocols]
    pretrain, pairs = folder / "pretrain.csv", folder / "pretrain_pairs.csv"
    if pretrain.is_file() and pairs.is_file():
        rows += pretrain_rows(pd.read_csv(pretrain), pd.read_csv(pairs))
        sources += [pretrain, pairs]
    caption = (
        "Benchmark records, not this run: "
        + "; ".join(file_provenance(path) for path in sources)
        + ". Real tier: the 442 public onset->apex images, LOSO over the 68 subjects, 3 classes, the "
        "paper profile's baseline settings; per-video UF1 and UAR pooled over the folds, mean over "
        "the seeds (range where they differ); released picks each fold's weights on its test "
        "subject. Pre-training's reference, real only, is the fixed protocol's run of the same seeds. "
        + htnet_line(folder / "htnet_cost.csv")
    )
    return pd.DataFrame(rows), caption


def export_real_records(
    run: NotebookRun, folder: str | Path = RECORDS
) -> dict[str, tuple[pd.DataFrame, str]]:
    """:func:`real_records`, exported to ``work/tables/results_real_records`` (nothing without
    records)."""
    found = real_records(folder)
    if found is None:
        return {}
    table, caption = found
    export_table(table, run.path("tables", "results_real_records"), digits=3, caption=caption)
    return {REAL_RECORDS_TITLE: (table, caption)}
