"""The attribution methods on the real MOL network (untrained, small flow head)."""

import pytest
import torch

from molkit.attribution import METHODS, AttributionConfig, MERLogits, attribute
from molkit.model import MOL, MOLConfig


@pytest.fixture(scope="module")
def mol():
    torch.manual_seed(0)
    return MOL(MOLConfig(n_classes=5, flow_width=0.125)).eval()


def test_wrapper_gives_the_logits_and_puts_the_heads_back(mol):
    clips = torch.randn(2, 1, 8, 128, 128)
    with torch.no_grad():
        full = mol(clips)
        logits = MERLogits(mol)(clips)
    torch.testing.assert_close(logits, full.logits)
    assert full.flow is not None and full.landmarks is not None
    assert mol.flow_head is not None and mol.landmark_head is not None


@pytest.mark.parametrize("method", METHODS)
def test_every_method_runs_on_mol(mol, method, face_landmarks):
    torch.manual_seed(1)
    clips = torch.randn(2, 1, 8, 128, 128)
    landmarks = face_landmarks.expand(2, 8, 68, 2)
    config = AttributionConfig(ig_steps=2, noise_samples=2, window=32, stride=32)
    result = attribute(mol, clips, torch.tensor([1, 3]), method, landmarks, config)
    assert result.shape == clips.shape and torch.isfinite(result).all()
    assert result.abs().sum() > 0
    if method == "gradcam":
        assert (result >= 0).all()
    if method != "ig_noise":  # the noise tunnel draws its noise per batch
        alone = attribute(mol, clips[1:], 3, method, landmarks[1:], config)
        torch.testing.assert_close(alone, result[1:], rtol=1e-3, atol=1e-4)
