"""MOL's multi-output forward seen as one tensor of MER logits, the form Captum wants."""
from __future__ import annotations

import torch
from torch import nn


class MERLogits(nn.Module):
    """``clips [B, 1, T, H, W] -> logits [B, C]`` of a model returning ``MOLOutput``.

    Captum picks the class with its ``target`` argument. Models that return a plain tensor of
    logits pass through unchanged.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        out = self.model(clips)
        return out if isinstance(out, torch.Tensor) else out.logits
