"""OFF-ApexNet (Gan, Liong, Yau, Huang and Tan, "OFF-ApexNet on micro-expression recognition
system", Signal Processing: Image Communication 74, 2019; arXiv 1805.08699) on the onset->apex
features. The paper's own text past its abstract could not be read here; the layers follow the
re-implementation that lists them, github.com/ECNU-Cross-Innovation-Lab/PRICAI2021-Off-TANet,
``models/off_apexnet.py`` (its README gives the count, 2.66M parameters, that these layers have):

- input: the horizontal (u) and vertical (v) onset->apex flow, 28x28 (that repository resizes
  the frames to 28x28 before TV-L1, ``train_arg.py``/``data.py``); no optical strain. Each flow
  component feeds its own stream (the "two-path CNN" of the paper's summary at
  www.emergentmind.com/papers/1805.08699).
- each stream: Conv2d(1 -> 6, 5x5, padding 2), MaxPool 2x2 stride 2, Conv2d(6 -> 16, 5x5,
  padding 2), MaxPool 2x2 stride 2 (28 -> 14 -> 7); no activation between them, as listed there.
- the two 16x7x7 = 784 maps concatenated (1568), Linear(1568 -> 1024), ReLU, Dropout(0.5),
  Linear(1024 -> 1024), ReLU, Dropout(0.5), Linear(1024 -> classes).

Not from a reachable source, molkit's choices named: the flows are molkit's features (u and v of
:func:`molkit.baselines.features.apex_features`, each divided by its training-set standard
deviation, like STSTNet's), and the training is STSTNet's kit training
(:func:`molkit.baselines.cnn.train_cnn`: AdamW, rate, steps, batch of
:class:`molkit.baselines.config.OFFApexNetConfig`). The re-implementation above trains with Adam,
rate 1e-4, 3000 epochs of batches of 64 on its own flows; whether those are the paper's could not
be checked. Another re-implementation (github.com/tvaranka/meb, ``OffApexNet``) differs (one
two-channel stream, 3x3 kernels, one hidden dense layer); it was not followed."""

from __future__ import annotations

import torch
from torch import nn

from molkit.baselines.features import CHANNELS

FLOWS = (CHANNELS.index("u"), CHANNELS.index("v"))  # the channels OFF-ApexNet reads
FILTERS = (6, 16)
KERNEL = 5
HIDDEN = 1024


def _stream() -> nn.Sequential:
    """One flow component ``[B, 1, 28, 28] -> [B, 16, 7, 7]``."""
    first, second = FILTERS
    return nn.Sequential(
        nn.Conv2d(1, first, KERNEL, padding=KERNEL // 2),
        nn.MaxPool2d(2, stride=2),
        nn.Conv2d(first, second, KERNEL, padding=KERNEL // 2),
        nn.MaxPool2d(2, stride=2),
    )


class OFFApexNet(nn.Module):
    """``[B, 3, 28, 28] -> [B, n_classes]`` logits from the u and v channels (strain unused).
    Inputs are divided by ``scale`` (per channel, set from the training features)."""

    def __init__(self, n_classes: int = 3, dropout: float = 0.5) -> None:
        super().__init__()
        self.streams = nn.ModuleList(_stream() for _ in FLOWS)
        self.dense = nn.Sequential(
            nn.Linear(len(FLOWS) * FILTERS[-1] * 7 * 7, HIDDEN),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(HIDDEN, HIDDEN),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(HIDDEN, n_classes),
        )
        self.register_buffer("scale", torch.ones(len(CHANNELS)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x / self.scale[:, None, None]
        maps = [stream(x[:, c : c + 1]).flatten(1) for stream, c in zip(self.streams, FLOWS, strict=True)]
        return self.dense(torch.cat(maps, dim=1))
