"""Calibrated probabilities: one temperature per LOSO fold, fitted on the inner-validation
subject's clips (the ``inner-val`` protocol holds one out), saved in the fold's checkpoint and
applied by ``molkit predict``; the expected calibration error (ECE, 10 equal-width confidence
bins) and the reliability diagram's data, before and after, on the held-out subjects.

Temperature scaling divides the logits by one positive number, so it never changes a clip's
arg-max; it only makes the confidence mean what it says on data like the validation subject's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from torch.utils.data import Dataset

from molkit.data.cache import load_plain, save_tensors
from molkit.train.checkpoint import load_checkpoint
from molkit.train.evaluation import labels_of, predict_dataset

BINS = 10
TEMPERATURE = "temperature"  # the checkpoint record's keys
TEMPERATURE_FIT = "temperature_fit"
LOG_T_BOUNDS = (-4.0, 4.0)  # temperatures from 0.018 to 55


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Class probabilities of ``logits`` ``[n, C]`` divided by ``temperature``."""
    return np.exp(log_softmax(np.asarray(logits, np.float64) / temperature, axis=-1))


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean NLL of the true classes."""
    logp = log_softmax(np.asarray(logits, np.float64) / temperature, axis=-1)
    return float(-logp[np.arange(len(labels)), np.asarray(labels)].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the NLL of ``labels`` (bounded search over log T)."""
    if not len(labels):
        raise ValueError("no clips to fit a temperature on")
    found = minimize_scalar(
        lambda log_t: negative_log_likelihood(logits, labels, float(np.exp(log_t))),
        bounds=LOG_T_BOUNDS,
        method="bounded",
        options={"xatol": 1e-5},
    )
    return float(np.exp(found.x))


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS) -> pd.DataFrame:
    """One row per confidence bin ((low, high], the first from 0): its clips, their mean
    confidence (top probability) and accuracy (NaN for an empty bin)."""
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(1)
    correct = probabilities.argmax(1) == np.asarray(labels)
    which = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        rows.append(
            {
                "low": b / bins,
                "high": (b + 1) / bins,
                "clips": int(inside.sum()),
                "confidence": float(confidence[inside].mean()) if inside.any() else np.nan,
                "accuracy": float(correct[inside].mean()) if inside.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    """ECE: the clip-weighted mean of |accuracy - confidence| over the confidence bins."""
    table = reliability(probabilities, labels, bins).dropna()
    return float((table.clips * (table.accuracy - table.confidence).abs()).sum() / table.clips.sum())


def calibrate_checkpoint(
    path: str | Path, dataset: Dataset, batch_size: int = 8, device: str = "cpu"
) -> float:
    """Fit the temperature of the checkpoint at ``path`` on ``dataset``'s clips (the fold's
    inner-validation subject) and write it into the checkpoint (atomically); a checkpoint that
    already holds one keeps it. Returns the temperature."""
    record = load_plain(path)
    if TEMPERATURE in record:
        return float(record[TEMPERATURE])
    model, _ = load_checkpoint(path, device)
    table = predict_dataset(model, dataset, batch_size, device)
    logits = table.filter(like="logit_").to_numpy()
    labels = labels_of(dataset)
    temperature = fit_temperature(logits, labels)
    record[TEMPERATURE] = temperature
    record[TEMPERATURE_FIT] = {
        "clips": len(labels),
        "nll_before": negative_log_likelihood(logits, labels),
        "nll_after": negative_log_likelihood(logits, labels, temperature),
        "ece_before": expected_calibration_error(softmax(logits), labels),
        "ece_after": expected_calibration_error(softmax(logits, temperature), labels),
    }
    save_tensors(path, record)
    return temperature


def recorded_temperature(record: dict) -> float | None:
    """The temperature a checkpoint's record holds (None: not calibrated)."""
    value = record.get(TEMPERATURE)
    return None if value is None else float(value)


def calibration_line(record: dict) -> str:
    """What a checkpoint's probabilities are: calibrated (the temperature, and the ECE before and
    after on the clips it was fitted on, where the record holds them) or not."""
    temperature = recorded_temperature(record)
    if temperature is None:
        return "probabilities not calibrated (the checkpoint holds no temperature: train with the inner-val protocol)"
    fit = record.get(TEMPERATURE_FIT) or {}
    ece = (
        f": ECE {fit['ece_before']:.3f} raw, {fit['ece_after']:.3f} calibrated on its {fit['clips']} clips"
        if "ece_after" in fit
        else ""
    )
    return (
        f"probabilities calibrated: temperature {temperature:.3g}, fitted on a held-out training subject{ece}"
    )


def loso_calibration(loso_dir: str | Path, bins: int = BINS) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """ECE before and after temperature scaling on the held-out subjects' clips of the folds of a
    LOSO run whose checkpoints hold a temperature: a table (one row per fold and one pooled) and
    the pooled reliability data ``{"raw": ..., "calibrated": ...}``. Empty without one."""
    rows, raw, calibrated, truth = [], [], [], []
    for folder in sorted(Path(loso_dir).glob("fold_*")):
        checkpoint, predictions = folder / "checkpoint.pt", folder / "predictions.csv"
        if not (checkpoint.is_file() and predictions.is_file()):
            continue
        temperature = recorded_temperature(load_plain(checkpoint))
        if temperature is None:
            continue
        clips = pd.read_csv(predictions)
        logits, labels = clips.filter(like="logit_").to_numpy(), clips.label.to_numpy()
        before, after = softmax(logits), softmax(logits, temperature)
        raw.append(before), calibrated.append(after), truth.append(labels)
        rows.append(_ece_row(str(clips.fold.iloc[0]), temperature, before, after, labels, bins))
    if not rows:
        return pd.DataFrame(), {}
    pooled = [np.concatenate(x) for x in (raw, calibrated, truth)]
    rows.append(_ece_row("pooled", np.nan, *pooled, bins))
    curves = {
        "raw": reliability(pooled[0], pooled[2], bins),
        "calibrated": reliability(pooled[1], pooled[2], bins),
    }
    return pd.DataFrame(rows), curves


def _ece_row(fold: str, temperature: float, before, after, labels, bins: int) -> dict:
    return {
        "fold": fold,
        "temperature": temperature,
        "clips": len(labels),
        "accuracy": float((before.argmax(1) == labels).mean()),
        "ece_raw": expected_calibration_error(before, labels, bins),
        "ece_calibrated": expected_calibration_error(after, labels, bins),
        "confidence_raw": float(before.max(1).mean()),
        "confidence_calibrated": float(after.max(1).mean()),
    }
