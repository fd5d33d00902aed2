"""Pictures of attributions: overlays on the frames, region scores, pointing-game results."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from captum.attr import visualization
from matplotlib.figure import Figure

from molkit.attribution.regions import REGIONS, region_index
from molkit.attribution.scores import class_region_table


def _frames(tensor: torch.Tensor) -> np.ndarray:
    """``[1, T, H, W]`` or ``[T, H, W]`` -> numpy ``[T, H, W]``."""
    array = tensor.detach().float().cpu().numpy()
    return array[0] if array.ndim == 4 else array


def plot_overlay(
    clip: torch.Tensor,
    attribution: torch.Tensor,
    landmarks: torch.Tensor | None = None,
    frames: Sequence[int] | None = None,
    title: str | None = None,
    sign: str = "positive",
) -> Figure:
    """The frames of one clip side by side with its attribution blended over them.

    ``clip`` and ``attribution`` are ``[1, T, H, W]`` (or ``[T, H, W]``). All frames share one
    colour scale (Captum's ``blended_heat_map`` on the montage), so intensities compare across
    frames. With ``landmarks`` (``[T, 68, 2]``) the region outlines are drawn too.
    """
    images, heat = _frames(clip), _frames(attribution)
    frames = list(range(len(images))) if frames is None else list(frames)
    size = images.shape[-1]
    grey = (images - images.min()) / (np.ptp(images) or 1.0)
    montage = np.concatenate(list(grey[frames]), axis=1)[..., None]
    heat_montage = np.concatenate(list(heat[frames]), axis=1)[..., None]
    fig, ax = plt.subplots(figsize=(2.0 * len(frames), 2.6), layout="constrained")
    visualization.visualize_image_attr(
        heat_montage,
        montage,
        method="blended_heat_map",
        sign=sign,
        plt_fig_axis=(fig, ax),
        use_pyplot=False,
        alpha_overlay=0.6,
        title=title,
    )
    if landmarks is not None:
        index = region_index(torch.as_tensor(landmarks)[frames], size).numpy()
        ax.contour(
            np.concatenate(list(index), axis=1),
            levels=np.arange(len(REGIONS)) + 0.5,
            colors="white",
            linewidths=0.4,
        )
    ax.set_xticks([size * (i + 0.5) for i in range(len(frames))], [f"frame {f + 1}" for f in frames])
    ax.tick_params(length=0, labelsize=8)
    return fig


def plot_region_scores(
    scores: pd.DataFrame, value: str = "density", kind: str = "bar", hue: str | None = None, by: str = "label"
) -> Figure:
    """Per-region scores: ``kind="bar"`` (mean and 95% interval over samples, one colour per
    ``hue`` value, e.g. ``"method"``) or ``kind="heat"`` (mean per ``by`` value and region).

    For ``density`` the chance level (a uniform attribution) is 1, drawn as a line.
    """
    if kind == "heat":
        table = class_region_table(scores, value, by)
        fig, ax = plt.subplots(figsize=(0.8 * table.shape[1] + 2, 0.5 * len(table) + 2), layout="constrained")
        density = value == "density"
        sns.heatmap(
            table,
            annot=True,
            fmt=".2f",
            ax=ax,
            cmap="vlag" if density else "rocket_r",
            center=1.0 if density else None,
        )
        ax.set(xlabel="", ylabel=by, title=f"mean {value} per {by} and region")
        return fig
    if kind != "bar":
        raise ValueError(f"kind must be 'bar' or 'heat', got {kind!r}")
    fig, ax = plt.subplots(figsize=(9, 3.5), layout="constrained")
    sns.barplot(scores, x="region", y=value, hue=hue, order=list(REGIONS), ax=ax, errorbar=("ci", 95))
    if value == "density":
        ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="uniform")
    ax.tick_params(axis="x", rotation=45)
    ax.set(xlabel="")
    return fig


def plot_pointing(summary: pd.DataFrame) -> Figure:
    """Pointing rate and mask share per method (rows of ``pointing_summary`` or
    ``pointing_intervals``), each beside its chance level, with the intervals when present."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
    for ax, (measure, chance, low, high) in zip(
        axes,
        [
            ("pointing_rate", "chance_hit", "rate_low", "rate_high"),
            ("mask_share", "chance_share", "share_low", "share_high"),
        ],
    ):
        summary[[measure, chance]].plot.bar(ax=ax, rot=30, color=["tab:blue", "lightgrey"])
        if low in summary:
            positions = np.arange(len(summary)) - 0.125  # the first bar of each pair
            ax.errorbar(
                positions,
                summary[measure],
                fmt="none",
                ecolor="black",
                capsize=3,
                yerr=[summary[measure] - summary[low], summary[high] - summary[measure]],
            )
        ax.set(title=measure.replace("_", " "), xlabel="", ylim=(0, 1))
    return fig
