"""The paper-shaped tables: columns read from the pooled predictions, scores against
scikit-learn, references against the kit's other implementations, shared labels in the caption."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, recall_score

from molkit.data import Fold
from molkit.model import MOLConfig
from molkit.reports.paper_tables import (
    chance_row,
    citation,
    majority_predictions,
    measured_row,
    missing_published,
    paper_table,
    published_rows,
    run_tables,
    shared_labels,
)
from molkit.train.loso import LosoConfig, LosoResult
from molkit.train.references import majority_scores

LABELS = {"tier": "twin", "profile": "demo", "protocol": "fixed", "flow width": 0.125}


def _videos(seed: int = 0) -> pd.DataFrame:
    """A composite run's per-video predictions: 3 datasets x 3 subjects x 6 videos."""
    rng = np.random.default_rng(seed)
    rows = []
    for dataset in ("casme2", "samm", "smic"):
        for s in range(3):
            for v in range(6):
                label = int(rng.integers(0, 3))
                pred = label if rng.random() < 0.6 else int(rng.integers(0, 3))
                rows.append((f"{dataset}/s{s}", f"{dataset}/s{s}/v{v}", label, pred))
    return pd.DataFrame(rows, columns=["subject", "video_id", "label", "pred"])


def _number(cell: str) -> float:
    return float(cell.split(" ")[0])


def test_columns_are_read_from_the_pooled_predictions():
    videos = _videos()
    row = measured_row("m", videos, "composite", LABELS)
    assert _number(row["Composite UF1"]) == pytest.approx(
        f1_score(videos.label, videos.pred, average="macro"), abs=5e-4
    )
    for dataset, name in (("casme2", "CASME II"), ("samm", "SAMM"), ("smic", "SMIC")):
        part = videos[videos.video_id.str.startswith(dataset + "/")]
        assert _number(row[f"{name} UF1"]) == pytest.approx(
            f1_score(part.label, part.pred, average="macro"), abs=5e-4
        )
        assert _number(row[f"{name} UAR"]) == pytest.approx(
            recall_score(part.label, part.pred, average="macro"), abs=5e-4
        )
        low, high = (float(x) for x in row[f"{name} UF1"].split("[")[1].rstrip("]").split(", "))
        assert low <= _number(row[f"{name} UF1"]) <= high  # the estimate sits inside its interval
    assert float(row["Acc"]) == pytest.approx(accuracy_score(videos.label, videos.pred), abs=5e-4)
    assert float(row["WF1"]) == pytest.approx(
        f1_score(videos.label, videos.pred, average="weighted"), abs=5e-4
    )
    assert row["videos"] == "54"


def test_a_row_missing_a_dataset_has_no_composite_column():
    videos = _videos()
    coded = videos[~videos.video_id.str.startswith("smic/")]  # e.g. the AU oracle: SMIC has no codes
    row = measured_row("oracle", coded, "composite", LABELS)
    assert row["Composite UF1"] == row["SMIC UF1"] == row["Acc"] == ""
    assert row["CASME II UF1"] != ""


def test_majority_and_chance_agree_with_the_reference_rows():
    videos = _videos(1)
    subjects = sorted(videos.subject.unique())
    folds = [Fold(s, tuple(t for t in subjects if t != s), None) for s in subjects]
    expected = majority_scores(videos, folds, 3)
    row = measured_row("majority", majority_predictions(videos), "composite", LABELS)
    assert _number(row["Composite UF1"]) == pytest.approx(expected["uf1"], abs=5e-4)
    chance = chance_row(videos, "composite", LABELS)
    assert float(chance["Composite UAR"]) == pytest.approx(1 / 3, abs=5e-4)  # uniform guessing, exactly


def test_published_rows_carry_their_numbers_and_a_citation():
    (ststnet,) = [r for r in published_rows("composite") if r["method"].startswith("STSTNet")]
    assert ststnet["CASME II UF1"] == "0.8382" and ststnet["Composite UAR"] == "0.7605"
    assert ststnet["source"] == "Liong et al., IEEE FG 2019"
    assert citation("Gan et al., OFF-ApexNet, Signal Processing: Image Communication 2019, abstract") == (
        "Gan et al., Signal Processing: Image Communication 2019"
    )
    lbptop = [r for r in published_rows("composite") if r["method"].startswith("LBP-TOP")]
    assert lbptop and lbptop[0]["CASME II UF1"] == "0.7000"  # as Guo et al. tabulate it
    assert "MOL" in missing_published("composite") and "LBP-TOP" not in missing_published("composite")
    assert missing_published("composite", methods=("STSTNet",)) == ""  # nothing missing: no line


