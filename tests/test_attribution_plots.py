"""Plots draw what the tables hold."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from molkit.attribution import (  # noqa: E402
    REGIONS,
    class_region_table,
    plot_overlay,
    plot_pointing,
    plot_region_scores,
    pointing_game,
    pointing_summary,
    region_scores,
)


@pytest.fixture(scope="module")
def scores(face_landmarks):
    torch.manual_seed(0)
    landmarks = face_landmarks.expand(3, 2, 68, 2)
    table = region_scores(torch.rand(3, 1, 2, 128, 128), landmarks, labels=["a", "b", "a"])
    table.insert(0, "method", "random")
    return table


def test_overlay_shows_the_chosen_frames_on_one_scale(face_landmarks):
    clip = torch.randn(1, 3, 128, 128)
    heat = torch.zeros(1, 3, 128, 128)
    heat[0, 2, 90:100, 50:80] = 1.0
    fig = plot_overlay(clip, heat, face_landmarks.expand(3, 68, 2), frames=[0, 2])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["frame 1", "frame 3"]
    overlay = ax.images[-1].get_array()
    assert overlay.shape == (128, 256)
    assert overlay[:, :128].max() == 0 and overlay[90:100, 128 + 50 : 128 + 80].min() > 0


def test_heat_plot_annotates_the_class_table(scores):
    fig = plot_region_scores(scores, kind="heat")
    texts = [float(t.get_text()) for t in fig.axes[0].texts]
    np.testing.assert_allclose(texts, class_region_table(scores).to_numpy().ravel(), atol=0.006)


def test_bar_plot_has_one_bar_per_region(scores):
    fig = plot_region_scores(scores, hue="method")
    heights = [p.get_height() for p in fig.axes[0].patches if p.get_width() > 0]
    means = scores.groupby("region")["density"].mean()[list(REGIONS)]
    np.testing.assert_allclose(heights[: len(REGIONS)], means, rtol=1e-6)
    with pytest.raises(ValueError, match="kind"):
        plot_region_scores(scores, kind="pie")


def test_pointing_plot_pairs_each_measure_with_its_chance(scores):
    games = pointing_game(scores, {0: ["mouth"], 1: ["nose"], 2: ["chin"]})
    summary = pointing_summary(games)
    fig = plot_pointing(summary)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights[:2] == pytest.approx([summary["pointing_rate"].iloc[0], summary["chance_hit"].iloc[0]])
