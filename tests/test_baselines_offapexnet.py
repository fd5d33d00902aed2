"""molkit's OFF-ApexNet against the layer list of the re-implementation it follows
(github.com/ECNU-Cross-Innovation-Lab/PRICAI2021-Off-TANet, ``models/off_apexnet.py``), written
here in plain torch.nn, and through the same LOSO folds and tables as the other baselines."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch import nn

from molkit.baselines import OFFApexNet, OFFApexNetConfig, cnn_logits
from molkit.model import MOLConfig
from molkit.run.configs import loso_config_from_profile
from molkit.train import LosoConfig, TrainConfig, plan_folds, run_loso
from molkit.train.loso import all_subjects


class ListedStream(nn.Module):
    """One flow component: Conv2d(1 -> 6, 5, padding 2), MaxPool2d(2, 2), Conv2d(6 -> 16, 5,
    padding 2), MaxPool2d(2, 2); no activation between them."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5, stride=1, padding=2)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5, stride=1, padding=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.max_pool2d(self.conv2(nn.functional.max_pool2d(self.conv1(x), 2, 2)), 2, 2)


class ListedOFFApexNet(nn.Module):
    """Horizontal and vertical flow, one stream each; 784 + 784 values into Linear(1568 -> 1024),
    ReLU, Dropout(0.5), Linear(1024 -> 1024), ReLU, Dropout(0.5), Linear(1024 -> 3)."""

    def __init__(self) -> None:
        super().__init__()
        self.horizontal, self.vertical = ListedStream(), ListedStream()
        self.fc1, self.fc2, self.fc3 = nn.Linear(1568, 1024), nn.Linear(1024, 1024), nn.Linear(1024, 3)

    def forward(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.horizontal(u).view(-1, 784), self.vertical(v).view(-1, 784)], dim=1)
        x = nn.functional.dropout(torch.relu(self.fc1(x)), 0.5, self.training)
        x = nn.functional.dropout(torch.relu(self.fc2(x)), 0.5, self.training)
        return self.fc3(x)


def test_parameter_count_is_the_listed_layers():
    convolutions = 2 * ((6 * 1 * 5 * 5 + 6) + (16 * 6 * 5 * 5 + 16))  # two streams
    dense = (1568 * 1024 + 1024) + (1024 * 1024 + 1024) + (1024 * 3 + 3)
    assert sum(p.numel() for p in OFFApexNet(3).parameters()) == convolutions + dense == 2_664_475
    assert sum(p.numel() for p in ListedOFFApexNet().parameters()) == convolutions + dense


def test_same_weights_give_the_listed_network_outputs():
    listed = ListedOFFApexNet().eval()
    ours = OFFApexNet(3).eval()
    # the listed network's weights, layer by layer, into molkit's: streams u then v, dense 1..3
    pairs = [
        (ours.streams[0][0], listed.horizontal.conv1),
        (ours.streams[0][2], listed.horizontal.conv2),
        (ours.streams[1][0], listed.vertical.conv1),
        (ours.streams[1][2], listed.vertical.conv2),
        (ours.dense[0], listed.fc1),
        (ours.dense[3], listed.fc2),
        (ours.dense[6], listed.fc3),
    ]
    for mine, theirs in pairs:
        mine.load_state_dict(theirs.state_dict())
    ours.scale.copy_(torch.tensor([0.5, 2.0, 7.0]))  # molkit's per-channel input scale
    x = torch.randn(8, 3, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = listed(x[:, 0:1] / 0.5, x[:, 1:2] / 2.0).numpy()
    got = cnn_logits(ours, x.numpy())
    assert got.shape == (8, 3)
    torch.testing.assert_close(torch.as_tensor(got), torch.as_tensor(expected), rtol=1e-5, atol=1e-5)
    # the strain channel plays no part
    x[:, 2] = torch.randn(8, 28, 28)
    torch.testing.assert_close(torch.as_tensor(cnn_logits(ours, x.numpy())), torch.as_tensor(got))


def test_offapexnet_loso_writes_one_prediction_per_video(synthetic_cache, tmp_path):
    cache, _ = synthetic_cache
    config = LosoConfig(
        method="offapexnet",
        protocol="fixed",
        model=MOLConfig(n_classes=5),
        train=TrainConfig(seed=3),
        profile="test",
        offapexnet=OFFApexNetConfig(steps=10, batch_size=8),
    )
    result = run_loso(config, cache, tmp_path, progress=False)
    folds = plan_folds("fixed", all_subjects(config, cache))
    files = sorted(tmp_path.glob("fold_*/predictions.csv"))
    assert len(files) == len(folds)
    written = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    assert sorted(written.fold.unique()) == sorted(f.test_subject for f in folds)
    assert len(written) == written.video_id.nunique() == 15  # one row per video, clip 0, crop 0
    assert (written.clip_index == 0).all() and (written.crop == 0).all()
    logits = written[[f"logit_{c}" for c in range(5)]].to_numpy()
    assert (logits.argmax(axis=1) == written.pred).all()
    assert result.label.startswith("OFF-ApexNet: fixed (last weights) | profile test")


def test_offapexnet_is_a_loso_model_choice():
    with pytest.raises(ValueError, match="unknown method"):
        LosoConfig(method="offapex")
    assert loso_config_from_profile("paper", classes="composite", method="offapexnet").offapexnet.steps == 300
