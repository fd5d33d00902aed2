"""The landmark head: 68 (x, y) points of a frame from its F5C features (block B's output)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

N_LANDMARKS = 68


class LandmarkHead(nn.Module):
    """Conv(128,32,k3) -> ReLU -> Linear(6272,512) -> ReLU -> Linear(512,136), read as interleaved
    x0, y0, x1, y1, ... in pixels of the 128 x 128 crop. Module names follow the released checkpoint."""

    def __init__(self, channels: int = 128, size: int = 16) -> None:
        super().__init__()
        self.convldm = nn.Conv2d(channels, 32, kernel_size=3)
        self.fc1 = nn.Linear(32 * (size - 2) ** 2, 512)
        self.fc2 = nn.Linear(512, 2 * N_LANDMARKS)

    @torch.no_grad()
    def start_at(self, shape: Tensor) -> None:
        """Make the output bias ``shape`` ``[68, 2]`` (px), so that training starts from it rather
        than from 0 px, 64 px away from a face."""
        self.fc2.bias.copy_(shape.reshape(-1))

    def forward(self, features: Tensor) -> Tensor:
        """``[N, 128, 16, 16]`` -> ``[N, 68, 2]``."""
        x = self.convldm(features).relu().flatten(1)
        return self.fc2(self.fc1(x).relu()).reshape(-1, N_LANDMARKS, 2)
