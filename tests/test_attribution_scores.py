"""Region scores and the pointing game against naive loops and analytic values."""

import numpy as np
import pandas as pd
import pytest
import torch

from molkit.attribution.pointing import pointing_game, pointing_summary
from molkit.attribution.regions import REGIONS, region_masks
from molkit.attribution.scores import class_region_table, region_scores

FRAMES = 3


@pytest.fixture(scope="module")
def landmarks(face_landmarks):
    """Two clips of three frames, the second face shifted, [2, 3, 68, 2]."""
    shift = torch.tensor([[[0.0, 0.0]], [[4.0, -3.0]], [[1.0, 2.0]]])
    return torch.stack([face_landmarks + shift, face_landmarks - shift])


def test_scores_match_a_naive_loop(landmarks):
    torch.manual_seed(1)
    attributions = torch.randn(2, 1, FRAMES, 128, 128)
    scores = region_scores(attributions, landmarks, samples=["a", "b"], labels=["x", "y"])
    assert list(scores.columns) == ["sample", "label", "region", "mass", "share", "area_share", "density"]
    for b, sample in enumerate("ab"):
        positive = attributions[b, 0].clamp(min=0).numpy()
        total = positive.sum()
        for t_name in REGIONS:
            mask = np.stack([region_masks(landmarks[b, t])[t_name].numpy() for t in range(FRAMES)])
            mass = sum(positive[t][mask[t]].sum() for t in range(FRAMES))
            row = scores[(scores["sample"] == sample) & (scores["region"] == t_name)].iloc[0]
            assert row["mass"] == pytest.approx(mass, rel=1e-5)
            assert row["share"] == pytest.approx(mass / total, rel=1e-5)
            assert row["area_share"] == pytest.approx(mask.mean(), rel=1e-9)
            assert row["density"] == pytest.approx(mass / total / mask.mean(), rel=1e-5)
    assert (scores.groupby("sample")["share"].sum() < 1).all()


def test_uniform_attribution_has_density_one(landmarks):
    scores = region_scores(torch.ones(2, FRAMES, 128, 128), landmarks)
    np.testing.assert_allclose(scores["density"], 1.0, rtol=1e-9)
    np.testing.assert_allclose(scores["share"], scores["area_share"], rtol=1e-9)


def test_class_table_averages_per_class(landmarks):
    torch.manual_seed(2)
    scores = region_scores(torch.rand(2, 1, FRAMES, 128, 128), landmarks, labels=["x", "x"])
    table = class_region_table(scores)
    assert list(table.columns) == list(REGIONS) and list(table.index) == ["x"]
    mouth = scores[scores["region"] == "mouth"]["density"].mean()
    assert table.loc["x", "mouth"] == pytest.approx(mouth)


def test_pointing_game_on_attributions_drawn_inside_a_region(landmarks):
    masks = [region_masks(landmarks[b]) for b in range(2)]
    attributions = torch.stack(
        [
            masks[0]["left_eye"].float() + 0.5 * masks[0]["nose"].float(),  # sample 0: eye wins
            masks[1]["nose"].float() + 0.2 * masks[1]["left_eye"].float(),  # sample 1: nose wins
        ]
    )
    scores = region_scores(attributions, landmarks)
    scores.insert(0, "method", "drawn")
    truth = {0: ["left_eye", "right_eye"], 1: ["left_eye"]}
    games = pointing_game(scores, truth)
    assert list(games["top_region"]) == ["left_eye", "nose"]
    assert list(games["hit"]) == [True, False]
    assert list(games["chance_hit"]) == [2 / len(REGIONS), 1 / len(REGIONS)]
    for b, names in truth.items():
        union = sum(masks[b][n].float() for n in names)
        expected = (attributions[b] * union).sum() / attributions[b].sum()
        assert games["mask_share"][b] == pytest.approx(expected.item(), rel=1e-6)
        assert games["chance_share"][b] == pytest.approx(union.mean().item(), rel=1e-9)
    summary = pointing_summary(games)
    assert summary.loc["drawn", "pointing_rate"] == 0.5 and summary.loc["drawn", "n"] == 2


def test_pointing_game_refuses_unknown_regions(landmarks):
    scores = region_scores(torch.rand(2, FRAMES, 128, 128), landmarks)
    with pytest.raises(ValueError, match="unknown regions"):
        pointing_game(scores, {0: ["forehead"], 1: ["nose"]})
    assert isinstance(pointing_game(scores, {0: ["mouth"], 1: ["nose"]}), pd.DataFrame)


def test_pointing_intervals_against_scipy():
    from scipy import stats

    from molkit.attribution.pointing import pointing_intervals

    games = pd.DataFrame(
        {
            "method": ["ig"] * 5 + ["random"] * 4,
            "hit": [True, True, False, True, True, False, True, False, False],
            "chance_hit": [0.2] * 5 + [0.25] * 4,
            "mask_share": [0.3, 0.5, 0.1, 0.4, 0.6, 0.1, 0.2, 0.15, 0.12],
            "chance_share": [0.12] * 9,
        }
    )
    table = pointing_intervals(games)
    ig = table.loc["ig"]
    rate = stats.binomtest(4, 5).proportion_ci(0.95, method="wilson")
    share = stats.ttest_1samp([0.3, 0.5, 0.1, 0.4, 0.6], 0.0).confidence_interval(0.95)
    assert ig.n == 5 and ig.pointing_rate == pytest.approx(0.8)
    assert (ig.rate_low, ig.rate_high) == pytest.approx((rate.low, rate.high))
    assert ig.mask_share == pytest.approx(0.38)
    assert (ig.share_low, ig.share_high) == pytest.approx((share.low, share.high))
    assert table.loc["random", "chance_hit"] == pytest.approx(0.25)
