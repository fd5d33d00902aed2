"""MOL's verdict carries its budget (:mod:`molkit.run.mol_budget`): this run's clips, and the budget
curve's record read back against naive means over a hand-made record."""

from __future__ import annotations

import pandas as pd

from molkit.run.mol_budget import budget_context
from molkit.train.config import TrainConfig


def _record(folder, mol_steps=(400, 1600)) -> None:
    rows = []
    for steps in mol_steps:
        for fold, uf1 in (("casme2/sub17", 0.30), ("samm/011", 0.50)):
            rows.append(
                {
                    "variant": "mol",
                    "fold": fold,
                    "seed": 1,
                    "steps": steps,
                    "clips_seen": 4 * steps,
                    "uf1": uf1 + steps / 10000,
                }
            )
            rows.append(
                {
                    "variant": "mer-alone",
                    "fold": fold,
                    "seed": 1,
                    "steps": steps,
                    "clips_seen": 4 * steps,
                    "uf1": 0.9,
                }
            )
    pd.DataFrame(rows).to_csv(folder / "mol_budget.csv", index=False)
    pd.DataFrame(
        [
            {"method": "STSTNet", "seed": 1, "fold": "casme2/sub17", "uf1": 0.70},
            {"method": "STSTNet", "seed": 2, "fold": "samm/011", "uf1": 0.80},
            {"method": "STSTNet", "seed": 1, "fold": "all", "uf1": 0.10},
            {"method": "linear (logistic regression)", "seed": 1, "fold": "samm/011", "uf1": 0.05},
        ]
    ).to_csv(folder / "mol_budget_baselines.csv", index=False)


def test_the_sentence_quotes_the_curve_ends_and_ststnet_on_its_folds(tmp_path):
    _record(tmp_path)
    text = budget_context(TrainConfig(steps=400, batch_size=4), tmp_path / "mol_budget.csv")
    assert text.startswith("This run trained MOL 400 steps of 4 clips (1,600 clips a fold).")
    low = (0.30 + 0.50) / 2 + 0.04
    high = (0.30 + 0.50) / 2 + 0.16
    assert f"UF1 {low:.2f} after 1,600 clips and {high:.2f} after 6,400" in text
    assert f"STSTNet at {(0.70 + 0.80) / 2:.2f} on the same folds" in text  # the pooled row left out
    assert "casme2/sub17 and samm/011" in text and "mol_budget.csv" in text
    assert "its best" not in text  # the curve's best is its end


def test_the_sentence_adds_mol_at_full_width_and_given_the_true_motion_where_measured(tmp_path):
    _record(tmp_path)
    train = TrainConfig(steps=400, batch_size=4)
    assert "exact motion" not in budget_context(train, tmp_path / "mol_budget.csv")
    rows = pd.read_csv(tmp_path / "mol_budget.csv")
    given = [
        {"variant": "motion-truth", "fold": f, "seed": 1, "steps": 1600, "clips_seen": 6400, "uf1": u}
        for f, u in (("casme2/sub17", 0.55), ("samm/011", 0.61))
    ]
    pd.concat([rows, pd.DataFrame(given)]).to_csv(tmp_path / "mol_budget.csv", index=False)
    text = budget_context(train, tmp_path / "mol_budget.csv")
    assert text.endswith(f"MOL scored {(0.55 + 0.61) / 2:.2f} after 6,400 clips.")
    assert f"{(0.30 + 0.50) / 2 + 0.16:.2f} after 6,400" in text  # MOL's own curve unchanged
    assert "flow-head width" not in text
    wide = [
        {"variant": "full-width", "fold": f, "seed": 1, "steps": 400, "clips_seen": 1600, "uf1": u}
        for f, u in (("casme2/sub17", 0.40), ("samm/011", 0.62))
    ]
    rows = pd.read_csv(tmp_path / "mol_budget.csv")
    pd.concat([rows, pd.DataFrame(wide)]).to_csv(tmp_path / "mol_budget.csv", index=False)
    text = budget_context(train, tmp_path / "mol_budget.csv")
    assert (
        f"At the paper's flow-head width (1.0) MOL scored {(0.40 + 0.62) / 2:.2f} after 1,600 clips." in text
    )
    assert text.endswith(f"MOL scored {(0.55 + 0.61) / 2:.2f} after 6,400 clips.")


def test_the_sentence_names_a_best_budget_between_the_ends(tmp_path):
    """A curve that rises, then falls: the ends alone would hide its best point."""
    _record(tmp_path, mol_steps=(400, 1600, 6400))
    rows = pd.read_csv(tmp_path / "mol_budget.csv")
    rows.loc[(rows.variant == "mol") & (rows.steps == 6400), "uf1"] = [0.20, 0.30]
    rows.to_csv(tmp_path / "mol_budget.csv", index=False)
    text = budget_context(TrainConfig(steps=400, batch_size=4), tmp_path / "mol_budget.csv")
    best = (0.30 + 0.50) / 2 + 0.16
    assert f"after 1,600 clips, {best:.2f} after 6,400 (its best) and {0.25:.2f} after 25,600," in text


def test_the_sentence_averages_the_seeds_and_names_them(tmp_path):
    """A second seed at every budget is averaged in and named; one missing a budget is said."""
    _record(tmp_path)
    rows = pd.read_csv(tmp_path / "mol_budget.csv")
    train = TrainConfig(steps=400, batch_size=4)
    assert "MOL (kit recipe; seed 1) at" in budget_context(train, tmp_path / "mol_budget.csv")
    second = rows[rows.variant == "mol"].assign(seed=2, uf1=lambda r: r.uf1 + 0.1)
    pd.concat([rows, second]).to_csv(tmp_path / "mol_budget.csv", index=False)
    text = budget_context(train, tmp_path / "mol_budget.csv")
    low = ((0.30 + 0.04) + (0.50 + 0.04) + (0.40 + 0.04) + (0.60 + 0.04)) / 4
    assert f"MOL (kit recipe; seeds 1, 2) at mean per-fold UF1 {low:.2f} after 1,600 clips" in text
    pd.concat([rows, second[second.steps == 1600]]).to_csv(tmp_path / "mol_budget.csv", index=False)
    text = budget_context(train, tmp_path / "mol_budget.csv")
    assert "(kit recipe; seeds 1, 2, not all at every budget)" in text
    assert f"UF1 {(0.30 + 0.50) / 2 + 0.04:.2f} after 1,600 clips" in text  # seed 1 alone there


def test_without_a_record_or_with_one_budget_only_this_run_is_said(tmp_path):
    train = TrainConfig(steps=10, batch_size=2)
    assert (
        budget_context(train, tmp_path / "mol_budget.csv")
        == "This run trained MOL 10 steps of 2 clips (20 clips a fold)."
    )
    _record(tmp_path, mol_steps=(400,))
    assert budget_context(train, tmp_path / "mol_budget.csv").endswith("(20 clips a fold).")
