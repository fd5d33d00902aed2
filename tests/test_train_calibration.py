"""Calibrated probabilities: the temperature minimises the NLL (against a brute-force search with
PyTorch's cross-entropy), ECE against a naive loop, arg-max unchanged; an ``inner-val`` LOSO fold
fits its temperature on the validation subject and saves it in its checkpoint; the ECE before and
after is measured there and on the held-out subject."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from molkit.cli import main
from molkit.data import ClipDataset
from molkit.data.cache import load_plain
from molkit.train.calibration import (
    calibration_line,
    expected_calibration_error,
    fit_temperature,
    loso_calibration,
    reliability,
    softmax,
)
from molkit.train.checkpoint import load_checkpoint


def naive_ece(probabilities, labels, bins=10):
    """The textbook definition, one clip at a time."""
    total, n = 0.0, len(labels)
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [
            i
            for i in range(n)
            if (low < probabilities[i].max() <= high) or (b == 0 and probabilities[i].max() == 0)
        ]
        if members:
            accuracy = np.mean([probabilities[i].argmax() == labels[i] for i in members])
            confidence = np.mean([probabilities[i].max() for i in members])
            total += len(members) / n * abs(accuracy - confidence)
    return total


def overconfident(n=3000, true_temperature=3.0, seed=0):
    """Logits whose labels are drawn from softmax(logits / 3): the right temperature is 3."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 4, size=(n, 5))
    cumulative = softmax(logits, true_temperature).cumsum(1)
    labels = np.minimum((rng.random((n, 1)) > cumulative).sum(1), 4)
    return logits, labels


def test_ece_matches_a_naive_loop():
    logits, labels = overconfident(500)
    p = softmax(logits)
    assert expected_calibration_error(p, labels) == pytest.approx(naive_ece(p, labels), abs=1e-12)
    table = reliability(p, labels)
    assert table.clips.sum() == 500 and len(table) == 10


def test_the_temperature_minimises_the_nll_and_keeps_the_arg_max():
    logits, labels = overconfident()
    temperature = fit_temperature(logits, labels)
    grid = np.exp(np.linspace(-2, 3, 1001))
    nll = [
        torch.nn.functional.cross_entropy(torch.tensor(logits / t), torch.tensor(labels)).item() for t in grid
    ]
    assert temperature == pytest.approx(grid[int(np.argmin(nll))], rel=1e-2)
    assert temperature == pytest.approx(3.0, rel=0.1)  # the analytic truth, up to sampling
    before, after = softmax(logits), softmax(logits, temperature)
    np.testing.assert_array_equal(before.argmax(1), after.argmax(1))
    assert expected_calibration_error(after, labels) < expected_calibration_error(before, labels) / 3


@pytest.fixture(scope="module")
def inner_val(synthetic_cache, tmp_path_factory, tiny_loso_args):
    cache, _ = synthetic_cache
    out = tmp_path_factory.mktemp("inner_val")
    # one step, as 20 (measured: both leave a model worse than uniform on the validation subject,
    # its temperature at the fit's upper bound)
    argv = ["loso", "--cache", str(cache), "--out", str(out), *tiny_loso_args, "--protocol", "inner-val"]
    assert main(argv) == 0
    return cache, out / "fold_sub01"


def test_an_inner_val_fold_fits_its_temperature_on_the_validation_subject(inner_val):
    cache, fold = inner_val
    record = load_plain(fold / "checkpoint.pt")
    assert record["select_subjects"] == ["sub02"] and record["test_subject"] == "sub01"
    model, _ = load_checkpoint(fold / "checkpoint.pt")
    data = ClipDataset(cache, subjects=["sub02"], train=False)
    with torch.no_grad():
        logits = torch.cat([model(torch.stack([data[i]["clip"] for i in range(len(data))])).logits])
    labels = torch.tensor(data.table.label.to_numpy())
    grid = np.exp(np.linspace(-4, 4, 1601))  # the fit's bounds: a model worse than uniform on the
    nll = [torch.nn.functional.cross_entropy(logits / t, labels).item() for t in grid]  # subject: the top
    assert record["temperature"] == pytest.approx(grid[int(np.argmin(nll))], rel=1e-2)
    assert record["temperature_fit"]["nll_after"] <= record["temperature_fit"]["nll_before"]
    # measured, not asserted: this one-step model is near uniform, and the NLL-optimal temperature
    # (here at the bound: uniform answers) need not lower the ECE (reported with the work)
    before, after = softmax(logits.numpy()), softmax(logits.numpy(), record["temperature"])
    ece = naive_ece(before, labels.numpy()), naive_ece(after, labels.numpy())
    print(f"validation sub02: ECE {ece[0]:.3f} -> {ece[1]:.3f}")
    fit = record["temperature_fit"]  # the record keeps both, and predict says them
    assert (fit["ece_before"], fit["ece_after"]) == pytest.approx(ece, abs=1e-6)
    assert calibration_line(record).endswith(
        f"ECE {ece[0]:.3f} raw, {ece[1]:.3f} calibrated on its {len(labels)} clips"
    )


def test_the_held_out_subjects_ece_before_and_after(inner_val):
    """Measured, not asserted better: a one-step model on three subjects is near uniform, and a
    temperature fitted on one subject need not help another (reported with the work)."""
    _, fold = inner_val
    table, curves = loso_calibration(fold.parent)
    row = table.set_index("fold").loc["sub01"]
    clips = pd.read_csv(fold / "predictions.csv")
    logits, labels = clips.filter(like="logit_").to_numpy(), clips.label.to_numpy()
    t = load_plain(fold / "checkpoint.pt")["temperature"]
    assert row.ece_raw == pytest.approx(naive_ece(softmax(logits), labels))
    assert row.ece_calibrated == pytest.approx(naive_ece(softmax(logits, t), labels))
    np.testing.assert_array_equal(softmax(logits).argmax(1), softmax(logits, t).argmax(1))
    print(f"held-out sub01: temperature {t:.3f}, ECE {row.ece_raw:.3f} -> {row.ece_calibrated:.3f}")
    assert curves["raw"].clips.sum() == curves["calibrated"].clips.sum() == len(labels)


def test_the_reliability_diagram_draws_every_non_empty_bin():
    from molkit.reports.figures import plot_reliability

    logits, labels = overconfident(300)
    curves = {
        "raw": reliability(softmax(logits), labels),
        "calibrated": reliability(softmax(logits, 3), labels),
    }
    fig = plot_reliability(curves)
    lines = fig.axes[0].get_lines()[1:]  # after the diagonal
    for line, table in zip(lines, curves.values()):
        used = table.dropna()
        np.testing.assert_allclose(line.get_xydata(), used[["confidence", "accuracy"]].to_numpy())
