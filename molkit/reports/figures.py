"""Figures the notebooks show: confusion matrices, training curves, ablation spreads, paired
differences and reliability diagrams; and, from :mod:`molkit.plots` (which lower layers use too),
optical flow as colour, landmarks on frames and saving a figure. Pure presentation; the numbers
come from the rest of molkit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from molkit.plots import colour_wheel as colour_wheel
from molkit.plots import flow_to_rgb as flow_to_rgb
from molkit.plots import plot_clip_landmarks as plot_clip_landmarks
from molkit.plots import plot_flows as plot_flows
from molkit.plots import plot_landmarks as plot_landmarks
from molkit.plots import save_figure as save_figure


def plot_confusion(cm: np.ndarray, class_names: Sequence[str], title: str = "") -> Figure:
    """A confusion matrix (rows: truth, columns: prediction) with counts and row-normalised shade."""
    cm = np.asarray(cm)
    rows = cm.sum(axis=1, keepdims=True)
    shade = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=float), where=rows > 0)
    fig, ax = plt.subplots(figsize=(1.1 * len(class_names) + 2, 1.0 * len(class_names) + 1.5))
    ax.imshow(shade, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(cm):
        ax.text(j, i, str(count), ha="center", va="center", color="white" if shade[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_curves(
    log: pd.DataFrame,
    x: str = "step",
    columns: Sequence[str] | None = None,
    hue: str | None = None,
    title: str = "",
) -> Figure:
    """Training curves: one panel per column of ``log`` (default: every loss column), one line
    per value of ``hue`` (e.g. the fold)."""
    columns = list(columns or [c for c in log.columns if "loss" in c])
    fig, axes = plt.subplots(1, len(columns), figsize=(4 * len(columns), 3), squeeze=False)
    for ax, column in zip(axes[0], columns):
        groups = log.groupby(hue) if hue else [("", log)]
        for name, part in groups:
            ax.plot(part[x], part[column], label=str(name), lw=1)
        ax.set_title(column)
        ax.set_xlabel(x)
    if hue and log[hue].nunique() <= 12:
        axes[0][-1].legend(title=hue, fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_ablations(table: pd.DataFrame, metric: str = "uf1", title: str = "") -> Figure:
    """Mean ``metric`` per variant (bars, in the table's order) with every seed as a dot."""
    order = list(dict.fromkeys(table["variant"]))
    means = table.groupby("variant", sort=False)[metric].mean().reindex(order)
    fig, ax = plt.subplots(figsize=(1.0 * len(order) + 2, 3.5))
    ax.bar(range(len(order)), means.to_numpy(), color="#9ecae1")
    positions = table["variant"].map({v: i for i, v in enumerate(order)})
    ax.scatter(positions, table[metric], color="black", s=12, zorder=3, label="one seed")
    ax.set_xticks(range(len(order)), order, rotation=30, ha="right")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_differences(differences: pd.DataFrame, title: str = "") -> Figure:
    """Each variant's median difference to the reference (rows of
    ``molkit.run.ablations.paired_differences``) with its sign interval; zero dashed."""
    fig, ax = plt.subplots(figsize=(6, 0.6 * len(differences) + 1.6))
    y = np.arange(len(differences))
    for k, row in enumerate(differences.itertuples()):  # red: beyond the spread of its pairs
        ax.errorbar(
            row.median,
            k,
            xerr=[[row.median - row.low], [row.high - row.median]],
            fmt="o",
            color="#c92a2a" if row.exceeds else "#495057",
            capsize=4,
        )
    ax.axvline(0, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(
        y,
        [
            f"{v} ({n} pairs, {c:.0%})"
            for v, n, c in zip(differences["variant"], differences["pairs"], differences["coverage"])
        ],
    )
    metric = differences["metric"].iloc[0] if len(differences) else ""
    ax.set_xlabel(f"difference in per-video {metric} to full (median, sign interval)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_reliability(curves: Mapping[str, pd.DataFrame], title: str = "") -> Figure:
    """Reliability diagram: accuracy against mean confidence per confidence bin, one line per
    table of :func:`molkit.train.calibration.reliability` (e.g. raw and calibrated); the diagonal
    is perfect calibration, marker size the clips in a bin."""
    fig, ax = plt.subplots(figsize=(4.2, 4))
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="calibrated perfectly")
    for name, table in curves.items():
        used = table.dropna()
        ax.plot(used.confidence, used.accuracy, marker="o", label=name)
        ax.scatter(
            used.confidence, used.accuracy, s=8 + 60 * used.clips / max(used.clips.max(), 1), alpha=0.4
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig
