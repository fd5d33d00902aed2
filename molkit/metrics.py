"""Classification metrics of micro-expression recognition, all read off one confusion matrix.

The field scores a LOSO run on the confusion matrix pooled over its folds: accuracy, UF1 (mean
of per-class F1), UAR (mean per-class recall), WF1 and WAR (the same weighted by class
frequency; WAR equals accuracy). A class that never occurs and is never predicted has no
defined recall or F1; it is left out of the unweighted means, as scikit-learn's
``labels``-restricted averages would be if it were not listed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METRICS = ("accuracy", "uf1", "uar", "wf1", "war")


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> np.ndarray:
    """``cm[t, p]`` counts samples of true class t predicted as p (int64, n_classes x n_classes)."""
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{name} holds classes outside 0..{n_classes - 1}")
    flat = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes)


def per_class(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class ``support``, ``recall``, ``precision`` and ``f1`` (0 where undefined)."""
    cm = np.asarray(cm, dtype=np.float64)
    hits = np.diag(cm)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    recall = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    f1 = np.divide(2 * hits, support + predicted, out=np.zeros_like(hits), where=(support + predicted) > 0)
    return {"support": support.astype(np.int64), "recall": recall, "precision": precision, "f1": f1}


def summarize_confusion(cm: np.ndarray) -> dict[str, float]:
    """Accuracy, UF1, UAR, WF1 and WAR of a confusion matrix (rows: truth, columns: prediction)."""
    cm = np.asarray(cm)
    total = cm.sum()
    if total == 0:
        raise ValueError("the confusion matrix is empty")
    scores = per_class(cm)
    present = scores["support"] > 0
    occurring = present | (cm.sum(axis=0) > 0)
    weights = scores["support"] / total
    return {
        "accuracy": float(np.trace(cm) / total),
        "uf1": float(scores["f1"][occurring].mean()),
        "uar": float(scores["recall"][present].mean()),
        "wf1": float((weights * scores["f1"]).sum()),
        "war": float((weights * scores["recall"]).sum()),
    }


def summarize(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> dict[str, float]:
    """Accuracy, UF1, UAR, WF1 and WAR of predictions (see :func:`summarize_confusion`)."""
    return summarize_confusion(confusion_matrix(y_true, y_pred, n_classes))


def logit_columns(n_classes: int) -> list[str]:
    """The logit columns of a prediction table (``predictions.csv``), in class order."""
    return [f"logit_{c}" for c in range(n_classes)]
