"""Figures the notebooks show: optical flow as colour (with its colour wheel), landmarks on a
frame, confusion matrices, training curves, ablation spreads and paired differences. Pure
presentation; the numbers come from the rest of molkit."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import hsv_to_rgb
from matplotlib.figure import Figure

from molkit.data.cache import atomic_write_bytes


def save_figure(fig: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Write ``fig`` as a PNG (atomically), e.g. into ``work/figures/`` for the front page."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return atomic_write_bytes(path, buffer.getvalue())


def flow_to_rgb(flow: np.ndarray, max_magnitude: float | None = None) -> np.ndarray:
    """Colour-code a flow field ``[H, W, 2]`` (dx, dy): hue = direction (dx > 0 red, dy > 0
    yellow-green, as the angle turns), saturation = magnitude / ``max_magnitude`` (default: the
    field's largest), white = no motion. Returns float RGB ``[H, W, 3]`` in [0, 1]."""
    flow = np.asarray(flow, dtype=np.float64)
    if flow.ndim != 3 or flow.shape[-1] != 2:
        raise ValueError(f"flow must be [H, W, 2], got shape {list(flow.shape)}")
    dx, dy = flow[..., 0], flow[..., 1]
    magnitude = np.hypot(dx, dy)
    scale = max_magnitude if max_magnitude is not None else magnitude.max()
    hue = (np.arctan2(dy, dx) / (2 * np.pi)) % 1.0
    saturation = np.clip(magnitude / scale, 0.0, 1.0) if scale > 0 else np.zeros_like(magnitude)
    return hsv_to_rgb(np.stack([hue, saturation, np.ones_like(hue)], axis=-1))


def colour_wheel(size: int = 64) -> np.ndarray:
    """The legend of :func:`flow_to_rgb`: the colour of every direction and magnitude up to 1."""
    axis = np.linspace(-1.0, 1.0, size)
    dx, dy = np.meshgrid(axis, axis)
    wheel = flow_to_rgb(np.stack([dx, dy], axis=-1), max_magnitude=1.0)
    wheel[np.hypot(dx, dy) > 1.0] = 1.0
    return wheel


def plot_flows(
    flows: Mapping[str, np.ndarray], frame: np.ndarray | None = None, shared_scale: bool = True
) -> Figure:
    """Flow fields side by side (e.g. TV-L1 beside the true flow), on one colour scale so they
    compare, with the colour wheel and the frame they start from."""
    largest = max(float(np.hypot(f[..., 0], f[..., 1]).max()) for f in flows.values())
    panels = (1 if frame is not None else 0) + len(flows) + 1
    fig, axes = plt.subplots(1, panels, figsize=(3 * panels, 3.2))
    axes = list(np.atleast_1d(axes))
    if frame is not None:
        first = axes.pop(0)
        first.imshow(frame, cmap="gray")
        first.set_title("frame")
    for ax, (name, flow) in zip(axes, flows.items()):
        ax.imshow(flow_to_rgb(flow, largest if shared_scale else None))
        ax.set_title(f"{name}\nmax {np.hypot(flow[..., 0], flow[..., 1]).max():.2f} px")
    axes[-1].imshow(colour_wheel(), extent=(-largest, largest, largest, -largest))
    axes[-1].set_title("colour wheel (px)")
    for ax in fig.axes[:-1]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_landmarks(
    frame: np.ndarray, points: Mapping[str, np.ndarray], ax: plt.Axes | None = None, title: str = ""
) -> plt.Axes:
    """A grey frame with sets of 68 landmarks ``{name: [68, 2]}`` (x, y in its pixels)."""
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    ax.imshow(frame, cmap="gray")
    for (name, xy), marker in zip(points.items(), ["o", "x", "+", "^"]):
        ax.scatter(xy[:, 0], xy[:, 1], s=10, marker=marker, label=name)
    ax.set_title(title)
    ax.axis("off")
    ax.legend(loc="lower right", fontsize=7)
    return ax


def plot_clip_landmarks(
    frames: np.ndarray, points: Mapping[str, np.ndarray], indices: Sequence[int] = (0, 3, 7), title: str = ""
) -> Figure:
    """Chosen frames of a clip ``[T, H, W]`` with their landmark sets ``{name: [T, 68, 2]}``."""
    fig, axes = plt.subplots(1, len(indices), figsize=(3.2 * len(indices), 3.4), squeeze=False)
    for ax, k in zip(axes[0], indices):
        plot_landmarks(frames[k], {name: xy[k] for name, xy in points.items()}, ax=ax, title=f"frame {k}")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


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
    ``molkit.reports.ablations.paired_differences``) with its sign interval; zero dashed."""
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
