"""Flow colour coding against colorsys, and the figures' contents."""

from __future__ import annotations

import colorsys
import math

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest

from molkit.reports.figures import colour_wheel, flow_to_rgb, plot_ablations, plot_confusion, plot_flows


def test_flow_colours_follow_direction_and_magnitude() -> None:
    rng = np.random.default_rng(1)
    flow = rng.normal(size=(5, 7, 2))
    scale = 2.0
    rgb = flow_to_rgb(flow, max_magnitude=scale)
    for (i, j), _ in np.ndenumerate(flow[..., 0]):
        dx, dy = flow[i, j]
        hue = (math.atan2(dy, dx) / (2 * math.pi)) % 1.0
        expected = colorsys.hsv_to_rgb(hue, min(math.hypot(dx, dy) / scale, 1.0), 1.0)
        assert rgb[i, j] == pytest.approx(expected, abs=1e-9)


def test_flow_colour_landmarks() -> None:
    flow = np.array([[[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]])
    rgb = flow_to_rgb(flow)
    assert rgb[0, 0] == pytest.approx([1, 0, 0])  # rightwards: red
    assert rgb[0, 1] == pytest.approx([0, 1, 1])  # leftwards: cyan
    assert rgb[0, 2] == pytest.approx([1, 1, 1])  # still: white
    assert flow_to_rgb(np.zeros((2, 2, 2))) == pytest.approx(np.ones((2, 2, 3)))
    with pytest.raises(ValueError, match="H, W, 2"):
        flow_to_rgb(np.zeros((2, 2)))


def test_colour_wheel_is_white_outside_and_saturated_at_the_rim() -> None:
    wheel = colour_wheel(65)
    assert wheel[0, 0] == pytest.approx([1, 1, 1])
    assert wheel[32, 32] == pytest.approx([1, 1, 1])  # centre: no motion
    assert wheel[32, 64] == pytest.approx([1, 0, 0])  # right edge: dx = 1


def test_figures_hold_their_data() -> None:
    cm = np.array([[3, 1], [0, 5]])
    fig = plot_confusion(cm, ["neg", "pos"])
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["0", "1", "3", "5"]
    flows = plot_flows({"tv-l1": np.ones((8, 8, 2)), "true": np.zeros((8, 8, 2))}, frame=np.zeros((8, 8)))
    assert [ax.get_title().split("\n")[0] for ax in flows.axes] == [
        "frame",
        "tv-l1",
        "true",
        "colour wheel (px)",
    ]
    table = pd.DataFrame({"variant": ["full", "full", "no flow", "no flow"], "uf1": [0.5, 0.7, 0.2, 0.4]})
    fig = plot_ablations(table)
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert heights == pytest.approx([0.6, 0.3])


def test_difference_plot_draws_every_variant_with_its_interval():
    from molkit.reports.figures import plot_differences

    differences = pd.DataFrame(
        {
            "variant": ["no flow", "no landmarks"],
            "metric": "uf1",
            "pairs": [8, 8],
            "median": [-0.2, 0.01],
            "low": [-0.3, -0.05],
            "high": [-0.1, 0.06],
            "coverage": [0.99, 0.99],
            "exceeds": [True, False],
        }
    )
    fig = plot_differences(differences)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "no flow (8 pairs, 99%)",
        "no landmarks (8 pairs, 99%)",
    ]
    bars = [c for c in ax.collections if c.get_segments()]
    spans = sorted((seg[0][0], seg[1][0], seg[0][1]) for c in bars for seg in c.get_segments())
    assert np.allclose(spans, [(-0.3, -0.1, 0), (-0.05, 0.06, 1)])
