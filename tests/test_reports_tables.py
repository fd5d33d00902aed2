"""Results tables: sourced reference numbers, the kit's rows, and the three export formats read
back with independent parsers."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from molkit.reports.tables import (
    METRICS,
    TO_BE_FILLED,
    export_table,
    kit_result,
    load_reference_results,
    read_results,
    results_table,
    save_results,
    to_html,
    to_latex,
    to_markdown,
)


@pytest.fixture()
def table() -> pd.DataFrame:
    kit = pd.DataFrame(
        [
            kit_result(
                "synthetic", "5", "fixed", "smoke", 0.125, {"uf1": 0.51234, "Accuracy": 0.6, "UAR": 0.45678}
            ),
            kit_result(
                "casme2", "3", "inner-val", "demo", 0.25, {"uf1": 1.0, "acc": 0.0}, note="a | b_c & 50%"
            ),
        ]
    )
    return results_table(kit, load_reference_results())


def test_reference_numbers_are_sourced_and_mol_is_never_invented() -> None:
    ref = load_reference_results()
    assert ref["source"].str.strip().str.len().gt(0).all()
    mol = ref[ref["method"] == "MOL"]
    assert len(mol) >= 3 and (mol["note"] == TO_BE_FILLED).all()
    assert mol[list(METRICS)].isna().all().all()
    ststnet = ref[ref["method"] == "STSTNet"].iloc[0]
    assert (ststnet["UF1"], ststnet["UAR"]) == (0.7353, 0.7605)  # shared/spec/datasets.md


def test_empty_metric_columns_are_dropped(table: pd.DataFrame) -> None:
    assert "WF1" not in table.columns and "UF1" in table.columns and "F1" in table.columns


def test_markdown_reads_back_cell_for_cell(table: pd.DataFrame) -> None:
    lines = to_markdown(table, digits=3).strip().splitlines()
    split = [[c.strip() for c in line.strip("|").split(" | ")] for line in lines]
    assert split[0] == list(table.columns)
    assert len(split) == len(table) + 2
    first = dict(zip(split[0], split[2]))
    assert first["UF1"] == "0.512" and first["UAR"] == "0.457" and first["Acc"] == "0.600"
    mol = [dict(zip(split[0], row)) for row in split[2:] if row[0] == "MOL"]
    assert mol and all(r["UF1"] == "–" and r["note"] == TO_BE_FILLED for r in mol)
    assert "a \\| b_c & 50%" in lines[3]


def test_html_reads_back_with_an_html_parser(table: pd.DataFrame) -> None:
    soup = BeautifulSoup(to_html(table), "html.parser")
    header = [th.get_text() for th in soup.find("thead").find_all("th")]
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in soup.find("tbody").find_all("tr")]
    assert header == list(table.columns) and len(rows) == len(table)
    for row, (_, expected) in zip(rows, table.iterrows()):
        for column, text in zip(header, row):
            value = expected[column]
            if column in METRICS:
                assert text == ("–" if pd.isna(value) else f"{value:.4f}")
            else:
                assert text == ("" if pd.isna(value) else str(value))


def test_latex_escapes_and_has_one_line_per_row(table: pd.DataFrame) -> None:
    tex = to_latex(table)
    body = tex.split("\\midrule")[1].split("\\bottomrule")[0].strip().splitlines()
    assert len(body) == len(table)
    assert "a | b\\_c \\& 50\\%" in tex
    assert all(line.count(" & ") == len(table.columns) - 1 for line in body if "b\\_c" not in line)
    assert tex.startswith("\\begin{tabular}") and "\\toprule" in tex


def test_export_round_trip(table: pd.DataFrame, tmp_path: Path) -> None:
    paths = export_table(table, tmp_path / "results")
    assert {p.name for p in paths.values()} == {"results.md", "results.tex", "results.html", "results.csv"}
    back = read_results(paths["csv"])
    for column in ("UF1", "UAR", "Acc"):
        assert all(
            math.isclose(a, b) or (pd.isna(a) and pd.isna(b)) for a, b in zip(back[column], table[column])
        )
    assert list(back["method"]) == list(table["method"])


def test_kit_rows_save_and_load(tmp_path: Path) -> None:
    rows = [kit_result("synthetic", "5", "released", "smoke", 0.125, {"uf1": 0.3, "war": 0.25, "loss": 9.0})]
    back = read_results(save_results(rows, tmp_path / "kit.csv"))
    assert back.loc[0, "UF1"] == 0.3 and back.loc[0, "WAR"] == 0.25 and back.loc[0, "classes"] == "5"
    assert back.loc[0, "protocol"] == "released" and back.loc[0, "profile"] == "smoke"


@pytest.mark.parametrize(
    "content, problem",
    [
        ("method,dataset,protocol,UF1,source\nX,casme2,fixed,1.3,paper\n", "row 2: UF1"),
        ("method,dataset,protocol,UF1,source\nX,casme2,fixed,0.5,\n", "needs a source"),
        ("method,dataset,protocol,UF1,source,colour\nX,casme2,fixed,0.5,p,red\n", "unknown columns"),
        ("method,dataset,UF1,source\nX,casme2,0.5,p\n", "missing column 'protocol'"),
        ("method,dataset,protocol,UF1,source\nX,casme2,fixed,high,p\n", "not a number"),
    ],
)
def test_bad_results_files_are_named(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match="bad.csv") as err:
        read_results(path)
    assert problem in str(err.value)
