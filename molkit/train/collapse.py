"""Collapse, reported rather than hidden: folds whose model predicts one class for videos of
several classes, and classes whose videos are never recognised (zero recall), per fold and
pooled over the folds."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

POOLED = "pooled"


def collapse_table(videos: pd.DataFrame, class_names: Sequence[str]) -> pd.DataFrame:
    """One row per fold and a last ``pooled`` row: ``n`` videos, ``true_classes`` (how many
    classes occur), ``predicted`` (the class names predicted), ``single_class`` (one class
    predicted for videos of several) and ``zero_recall`` (classes that occur and are never
    predicted right)."""
    rows = []
    for fold, table in [*videos.groupby("fold", sort=True), (POOLED, videos)]:
        truth = sorted(set(table["label"]))
        predicted = sorted(set(table["pred"]))
        hits = set(table.loc[table["label"] == table["pred"], "label"])
        rows.append(
            {
                "fold": fold,
                "n": len(table),
                "true_classes": len(truth),
                "predicted": ", ".join(class_names[c] for c in predicted),
                "single_class": len(predicted) == 1 and len(truth) > 1,
                "zero_recall": ", ".join(class_names[c] for c in truth if c not in hits),
            }
        )
    return pd.DataFrame(rows)


def collapse_warnings(table: pd.DataFrame, method: str) -> list[str]:
    """Plain sentences for a :func:`collapse_table` (empty when nothing collapsed)."""
    folds, pooled = table[table["fold"] != POOLED], table[table["fold"] == POOLED].iloc[0]
    lines = []
    single = folds[folds["single_class"]]
    if len(single):
        lines.append(
            f"{method} predicted one class in {len(single)} of {len(folds)} folds "
            f"({', '.join(f'{f}: {p}' for f, p in zip(single['fold'], single['predicted']))})"
        )
    missed = folds[folds["zero_recall"] != ""]
    if len(missed):
        lines.append(f"{method}: a class with zero recall in {len(missed)} of {len(folds)} folds")
    if pooled["single_class"]:
        lines.append(f"{method} predicted one class ({pooled['predicted']}) for every video")
    if pooled["zero_recall"]:
        lines.append(
            f"{method}: classes never recognised, pooled over the folds (recall 0): {pooled['zero_recall']}"
        )
    return lines
