"""The real composite's benchmark records quoted under a run's real section
(:mod:`molkit.run.real_records`): the numbers against naive sums over hand-made records, and the
kit checkout's own records read as they are."""

from __future__ import annotations

import pandas as pd
import pytest

from molkit.reports.index import REAL_RECORDS_TITLE
from molkit.run.context import notebook_run
from molkit.run.real_records import RECORDS, export_real_records, real_records

KEYS = ("composite", "casme2", "samm", "smic")


def _run(method: str, protocol: str, seed: float, uf1: float) -> dict[str, object]:
    row: dict[str, object] = {"method": method, "protocol": protocol, "seed": seed}
    for offset, key in enumerate(KEYS):
        row[f"{key}_uf1"] = uf1 + offset / 100
    return row


def _records(folder, *, pretrain: bool = True, cost: bool = True) -> None:
    pd.DataFrame(
        [
            _run("STSTNet, the authors' weights", "their training", float("nan"), 0.72),
            _run("STSTNet", "fixed", 0, 0.60),
            _run("STSTNet", "fixed", 1, 0.70),
            _run("STSTNet", "released", 0, 0.80),
            _run("STSTNet", "released", 1, 0.90),
        ]
    ).to_csv(folder / "real_composite.csv", index=False)
    if pretrain:
        twin = {"method": "STSTNet", "twin_label": "twin T"}
        pd.DataFrame(
            [
                {**twin, **_run("STSTNet", "fixed", 0, 0.60), "variant": "real only"},
                {**twin, **_run("STSTNet", "fixed", 0, 0.62), "variant": "twin -> real"},
                {**twin, **_run("STSTNet", "fixed", 0, 0.40), "variant": "twin only"},
            ]
        ).to_csv(folder / "pretrain.csv", index=False)
        pd.DataFrame(
            [
                {
                    **twin,
                    "variant": v,
                    "metric": "uf1",
                    "pairs": 10,
                    "median": m,
                    "low": lo,
                    "high": hi,
                    "p_sign": p,
                }
                for v, m, lo, hi, p in [
                    ("twin -> real", 0.01, -0.02, 0.05, 0.5),
                    ("twin only", -0.2, -0.3, -0.1, 0.001),
                ]
            ]
        ).to_csv(folder / "pretrain_pairs.csv", index=False)
    if cost:
        pd.DataFrame({"dim": [256, 64], "params_m": [139.6, 8.7], "cpu_hours_run": [250.0, 20.0]}).to_csv(
            folder / "htnet_cost.csv", index=False
        )


def test_protocol_rows_are_means_over_seeds_with_their_range_and_selection_against_fixed(tmp_path):
    _records(tmp_path, pretrain=False, cost=False)
    table, caption = real_records(tmp_path)
    released = table[(table.method == "STSTNet") & (table.protocol == "released")].iloc[0]
    assert released["Composite UF1"] == f"{(0.80 + 0.90) / 2:.3f} (0.800-0.900)"
    assert released["SMIC UF1"] == f"{(0.83 + 0.93) / 2:.3f} (0.830-0.930)"
    assert released["seeds"] == "0, 1"
    assert (released["compared with"], released["UF1 difference"]) == (
        "fixed",
        f"{0.85 - 0.65:+.3f} (composite, mean)",
    )
    authors = table[table.method == "STSTNet, the authors' weights"].iloc[0]
    assert (authors["Composite UF1"], authors["seeds"]) == ("0.720", "their run")
    assert not table.isna().any().any()
    assert "pretrain" not in caption and "HTNet" in caption and "CPU hours" not in caption


def test_pretraining_rows_carry_their_pairing_and_htnet_its_cost(tmp_path):
    _records(tmp_path)
    table, caption = real_records(tmp_path)
    twin_real = table[table["trained on"] == "twin (twin T), then real"].iloc[0]
    assert twin_real["Composite UF1"] == "0.620"
    assert twin_real["compared with"] == "real only"
    assert twin_real["UF1 difference"] == "+0.010 [-0.020, +0.050] (median per fold; p 0.5, 10 pairs)"
    assert table["trained on"].str.contains("twin only").sum() == 1
    assert not (table["trained on"] == "real only").any()  # real only is the fixed row
    assert "0.8603 / 0.8475" in caption and "issue #21" in caption
    assert "250 CPU hours" in caption and "139.6M" in caption


def test_no_records_quote_nothing(tmp_path):
    assert real_records(tmp_path) is None


def test_export_writes_the_table_beside_the_run(tmp_path):
    (tmp_path / "records").mkdir()
    _records(tmp_path / "records")
    run = notebook_run("smoke", None, None, None, "fixed", 0, "cpu", str(tmp_path / "work"))
    exported = export_real_records(run, tmp_path / "records")
    assert list(exported) == [REAL_RECORDS_TITLE]
    html = (run.work / "tables" / "results_real_records.html").read_text()
    assert "twin (twin T), then real" in html and "Benchmark records, not this run" in html


@pytest.mark.skipif(not (RECORDS / "real_composite.csv").is_file(), reason="no kit checkout records")
def test_the_checkouts_records_are_quoted_as_recorded():
    record = pd.read_csv(RECORDS / "real_composite.csv")
    table, _ = real_records()
    for (method, protocol), runs in record.groupby(["method", "protocol"]):
        row = table[(table.method == method) & (table.protocol == protocol)].iloc[0]
        total = 0.0
        for value in runs.composite_uf1:  # the mean, by hand
            total += value
        assert row["Composite UF1"].split()[0] == f"{total / len(runs):.3f}"
