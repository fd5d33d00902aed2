"""The AU-oracle reference rows, computed from the coding sheets alone: how well a sample's
emotion can be told from its exact action-unit code.

- ``ceiling``: each sample gets the majority label of its code over the whole dataset
  (in-sample). No function of the code can be more accurate.
- ``loso``: the majority label of its code among the *other* subjects' samples. A code that no
  other subject carries gets the majority label of the other subjects' samples.

The code is the readers' ``action_units`` text exactly as the sheet holds it, surrounding
spaces stripped (so "4" and "L4", or "1+2" and "2+1", are different codes). Ties between
labels go to the first label in logit order (as for the majority-class row of
:mod:`molkit.train.references`). Samples without a code (all of SMIC) get no prediction: there
is no SMIC oracle row. Predictions are per sample, so every score comes from
:mod:`molkit.metrics` like any other row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from molkit.data import class_names, label_column
from molkit.metrics import METRICS, summarize

CEILING, LOSO = (
    "AU oracle ceiling (majority label of each exact AU code, in-sample)",
    ("AU oracle LOSO (majority label of each exact AU code among the other subjects)"),
)


def _majority(labels: np.ndarray, n_classes: int) -> int:
    """The most frequent label; ties: the first in logit order."""
    return int(np.bincount(labels, minlength=n_classes).argmax())


def code_majority(codes: np.ndarray, labels: np.ndarray, n_classes: int) -> dict[str, int]:
    """``{code: majority label of its samples}``."""
    counts: dict[str, np.ndarray] = {}
    for code, label in zip(codes, labels):
        counts.setdefault(code, np.zeros(n_classes, np.int64))[label] += 1
    return {code: int(count.argmax()) for code, count in counts.items()}


def ceiling_predictions(codes, labels, n_classes: int) -> np.ndarray:
    """Each sample's prediction: the majority label of its code over all samples."""
    codes, labels = np.asarray(codes, dtype=object), np.asarray(labels, dtype=np.int64)
    vote = code_majority(codes, labels, n_classes)
    return np.array([vote[code] for code in codes], dtype=np.int64)


def loso_predictions(subjects, codes, labels, n_classes: int) -> np.ndarray:
    """Each sample's prediction: the majority label of its code among the other subjects'
    samples; a code they never carry gets their majority label."""
    subjects = np.asarray(subjects, dtype=object)
    codes, labels = np.asarray(codes, dtype=object), np.asarray(labels, dtype=np.int64)
    pred = np.zeros(len(labels), np.int64)
    for subject in pd.unique(subjects):
        test, train = subjects == subject, subjects != subject
        if not train.any():
            raise ValueError(f"AU oracle: subject {subject!r} is the only one; LOSO needs two")
        vote = code_majority(codes[train], labels[train], n_classes)
        fallback = _majority(labels[train], n_classes)
        pred[test] = [vote.get(code, fallback) for code in codes[test]]
    return pred


def oracle_predictions(table: pd.DataFrame, *, classes: str) -> pd.DataFrame:
    """Per-sample oracle predictions of a readers' manifest table (``read_dataset`` or
    ``read_composite``: ``dataset``, ``subject``, ``video_id``, ``action_units`` and the class
    set's label column) on its samples that are labelled in ``classes`` and coded. Columns:
    dataset, subject, video_id, action_units, label, ceiling, loso (labels in logit order of
    ``class_names(classes, dataset)``); the LOSO folds are the table's subjects (the composite's
    68, pooled)."""
    datasets = sorted(set(table["dataset"]))
    if classes == "5" and len(datasets) > 1:
        raise ValueError(f"AU oracle: the 5-class set differs per dataset; found {datasets}")
    names = class_names(classes, datasets[0] if datasets else None)
    column = label_column(classes)
    coded = table["action_units"].notna() & (table["action_units"].astype(str).str.strip() != "")
    rows = table[coded & table[column].isin(names)]
    out = pd.DataFrame(
        {
            "dataset": rows["dataset"].to_numpy(),
            "subject": rows["subject"].astype(str).to_numpy(),
            "video_id": rows["video_id"].to_numpy(),
            "action_units": rows["action_units"].astype(str).str.strip().to_numpy(),
            "label": rows[column].map(names.index).to_numpy(np.int64),
        }
    )
    n = len(names)
    out["ceiling"] = ceiling_predictions(out.action_units, out.label, n)
    out["loso"] = loso_predictions(out.subject, out.action_units, out.label, n)
    return out


def oracle_scores(predictions: pd.DataFrame, n_classes: int) -> pd.DataFrame:
    """Metrics (:data:`molkit.metrics.METRICS`) of both oracles per dataset column (pooled LOSO
    predictions read per dataset, as MEGC 2019 does). No composite column: SMIC's third of it
    has no codes."""
    columns = dict(tuple(predictions.groupby("dataset", sort=True)))
    rows = [
        {
            "reference": reference,
            "dataset": name,
            "n": len(part),
            **summarize(part.label, part[pred], n_classes),
        }
        for reference, pred in ((CEILING, "ceiling"), (LOSO, "loso"))
        for name, part in columns.items()
    ]
    return pd.DataFrame(rows, columns=["reference", "dataset", "n", *METRICS])