def test_labels_every_row_shares_go_to_the_caption():
    videos = _videos()
    rows = [
        measured_row("a", videos, "composite", LABELS),
        measured_row("b", videos, "composite", {**LABELS, "flow width": ""}),
        chance_row(videos, "composite", LABELS),
        *published_rows("composite"),
    ]
    table, caption = shared_labels(paper_table(rows))
    assert "tier" not in table.columns and "profile" not in table.columns
    assert "flow width" in table.columns  # differs between rows
    assert caption == "tier twin; profile demo; protocol fixed"
    assert not table.isna().any().any()


def _result(method: str, videos: pd.DataFrame) -> LosoResult:
    logits = np.eye(3)[videos.pred.to_numpy()]
    clips = videos.assign(fold=videos.subject, **{f"logit_{k}": logits[:, k] for k in range(3)})
    config = LosoConfig(method=method, classes="composite", model=MOLConfig(n_classes=3), profile="demo")
    return LosoResult(config, clips.drop(columns="pred"), ["negative", "positive", "surprise"])


def test_a_run_on_named_folds_gets_a_second_table_on_their_videos():
    videos = _videos(2)
    spanning = ["casme2/s0", "samm/s1", "smic/s2"]  # one subject of each dataset
    named = videos[videos.subject.isin(spanning)]
    left_out = ["MOL (released recipe)"]
    tables = run_tables([_result("mol", named), _result("ststnet", videos)], "twin", not_run=left_out)
    assert list(tables) == ["all folds", "3 named folds"]
    every, caption = tables["all folds"]
    assert list(every.videos[:2]) == ["18", "54"]  # each method on its own folds
    assert caption.startswith("Every row: tier twin; profile demo; protocol fixed.")
    assert "Not run at this profile: MOL (released recipe)." in caption
    assert "flow width" in every.columns  # MOL has a flow head, STSTNet none
    on_named, _ = tables["3 named folds"]
    assert set(on_named.videos[on_named.videos != ""]) == {"18"}  # every row on MOL's videos
    ststnet = on_named[on_named.method == "STSTNet"].iloc[0]
    part = videos[videos.subject.isin(spanning)]
    assert _number(ststnet["Composite UF1"]) == pytest.approx(
        f1_score(part.label, part.pred, average="macro"), abs=5e-4
    )


def test_columns_no_row_fills_are_left_out():
    videos = _videos(3)
    two = videos[~videos.subject.str.startswith("samm")]  # no SAMM video: no SAMM, no composite
    table = paper_table([measured_row("MOL", two, "composite", {})])
    assert [c for c in table.columns if "UF1" in c] == ["CASME II UF1", "SMIC UF1"]
    assert "Acc" not in table.columns and "WF1" not in table.columns  # they need every dataset
    smic = two[two.subject.str.startswith("smic")]
    assert _number(table["SMIC UF1"].iloc[0]) == pytest.approx(
        f1_score(smic.label, smic.pred, average="macro"), abs=5e-4
    )


def test_the_caption_names_the_rows_that_lack_a_dataset():
    videos = _videos(4)
    named = videos[videos.subject.isin(["casme2/s0", "smic/s1"])]  # MOL's named folds: no SAMM
    tables = run_tables([_result("mol", named), _result("ststnet", videos)], "twin")
    every, caption = tables["all folds"]
    mol = every[every.method.str.startswith("MOL")].iloc[0]
    assert mol["SAMM UF1"] == mol["Composite UF1"] == mol["Acc"] == "" and mol["SMIC UF1"] != ""
    lacking = caption.split("Empty cells: ")[1]
    assert lacking.startswith(f"a row without videos of a dataset ({mol.method}: SAMM) has none")
    assert "STSTNet" not in lacking and "chance" not in lacking  # those rows hold every dataset
    _, caption = tables["2 named folds"]
    assert "Empty cells" not in caption  # every row there lacks SAMM: the column is left out
