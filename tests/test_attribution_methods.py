"""Every attribution method finds the one region a toy model looks at."""

from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from molkit.attribution.methods import METHODS, AttributionConfig, attribute
from molkit.attribution.regions import region_masks
from molkit.attribution.scores import region_scores

FRAMES = 4


class OneRegionModel(nn.Module):
    """MOL-shaped toy: frames -> 16x16 maps -> F5C-like ``block_a`` (frames 1..T-1) and
    ``block_b`` (frames 2..T) over all pairs at once -> logits. Only the pixels of one region
    (a fixed mask per frame) reach the output: logit 0 rises with them, logit 1 falls."""

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.block_a = nn.Conv2d(1, 3, 1)
        self.block_b = nn.Conv2d(1, 3, 1)
        for block in (self.block_a, self.block_b):
            nn.init.uniform_(block.weight, 0.5, 1.5)
            nn.init.zeros_(block.bias)

    def forward(self, clips: torch.Tensor) -> SimpleNamespace:
        batch, _, frames, size, _ = clips.shape
        seen = (clips * self.mask)[:, 0].reshape(batch * frames, 1, size, size)
        maps = F.avg_pool2d(seen, size // 16).reshape(batch, frames, 1, 16, 16)
        a = self.block_a(maps[:, :-1].reshape(-1, 1, 16, 16))
        b = self.block_b(maps[:, 1:].reshape(-1, 1, 16, 16))
        score = F.softplus(a).reshape(batch, -1).sum(1) + F.softplus(b).reshape(batch, -1).sum(1)
        return SimpleNamespace(logits=torch.stack([score, -score], 1), flow=None, landmarks=None)


@pytest.fixture(scope="module")
def moving_face(face_landmarks):
    """Landmarks of a face drifting a few pixels over the clip, [1, T, 68, 2]."""
    drift = torch.tensor([[t * 1.5, -t * 0.5] for t in range(FRAMES)])
    return (face_landmarks[None] + drift[:, None])[None]


@pytest.mark.parametrize("region", ["left_brow", "right_cheek", "mouth"])
@pytest.mark.parametrize("method", METHODS)
def test_every_method_points_at_the_only_region_that_matters(moving_face, method, region):
    torch.manual_seed(0)
    model = OneRegionModel(region_masks(moving_face[0])[region])
    clips = 0.2 + torch.rand(2, 1, FRAMES, 128, 128)
    landmarks = moving_face.expand(2, -1, -1, -1)
    config = AttributionConfig(ig_steps=4, noise_samples=2, window=8, stride=8, batch_size=1)
    result = attribute(model, clips, 0, method, landmarks=landmarks, config=config)
    assert result.shape == clips.shape and torch.isfinite(result).all()
    scores = region_scores(result, landmarks)
    for sample, table in scores.groupby("sample"):
        top = table.loc[table["density"].idxmax(), "region"]
        assert top == region, (method, sample, table.set_index("region")["density"].round(2))


def test_integrated_gradients_is_complete(moving_face):
    """IG's attributions add up to logit(clip) - logit(zero clip) (completeness)."""
    model = OneRegionModel(region_masks(moving_face[0])["nose"])
    clips = torch.rand(1, 1, FRAMES, 128, 128)
    result = attribute(model, clips, 0, "ig", config=AttributionConfig(ig_steps=32))
    gap = model(clips).logits[0, 0] - model(torch.zeros_like(clips)).logits[0, 0]
    assert result.sum().item() == pytest.approx(gap.item(), rel=2e-2)


def test_target_per_clip_and_the_other_class_flips_sign(moving_face):
    model = OneRegionModel(region_masks(moving_face[0])["chin"])
    clips = torch.rand(3, 1, FRAMES, 128, 128)
    config = AttributionConfig(ig_steps=4)
    up = attribute(model, clips, 0, "ig", config=config)
    mixed = attribute(model, clips, torch.tensor([0, 1, 0]), "ig", config=config)
    torch.testing.assert_close(mixed[[0, 2]], up[[0, 2]])
    torch.testing.assert_close(mixed[1], -up[1])
    assert model.training, "attribute leaves the model's mode as it found it"


def test_bad_requests_are_refused(moving_face):
    model = OneRegionModel(region_masks(moving_face[0])["chin"])
    clips = torch.rand(1, 1, FRAMES, 128, 128)
    with pytest.raises(ValueError, match="unknown attribution method"):
        attribute(model, clips, 0, "saliency")
    with pytest.raises(ValueError, match="needs the landmarks"):
        attribute(model, clips, 0, "region_occlusion")
    with pytest.raises(ValueError, match=r"\[B, 1, T, H, W\]"):
        attribute(model, clips[:, 0], 0)
