"""Drawing what molkit computes on frames: optical flow as colour (with its colour wheel),
landmarks on a frame or a clip, and saving a figure atomically. A low module (it needs only
matplotlib and the atomic writer), so that the prediction page (:mod:`molkit.train.predict_report`)
and the notebooks' figures (:mod:`molkit.reports.figures`) draw the same way."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
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
    flows: Mapping[str, np.ndarray], frame: np.ndarray | None = None, *, shared_scale: bool = True
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
