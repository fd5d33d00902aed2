"""The AU-oracle reference rows: a hand-made table whose answer is worked out below, and the
owners' coding sheets read in place (``../shared/data/real_sheets``) against a naive loop, with
the figures they give."""

from __future__ import annotations

import collections

import numpy as np
import pandas as pd
import pytest
import test_data_real_sheets as real  # its folder-tree builders (tests/ is on sys.path)

from molkit.baselines import ceiling_predictions, loso_predictions, oracle_predictions, oracle_scores
from molkit.baselines.oracle import CEILING, LOSO
from molkit.data import read_composite, read_dataset
from molkit.metrics import summarize


def test_hand_made_table():
    # code "4": labels 0, 0, 1 (subjects a, b, c); code "12": 1, 1 (a, c); code "1+2": 2 (b)
    table = pd.DataFrame(
        {
            "subject": ["a", "a", "b", "b", "c", "c"],
            "code": ["4", "12", "4", "1+2", "4", "12"],
            "label": [0, 1, 0, 2, 1, 1],
        }
    )
    # ceiling: "4" -> 0 (two of three), "12" -> 1, "1+2" -> 2
    assert ceiling_predictions(table.code, table.label, 3).tolist() == [0, 1, 0, 2, 0, 1]
    # LOSO, a out: "4" among b, c is 0 and 1, a tie -> 0 (first); "12" among b, c -> 1
    # b out: "4" among a, c: 0, 1 -> 0; "1+2" never seen -> majority of a, c (0, 1, 1, 1) = 1
    # c out: "4" among a, b: 0, 0 -> 0; "12" among a, b -> 1
    assert loso_predictions(table.subject, table.code, table.label, 3).tolist() == [0, 1, 0, 1, 0, 1]
    with pytest.raises(ValueError, match="LOSO needs two"):
        loso_predictions(["a"], ["4"], [0], 3)


def test_uncoded_and_unlabelled_samples_are_left_out_and_scores_come_from_metrics():
    table = pd.DataFrame(
        {
            "dataset": ["samm"] * 5,
            "subject": ["006", "006", "007", "007", "008"],
            "video_id": list("vwxyz"),
            "action_units": ["4 ", "4", None, "12", "12"],
            "label_3": ["negative", "negative", "positive", "positive", None],
        }
    )
    out = oracle_predictions(table, classes="3")
    assert out.video_id.tolist() == ["v", "w", "y"] and out.action_units.tolist() == ["4", "4", "12"]
    assert out.ceiling.tolist() == [0, 0, 1]
    # 006 out: "4" unseen among 007 -> 007's majority (positive); 007 out: "12" unseen -> negative
    assert out.loso.tolist() == [1, 1, 0]
    scores = oracle_scores(out, 3).set_index(["reference", "dataset"])
    loso = scores.xs("samm", level="dataset").iloc[1]
    assert loso["accuracy"] == 0 and loso["uf1"] == summarize(out.label, out.loso, 3)["uf1"]


# --- the owners' sheets ---------------------------------------------------------------------

needs_sheets = pytest.mark.skipif(
    not real.SHEETS.is_dir(),
    reason=f"{real.SHEETS} is absent: the owners' sheets are read in place from the shared data "
    "folder, which this checkout lacks",
)


def naive_oracle(subjects, codes, labels, n_classes, loso):
    pred = []
    for i in range(len(labels)):
        votes, everyone = collections.Counter(), collections.Counter()
        for j in range(len(labels)):
            if loso and subjects[j] == subjects[i]:
                continue
            everyone[labels[j]] += 1
            if codes[j] == codes[i]:
                votes[labels[j]] += 1
        pool = votes if votes else everyone
        pred.append(max(range(n_classes), key=lambda c: (pool[c], -c)))
    return np.array(pred)


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    base = tmp_path_factory.mktemp("oracle_sheets")
    real.casme_tree(base / "CASME2", real.CASME_2014)
    real.samm_tree(base / "SAMM")
    real.smic_tree(base / "SMIC")
    megc = base / "megc"
    megc.mkdir()
    for name, target in (("CASME2_RAW_selected", "CASME2"), ("SAMM", "SAMM"), ("SMIC_all_raw", "SMIC")):
        (megc / name).symlink_to(base / target)
    return {
        "casme2": oracle_predictions(read_dataset("casme2", base / "CASME2").table, classes="5"),
        "composite": oracle_predictions(read_composite(megc).table, classes="composite"),
    }


@needs_sheets
@pytest.mark.parametrize("name, n_classes", [("casme2", 5), ("composite", 3)])
def test_oracle_on_the_sheets_equals_a_naive_loop(sheets, name, n_classes):
    out = sheets[name]
    args = (out.subject.tolist(), out.action_units.tolist(), out.label.tolist(), n_classes)
    np.testing.assert_array_equal(out.ceiling, naive_oracle(*args, loso=False))
    np.testing.assert_array_equal(out.loso, naive_oracle(*args, loso=True))


@needs_sheets
def test_oracle_figures_from_the_sheets(sheets):
    casme = oracle_scores(sheets["casme2"], 5).set_index(["reference", "dataset"]).round(2)
    composite = oracle_scores(sheets["composite"], 3).set_index(["reference", "dataset"]).round(2)
    ceiling, loso = CEILING, LOSO
    assert len(sheets["casme2"]) == 246  # CASME II 2014 sheet, 5 classes, every sample coded
    assert casme.loc[(ceiling, "casme2"), ["uf1", "uar", "accuracy"]].tolist() == [0.90, 0.90, 0.89]
    assert casme.loc[(loso, "casme2"), ["uf1", "uar", "accuracy"]].tolist() == [0.73, 0.69, 0.73]
    # composite: 145 CASME II and 133 SAMM samples; SMIC's 164 have no codes, so no SMIC row
    assert sheets["composite"].dataset.value_counts().to_dict() == {"casme2": 145, "samm": 133}
    assert (
        composite.loc[(ceiling, "casme2"), "uf1"] == 0.97 and composite.loc[(ceiling, "samm"), "uf1"] == 1.0
    )
    assert composite.loc[(loso, "casme2"), ["uf1", "uar", "accuracy"]].tolist() == [0.78, 0.72, 0.83]
    assert composite.loc[(loso, "samm"), ["uf1", "uar", "accuracy"]].tolist() == [0.70, 0.64, 0.82]
