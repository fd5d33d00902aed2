"""Collapse reporting on a hand-made prediction table: single-class folds and classes never
recognised, per fold and pooled, with their counts in the warnings."""

from __future__ import annotations

import pandas as pd

from molkit.train.collapse import collapse_table, collapse_warnings

NAMES = ["surprise", "happiness", "disgust"]


def test_single_class_folds_and_zero_recall_are_counted():
    videos = pd.DataFrame(
        {
            "fold": ["a", "a", "a", "b", "b", "c", "c"],
            "label": [0, 1, 2, 0, 1, 1, 1],
            "pred": [0, 0, 0, 0, 1, 1, 1],  # a: one class for three; b: right; c: one class, one truth
        }
    )
    table = collapse_table(videos, NAMES).set_index("fold")
    assert table.single_class.to_dict() == {"a": True, "b": False, "c": False, "pooled": False}
    assert table.zero_recall.to_dict() == {"a": "happiness, disgust", "b": "", "c": "", "pooled": "disgust"}
    assert table.loc["pooled", "predicted"] == "surprise, happiness"
    assert table.loc["a", "n"] == 3 and table.loc["pooled", "true_classes"] == 3
    warnings = collapse_warnings(table.reset_index(), "MOL")
    assert warnings == [
        "MOL predicted one class in 1 of 3 folds (a: surprise)",
        "MOL: a class with zero recall in 1 of 3 folds",
        "MOL: classes never recognised, pooled over the folds (recall 0): disgust",
    ]


def test_a_model_that_learned_raises_no_warning():
    videos = pd.DataFrame({"fold": ["a", "a", "b", "b"], "label": [0, 1, 0, 1], "pred": [0, 1, 0, 1]})
    assert collapse_warnings(collapse_table(videos, NAMES), "MOL") == []
    everything_one = videos.assign(pred=2)
    warnings = collapse_warnings(collapse_table(everything_one, NAMES), "MOL")
    assert warnings[0] == "MOL predicted one class in 2 of 2 folds (a: disgust, b: disgust)"
    assert "MOL predicted one class (disgust) for every video" in warnings
