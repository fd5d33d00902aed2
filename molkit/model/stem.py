"""The stem ("conv stack"): four linear convolutions, Cx128x128 frame -> 128x16x16 features."""

from __future__ import annotations

from torch import Tensor, nn


class Stem(nn.Module):
    """Conv(C,8,k4,s2) -> Conv(8,32,k3,s2) -> Conv(32,64,k2,s2,p1) -> Conv(64,128,k1), no activation.

    Shared by every frame; run once per frame of a clip. ``channels`` per frame: 1 (the frame) as
    released; 3 for a MOL fed motion (the frame and its flow to the next frame).
    """

    def __init__(self, channels: int = 1) -> None:
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(channels, 8, kernel_size=4, stride=2),
            nn.Conv2d(8, 32, kernel_size=3, stride=2),
            nn.Conv2d(32, 64, kernel_size=2, stride=2, padding=1),
            nn.Conv2d(64, 128, kernel_size=1),
        )

    def forward(self, frames: Tensor) -> Tensor:
        """``[N, C, 128, 128]`` -> ``[N, 128, 16, 16]``."""
        return self.convs(frames)
