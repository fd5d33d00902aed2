"""The MER head: a small 3D CNN over the sequence of F5C maps, giving class logits."""

from __future__ import annotations

from torch import Tensor, nn


class MERHead(nn.Module):
    """Conv3d(128,32,k(2,2,5),s(2,2,1)) -> MaxPool3d(2) -> Dropout -> Linear(., 256) -> ReLU ->
    Dropout -> Linear(256, n_classes) (dropout 0.5 as released), on ``[B, 128, 16, 16, L]`` (time last, as released;
    L = 2(T-1) = 14 maps for 8 frames). Module names follow the released checkpoint."""

    def __init__(
        self, n_classes: int, maps: int = 14, channels: int = 128, size: int = 16, dropout: float = 0.5
    ) -> None:
        super().__init__()
        if maps < 6:
            raise ValueError(f"the MER head needs at least 6 F5C maps (4 frames), got {maps}")
        self.conv3d = nn.Conv3d(channels, 32, kernel_size=(2, 2, 5), stride=(2, 2, 1))
        self.maxpooling3d = nn.MaxPool3d(2)
        self.dropout = nn.Dropout(dropout)
        self.fc1 = nn.Linear(32 * (size // 4) ** 2 * ((maps - 4) // 2), 256)
        self.fc2 = nn.Linear(256, n_classes)

    def forward(self, maps: Tensor) -> Tensor:
        x = self.dropout(self.maxpooling3d(self.conv3d(maps))).flatten(1)
        return self.fc2(self.dropout(self.fc1(x).relu()))
