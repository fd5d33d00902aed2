"""The front page's verdict, one sentence per claim, computed from LOSO results made by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from molkit.model import MOLConfig
from molkit.reports.verdict import model_verdict, models_claim, tasks_claim
from molkit.train import LosoConfig
from molkit.train.loso import LosoResult

NAMES = ["surprise", "happiness", "disgust"]
LABEL = [0, 1, 2, 0, 1, 2]


def result(pred: list[int], method: str = "mol", subjects: tuple[str, ...] = ("a", "b")) -> LosoResult:
    n = len(pred)
    clips = pd.DataFrame(
        {
            "protocol": "fixed",
            "fold": [subjects[i * len(subjects) // n] for i in range(n)],
            "subject": [subjects[i * len(subjects) // n] for i in range(n)],
            "video_id": [f"v{i}" for i in range(n)],
            "clip_index": 0,
            "crop": 0,
            "label": (LABEL * 2)[:n],
            "pred": pred,
        }
    )
    for c in range(3):
        clips[f"logit_{c}"] = (np.array(pred) == c).astype(float)
    config = LosoConfig(method=method, classes="3", model=MOLConfig(n_classes=3), profile="demo")
    return LosoResult(config, clips, NAMES)


def test_model_verdicts():
    assert model_verdict(result([0, 1, 2, 0, 1, 2]), 1 / 3) == "MOL learned: per-video UF1 1.00, chance 0.33"
    collapsed = model_verdict(result([0, 0, 0, 0, 1, 2]), 1 / 3)
    assert collapsed.startswith("MOL predicted one class in 1 of 2 folds (per-video UF1 ")
    # UF1 of [0 1 0 | 0 1 0] by hand: surprise F1 2/3 (2 hits, 4 predicted), happiness 1, disgust 0
    missed = model_verdict(result([0, 1, 0, 0, 1, 0]), 1 / 3)
    assert missed == f"MOL never recognised disgust (per-video UF1 {(2 / 3 + 1 + 0) / 3:.2f}, chance 0.33)"
    wrong = result([1, 2, 0, 2, 0, 1])  # a permutation recognises nothing: UF1 0
    assert model_verdict(wrong, 1 / 3).startswith("MOL never recognised surprise, happiness, disgust")


def test_the_models_claim_compares_on_mol_videos_with_the_best_baseline():
    mol = result([0, 1, 2, 0, 1, 2])  # subjects a, b: videos v0..v5
    # baselines on four subjects (12 videos); only v0..v5 are MOL's
    linear = result([0, 1, 2, 0, 1, 1] + [0] * 6, "linear", ("a", "b", "c", "d"))
    ststnet = result([1, 1, 1, 0, 1, 2] + [1] * 6, "ststnet", ("a", "b", "c", "d"))
    line = models_claim(mol, [ststnet, linear], 1 / 3)
    # on v0..v5: linear UF1 (1 + 0.8 + 2/3) / 3 = 0.82, STSTNet's by scikit-learn
    best = f1_score(LABEL, [0, 1, 2, 0, 1, 1], average="macro")
    assert best > f1_score(LABEL, [1, 1, 1, 0, 1, 2], average="macro")
    assert line.startswith(
        "MOL learned: per-video UF1 1.00, chance 0.33; on its 2 folds MOL 1.00 [1.00, 1.00], "
    )
    assert f"linear (logistic regression) {best:.2f} [" in line
    assert line.endswith("(per-video UF1, 95% over subjects).") and "\n" not in line
    assert models_claim(mol, [], 1 / 3) == "MOL learned: per-video UF1 1.00, chance 0.33."


def test_the_tasks_claim_names_each_difference_and_the_spread():
    differences = pd.DataFrame(
        {
            "variant": ["no flow", "no landmarks"],
            "metric": "uf1",
            "median": [-0.05, 0.02],
            "low": [-0.2, 0.01],
            "high": [0.1, 0.04],
            "coverage": [0.969, 0.969],
            "pairs": [6, 6],
            "exceeds": [False, True],
        }
    )
    assert tasks_claim(differences) == (
        "Per-video UF1 minus the full model's: no flow -0.05 [-0.20, +0.10]; no landmarks +0.02 "
        "[+0.01, +0.04] (6 seed x fold pairs, sign intervals at 97%; 1 beyond the spread)."
    )
    assert tasks_claim(differences.iloc[:0]) == "Only the full model ran: no difference to compare."
