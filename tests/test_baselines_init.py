"""Fine-tuning the CNN baselines from given weights (``train_cnn(..., init=...)``, issue 33 item 2):
the weights are really loaded (no step, or a rate of 0, leaves them as given; the input scale is
the init's, not the new data's), a fine-tune starts where the init is and a run from scratch does
not, and weights of another shape or network are refused with one line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from molkit.baselines import OFFApexNet, STSTNet, STSTNetConfig, VideoFeatures, train_cnn, train_ststnet

SETTINGS = STSTNetConfig(steps=20, batch_size=8, lr=5e-3, eval_every=5)


def _features(seed: int, spread: float, n_classes: int = 3) -> VideoFeatures:
    rng = np.random.default_rng(seed)
    labels = np.arange(24) % n_classes
    features = rng.normal(0, spread, (24, 3, 28, 28)).astype(np.float32)
    for c in range(n_classes):
        features[labels == c, 0, 9 * c : 9 * c + 9] += 2 * spread
    table = pd.DataFrame({"subject": "s", "video_id": [f"{seed}/{i}" for i in range(24)], "label": labels})
    return VideoFeatures(table, features)


@pytest.fixture(scope="module")
def pretrained() -> STSTNet:
    """STSTNet trained a few steps on features of one spread (its scale is theirs)."""
    return train_cnn(STSTNet, SETTINGS, _features(0, 0.5), 3, seed=1, device="cpu")


def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_no_step_gives_the_init_back_with_its_scale(pretrained):
    source = _state(pretrained)
    other = _features(2, 0.05)  # a tenth of the spread: a scale from it would differ tenfold
    for init in (pretrained, source):  # a module or its state dict
        model = train_cnn(STSTNet, SETTINGS.replace(steps=0), other, 3, seed=5, device="cpu", init=init)
        for name, value in model.state_dict().items():
            assert torch.equal(value, source[name]), name
    scratch = train_cnn(STSTNet, SETTINGS.replace(steps=0), other, 3, seed=5, device="cpu")
    assert not torch.allclose(scratch.scale, source["scale"], rtol=0.5)
    assert _state(pretrained).keys() == source.keys()  # the init itself is left as it was
    assert all(torch.equal(v, source[k]) for k, v in pretrained.state_dict().items())


def test_a_fine_tune_at_rate_zero_keeps_the_parameters(pretrained):
    source = _state(pretrained)
    still = SETTINGS.replace(steps=3, lr=0.0, weight_decay=0.0)
    model = train_ststnet(still, _features(3, 0.05), 3, seed=5, device="cpu", init=pretrained)
    for name, value in model.named_parameters():
        assert torch.equal(value, source[name]), name
    assert torch.equal(model.scale, source["scale"])
    # BatchNorm's running statistics (buffers) move with the batches, from the init's
    moved = [k for k in source if "running_mean" in k and not torch.equal(model.state_dict()[k], source[k])]
    assert moved


def test_a_fine_tune_starts_from_the_init_and_scratch_does_not(pretrained):
    data = _features(4, 0.5)
    tuned = train_cnn(STSTNet, SETTINGS.replace(steps=2), data, 3, seed=5, device="cpu", init=pretrained)
    scratch = train_cnn(STSTNet, SETTINGS.replace(steps=2), data, 3, seed=5, device="cpu")
    start = pretrained.fc.weight
    assert (tuned.fc.weight - start).abs().max() < (scratch.fc.weight - start).abs().max() / 5


@pytest.mark.parametrize(
    "init, says",
    [
        (
            lambda: STSTNet(5).state_dict(),
            r"^STSTNet: cannot start from the given weights: fc\.weight has shape \[5, 400\] there, "
            r"\[3, 400\] in the model being built$",
        ),
        (
            lambda: OFFApexNet(3),
            r"^STSTNet: cannot start from the given weights: streams\.0\.0\.weight has shape \[6, 1, 5, 5\] "
            r"there, \[3, 3, 3, 3\] in the model being built$",
        ),
        (
            lambda: {k: v for k, v in STSTNet(3).state_dict().items() if k != "fc.bias"},
            r"^STSTNet: cannot start from the given weights: it has no fc\.bias \(shape \[3\] in the model "
            r"being built\)$",
        ),
        (
            lambda: {**STSTNet(3).state_dict(), "extra.weight": torch.zeros(2)},
            r"^STSTNet: cannot start from the given weights: its extra\.weight \(shape \[2\]\) is not in "
            r"the model being built$",
        ),
    ],
)
def test_other_shapes_or_networks_are_refused_in_one_line(init, says):
    threads = torch.get_num_threads()
    with pytest.raises(ValueError, match=says) as err:
        train_cnn(STSTNet, SETTINGS, _features(5, 0.5), 3, seed=0, device="cpu", init=init())
    assert "\n" not in str(err.value)
    assert torch.get_num_threads() == threads  # restored on the way out
