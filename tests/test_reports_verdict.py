"""The front page's verdict, computed from LOSO results made by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from molkit.model import MOLConfig
from molkit.reports.verdict import model_verdict, verdict
from molkit.train import LosoConfig
from molkit.train.loso import LosoResult

NAMES = ["surprise", "happiness", "disgust"]


def result(pred: list[int], method: str = "mol") -> LosoResult:
    label = [0, 1, 2, 0, 1, 2]
    clips = pd.DataFrame(
        {
            "protocol": "fixed",
            "fold": ["a"] * 3 + ["b"] * 3,
            "subject": ["a"] * 3 + ["b"] * 3,
            "video_id": [f"v{i}" for i in range(6)],
            "clip_index": 0,
            "crop": 0,
            "label": label,
            "pred": pred,
        }
    )
    for c in range(3):
        clips[f"logit_{c}"] = (np.array(pred) == c).astype(float)
    config = LosoConfig(method=method, classes="3", model=MOLConfig(n_classes=3), profile="demo")
    return LosoResult(config, clips, NAMES)


def test_verdicts():
    assert model_verdict(result([0, 1, 2, 0, 1, 2]), 1 / 3) == "MOL learned: per-video UF1 1.00, chance 0.33"
    collapsed = model_verdict(result([0, 0, 0, 0, 1, 2]), 1 / 3)
    assert collapsed.startswith("MOL predicted one class in 1 of 2 folds (per-video UF1 ")
    # UF1 of [0 1 0 | 0 1 0] by hand: surprise F1 2/3 (2 hits, 4 predicted), happiness 1, disgust 0
    missed = model_verdict(result([0, 1, 0, 0, 1, 0]), 1 / 3)
    assert missed == f"MOL never recognised disgust (per-video UF1 {(2 / 3 + 1 + 0) / 3:.2f}, chance 0.33)"
    # a permutation recognises nothing: UF1 0
    wrong = result([1, 2, 0, 2, 0, 1])
    assert model_verdict(wrong, 1 / 3).startswith("MOL never recognised surprise, happiness, disgust")
    line = verdict(
        [result([0, 1, 2, 0, 1, 2])], [result([0, 1, 2, 0, 1, 1], "linear")], 1 / 3, "synthetic, difficulty 1"
    )
    assert line.startswith(
        "MOL learned: per-video UF1 1.00, chance 0.33 [MOL (released recipe): fixed (last weights) | profile demo"
    )
    # linear, by hand: F1 surprise 1, happiness 2*2/(2+3) = 0.8, disgust 2*1/(2+1): UF1 0.82
    assert f"linear (logistic regression) UF1 {(1 + 0.8 + 2 / 3) / 3:.2f}" in line and line.endswith(
        "(on synthetic, difficulty 1)"
    )
    assert "\n" not in line and json.dumps(line)
