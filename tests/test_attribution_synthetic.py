"""Attribution on the synthetic benchmark: the regions agree with its ground truth, and the
held-out pointing experiment runs end to end."""

import pytest
import torch

from molkit.attribution import pointing_game, region_scores
from molkit.attribution.experiment import RANDOM, pointing_experiment, train_without
from molkit.attribution.regions import REGIONS
from molkit.data import ClipDataset
from molkit.run.configs import attribution_config_from_profile, loso_config_from_profile
from molkit.synthetic import sample_truth


def local_motion(flow: torch.Tensor) -> torch.Tensor:
    """|flow - its best affine fit| per pixel, ``[N, 2, H, W] -> [N, H, W]``: the skin's own
    motion with the head's global motion removed."""
    n, _, h, w = flow.shape
    y, x = torch.meshgrid(
        torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij"
    )
    basis = torch.stack([x.ravel(), y.ravel(), torch.ones(h * w, dtype=torch.float64)], 1)
    f = flow.double().reshape(n, 2, -1).transpose(1, 2)
    coef = torch.linalg.lstsq(basis.expand(n, -1, -1), f).solution
    return (f - basis @ coef).norm(dim=2).reshape(n, h, w).float()


def test_true_local_motion_lies_in_the_true_regions(synthetic_cache):
    """The ground-truth motion (an oracle attribution) puts more than the chance share of itself
    inside the class's regions (drawn from the true landmarks) in every clip, typically several
    times it: the region masks line up with the generator's action units."""
    data = ClipDataset(synthetic_cache[0], train=False, with_truth=True)
    items = [data[i] for i in range(len(data)) if data.table.clip_index[i] == 0]
    flow = torch.stack([item["true_flow"] for item in items])  # [B, T-1, 2, H, W]
    motion = local_motion(flow.flatten(0, 1)).reshape(*flow.shape[:2], *flow.shape[-2:])
    oracle = torch.zeros(len(items), flow.shape[1] + 1, *flow.shape[-2:])
    oracle[:, :-1] += motion
    oracle[:, 1:] += motion
    names = [item["video_id"] for item in items]
    scores = region_scores(oracle, torch.stack([item["true_landmarks"] for item in items]), samples=names)
    games = pointing_game(scores, {n: item["regions"].split(";") for n, item in zip(names, items)})
    assert len(games) == len(items) >= 10
    ratio = games["mask_share"] / games["chance_share"]
    assert (ratio > 1.15).all() and ratio.median() > 2.5, ratio  # blinks take a share everywhere
    assert games["hit"].mean() > 2 * games["chance_hit"].mean()


@pytest.fixture(scope="module")
def held_out_model(synthetic_cache, tmp_path_factory):
    return train_without(
        synthetic_cache[0],
        tmp_path_factory.mktemp("attribution_model"),
        loso_config_from_profile("smoke"),
        held_out=2,
        device="cpu",
        progress=False,
    )


def test_pointing_experiment_on_held_out_subjects(held_out_model, synthetic_cache, synthetic_root, tmp_path):
    model, held = held_out_model
    assert held == ["sub02", "sub03"] and not model.training
    methods = ("region_occlusion", "gradcam")
    result = pointing_experiment(
        model,
        synthetic_cache[0],
        held,
        methods=methods,
        samples=3,
        config=attribution_config_from_profile("smoke"),
    )
    assert list(result.summary.index) == [*methods, RANDOM]
    assert (result.summary["n"] == 3).all() and (result.summary["seconds"] >= 0).all()
    assert result.attributions["gradcam"].shape == result.clips.shape == (3, 1, 8, 128, 128)
    assert len(result.scores) == 3 * len(REGIONS) * (len(methods) + 1)
    for game in result.games.itertuples():
        subject, video = game.sample.split("/")[1:3]
        assert subject in held
        truth = sample_truth(synthetic_root, f"{subject}/{video}")
        assert game.label == truth["emotion"]
        assert game.chance_hit == pytest.approx(len(truth["regions"]) / len(REGIONS))
    saved = result.save(tmp_path)
    assert {p.name for p in saved.iterdir()} == {
        "pointing_scores.csv",
        "pointing_games.csv",
        "pointing_summary.csv",
    }
