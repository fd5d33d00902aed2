"""STSTNet (Liong et al., "Shallow Triple Stream Three-dimensional CNN for micro-expression
recognition", IEEE FG 2019) as its authors define it in their PyTorch code
(github.com/christy1206/STSTNet, ``main.py``): three parallel 3x3 convolutions of 3, 5 and 8
filters with **padding 2** over the 28x28x3 onset->apex input (u, v, optical strain), each
followed by ReLU, then batch normalisation, 3x3 max pooling of stride 3 and padding 1 (30 -> 10)
and dropout; the 16 maps concatenated, 2x2 average pooling of stride 2 (5x5x16 = 400) and one
fully connected layer to the classes. molkit's earlier version padded the convolutions by 1 (as
MEB's re-implementation does): the same parameter count and output sizes, but different
outputs, so the authors' released weights would not have given their predictions. That padding
was wrong; the authors' 2 is used now (:mod:`molkit.baselines.ststnet_official` loads their
weights)."""

from __future__ import annotations

import torch
from torch import nn

from molkit.baselines.cnn import cnn_logits, train_cnn
from molkit.baselines.config import STSTNetConfig
from molkit.baselines.features import CHANNELS, VideoFeatures

STREAMS = (3, 5, 8)
PADDING = 2  # the authors' main.py (molkit used 1 before: wrong)


class STSTNet(nn.Module):
    """``[B, 3, 28, 28] -> [B, n_classes]`` logits. Inputs are divided by ``scale`` (per channel,
    set from the training features: sub-pixel flows are far below unit size)."""

    def __init__(self, n_classes: int = 3, dropout: float = 0.5) -> None:
        super().__init__()
        self.streams = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(len(CHANNELS), filters, 3, padding=PADDING),
                nn.ReLU(),
                nn.BatchNorm2d(filters),
                nn.MaxPool2d(3, stride=3, padding=1),
                nn.Dropout(dropout),
            )
            for filters in STREAMS
        )
        self.pool = nn.AvgPool2d(2, stride=2)
        self.fc = nn.Linear(sum(STREAMS) * 5 * 5, n_classes)
        self.register_buffer("scale", torch.ones(len(CHANNELS)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x / self.scale[:, None, None]
        x = torch.cat([stream(x) for stream in self.streams], dim=1)
        return self.fc(self.pool(x).flatten(1))


def train_ststnet(
    config: STSTNetConfig,
    train: VideoFeatures,
    n_classes: int,
    seed: int,
    *,
    device: str = "auto",
    select: VideoFeatures | None = None,
    init: STSTNet | dict[str, torch.Tensor] | None = None,
) -> STSTNet:
    """STSTNet trained on ``train`` by :func:`molkit.baselines.cnn.train_cnn` (the best weights on
    ``select`` when given, else the last; from ``init``'s weights when given)."""
    return train_cnn(STSTNet, config, train, n_classes, seed, device=device, select=select, init=init)


ststnet_logits = cnn_logits  # logits [N, n_classes] of features [N, 3, 28, 28]
