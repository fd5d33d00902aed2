"""Reference rows, computed from the data, for every number a LOSO run reports.

- Classes (per video, on the videos a run tests): ``chance``, the expected confusion matrix of
  uniform guessing (``cm[t, p] = n_t / K``), and ``majority class``, each fold predicting the
  most frequent class of its own training subjects (ties: the first class in logit order).
- Flow (per test clip, test crop): predicting zero flow, scored against TV-L1 and the true flow,
  and TV-L1 against the true flow.
- Landmarks (per test clip, frames 2..T as MOL predicts them): the mean shape of each fold's
  training videos (dlib's landmarks, MOL's target), scored against dlib and the true landmarks,
  and dlib against the true landmarks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch.utils.data import ConcatDataset, DataLoader

from molkit.data import Fold, cache, clips
from molkit.metrics import METRICS, summarize, summarize_confusion
from molkit.train.evaluation import end_point_error, inter_ocular_nme, item_table
from molkit.train.loso import Caches, LosoConfig, all_subjects, chosen_folds, open_clips

CHANCE, MAJORITY = "chance (uniform guess)", "majority class (of each fold's training subjects)"
ERROR_COLUMNS = ("epe_tvl1", "epe_true", "nme_dlib", "nme_true")


def chance_scores(labels: Sequence[int], n_classes: int) -> dict[str, float]:
    """Metrics of the expected confusion matrix of uniform guessing over ``n_classes``."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes)
    return summarize_confusion(np.outer(counts, np.ones(n_classes, dtype=np.int64)))  # x K: same metrics


def majority_scores(videos: pd.DataFrame, folds: Sequence[Fold], n_classes: int) -> dict[str, float]:
    """Metrics of predicting, in every fold, the most frequent class of its training subjects
    (``videos``: one row per video with ``subject`` and ``label``)."""
    truth, pred = [], []
    for fold in folds:
        train = videos.loc[videos.subject.isin(fold.train_subjects), "label"].to_numpy(np.int64)
        test = videos.loc[videos.subject == fold.test_subject, "label"].to_numpy(np.int64)
        truth.append(test)
        pred.append(np.full(len(test), np.bincount(train, minlength=n_classes).argmax()))
    return summarize(np.concatenate(truth), np.concatenate(pred), n_classes)


def _folds(config: LosoConfig, caches: Caches) -> list[Fold]:
    return chosen_folds(config, all_subjects(config, caches))


def _videos(config: LosoConfig, caches: Caches) -> pd.DataFrame:
    table = item_table(open_clips(config, caches, None, False))
    return table.drop_duplicates("video_id")[["subject", "video_id", "label"]]


def class_references(config: LosoConfig, caches: Caches) -> pd.DataFrame:
    """``chance`` and ``majority class`` rows (per video, on the videos the run's folds test)."""
    folds, videos = _folds(config, caches), _videos(config, caches)
    tested = videos[videos.subject.isin([f.test_subject for f in folds])]
    n = config.model.n_classes
    rows = [
        {"reference": CHANCE, "n": len(tested), **chance_scores(tested.label, n)},
        {"reference": MAJORITY, "n": len(tested), **majority_scores(videos, folds, n)},
    ]
    return pd.DataFrame(rows, columns=["reference", "n", *METRICS])


def mean_shape(config: LosoConfig, caches: Caches, subjects: Sequence[str]) -> torch.Tensor:
    """The mean of dlib's landmarks over every frame of the videos of ``subjects``, in the test
    crop's pixels, ``[68, 2]``."""
    data = open_clips(config, caches, tuple(subjects), False)
    parts = data.datasets if isinstance(data, ConcatDataset) else [data]
    marks = [
        cache.load_tensors(part.cache_dir / file)["landmarks"].double()
        for part in parts
        for file in part.table.file.unique()
    ]
    shift = torch.tensor(clips.TEST_OFFSET[::-1], dtype=torch.float64)  # (x, y)
    return torch.cat(marks).mean(dim=0) - shift


def error_references(config: LosoConfig, caches: Caches) -> pd.DataFrame:
    """Mean errors of the reference predictors over the test clips of the run's folds: rows
    ``zero flow``, ``TV-L1``, ``training mean shape``, ``dlib``; columns as in
    ``LosoResult.summary`` (``epe_tvl1``, ``epe_true``, ``nme_dlib``, ``nme_true``), NaN where a
    pair does not apply or the data has no ground truth."""
    errors: dict[tuple[str, str], list[torch.Tensor]] = {}

    def add(row: str, column: str, values: torch.Tensor) -> None:
        errors.setdefault((row, column), []).append(values)

    for fold in _folds(config, caches):
        shape = mean_shape(config, caches, fold.train_subjects).float()
        test = open_clips(config, caches, (fold.test_subject,), False)
        for batch in DataLoader(test, batch_size=config.eval_batch_size):
            flow, marks = batch["flow"], batch["landmarks"][:, 1:]
            guess = shape.expand_as(marks)
            add("zero flow", "epe_tvl1", end_point_error(torch.zeros_like(flow), flow))
            add("training mean shape", "nme_dlib", inter_ocular_nme(guess, marks))
            if "true_flow" in batch:
                true_flow, true_marks = batch["true_flow"], batch["true_landmarks"][:, 1:]
                add("zero flow", "epe_true", end_point_error(torch.zeros_like(true_flow), true_flow))
                add("TV-L1", "epe_true", end_point_error(flow, true_flow))
                add("training mean shape", "nme_true", inter_ocular_nme(guess, true_marks))
                add("dlib", "nme_true", inter_ocular_nme(marks, true_marks))
    table = pd.DataFrame(
        index=["zero flow", "TV-L1", "training mean shape", "dlib"], columns=list(ERROR_COLUMNS), dtype=float
    )
    for (row, column), values in errors.items():
        table.loc[row, column] = float(torch.cat(values).mean())
    return table.rename_axis("predictor").reset_index()
