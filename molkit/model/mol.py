"""MOL: micro-expression recognition trained jointly with optical flow and landmarks on F5C features.

Data flow for a clip ``x`` ``[B, 1, T, 128, 128]`` (pair k = frames k, k+1):
the stem runs once per frame; F5C block A once over frames 1..T-1 (first frame of every pair),
block B once over frames 2..T (second frame); the flow and landmark heads once over all pairs; the
MER head on the 2(T-1) F5C maps ordered A(f1), B(f2), A(f2), B(f3), ..., A(f_{T-1}), B(f_T).

In train mode every BatchNorm sees all frames or pairs of the batch together, where the released
code ran the network pair by pair (so its BatchNorm statistics came from one pair at a time); in
eval mode the outputs equal the released per-pair computation.
"""
from __future__ import annotations

import dataclasses

import torch
from torch import Tensor, nn

from molkit.config import Config
from molkit.model.ccc import READINGS
from molkit.model.f5c import F5C
from molkit.model.flow_head import FlowHead
from molkit.model.landmark_head import LandmarkHead
from molkit.model.mer_head import MERHead
from molkit.model.stem import Stem


@dataclasses.dataclass
class MOLConfig(Config):
    """``ccc``: "released" | "paper" | "none" (F5C without CCC); ``fcc=False``: F5C without FCC;
    ``flow``/``landmarks``: whether that auxiliary task (and its head) exists; ``flow_width``:
    channel multiplier of the flow head (1.0 is faithful)."""

    n_classes: int = 5
    frames: int = 8
    neighbours: int = 4
    ccc: str = "released"
    fcc: bool = True
    flow: bool = True
    landmarks: bool = True
    flow_width: float = 1.0

    def __post_init__(self) -> None:
        if self.ccc not in (*READINGS, "none"):
            raise ValueError(f"MOLConfig.ccc must be one of {(*READINGS, 'none')}, got {self.ccc!r}")


@dataclasses.dataclass
class MOLOutput:
    """``logits`` ``[B, n_classes]``; ``flow`` ``[B, T-1, 2, H, W]`` and ``landmarks``
    ``[B, T-1, 68, 2]`` (frames 2..T), or None for a disabled task."""

    logits: Tensor
    flow: Tensor | None = None
    landmarks: Tensor | None = None


class MOL(nn.Module):
    """The MOL network; ``model(x)`` with ``x`` ``[B, 1, T, 128, 128]`` gives a :class:`MOLOutput`."""

    def __init__(self, config: MOLConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or MOLConfig()
        self.stem = Stem()
        self.block_a = F5C(config.fcc, config.ccc, config.neighbours)
        self.block_b = F5C(config.fcc, config.ccc, config.neighbours)
        self.mer_head = MERHead(config.n_classes, maps=2 * (config.frames - 1))
        self.flow_head = FlowHead(config.flow_width) if config.flow else None
        self.landmark_head = LandmarkHead() if config.landmarks else None

    def forward(self, x: Tensor) -> MOLOutput:
        b, _, t, h, w = x.shape
        if x.shape[1] != 1 or t != self.config.frames:
            raise ValueError(f"MOL expects clips [B, 1, {self.config.frames}, H, W], got {list(x.shape)}")
        frames = x.transpose(1, 2)  # [B, T, 1, H, W]
        stem = self.stem(frames.reshape(b * t, 1, h, w))
        stem = stem.reshape(b, t, *stem.shape[1:])
        feat_a = self.block_a(stem[:, :-1].flatten(0, 1))  # first frame of every pair
        feat_b = self.block_b(stem[:, 1:].flatten(0, 1))  # second frame of every pair
        pairs = torch.stack([feat_a, feat_b], dim=1)  # [B*(T-1), 2, C, h', w']
        maps = pairs.reshape(b, 2 * (t - 1), *pairs.shape[2:])  # A(f1), B(f2), A(f2), ...
        logits = self.mer_head(maps.permute(0, 2, 3, 4, 1))
        flow = landmarks = None
        if self.flow_head is not None:
            flow = self.flow_head(frames, pairs.reshape(b, t - 1, -1, *pairs.shape[3:]))  # [A | B]
        if self.landmark_head is not None:
            landmarks = self.landmark_head(feat_b).reshape(b, t - 1, -1, 2)
        return MOLOutput(logits, flow, landmarks)
