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
from typing import Any

import torch
from torch import Tensor, nn

from molkit.config import Config
from molkit.model.ccc import READINGS
from molkit.model.f5c import F5C
from molkit.model.flow_head import FlowHead
from molkit.model.landmark_head import LandmarkHead
from molkit.model.mer_head import MERHead
from molkit.model.stem import Stem

# what the stem reads beside each frame (molkit.model.inputs): nothing as released, or the flow
# from it to the next frame, TV-L1's or the synthetic truth's
MOTIONS = ("none", "tvl1", "truth")
FCC_INITS = {"released": 1.0, "small": 0.02}  # std of FCC's positional embeddings and biases


@dataclasses.dataclass
class MOLConfig(Config):
    """``ccc``: "released" | "paper" | "none" (F5C without CCC); ``fcc=False``: F5C without FCC;
    ``flow``/``landmarks``: whether that auxiliary task (and its head) exists; ``flow_width``:
    channel multiplier of the flow head (1.0 is faithful).

    Defaults are the released model. The kit's training recipe (:mod:`molkit.train.recipes`) may
    change the rest, none of which changes a layer or a parameter: ``magnification`` amplifies
    each frame's difference from the clip's first frame before the network sees it (1: none, as
    released; linear, Eulerian-style motion magnification, so it travels with the weights and
    applies in training, evaluation, prediction and attribution alike); ``flow_unit``: pixels per
    unit of the flow head's output (1 as released); ``dropout``: the MER head's two dropout rates
    (0.5 as released); ``fcc_init``: "released" (FCC's positional embeddings and biases drawn
    with std 1) or "small" (std 0.02, so that BatchNorm does not scale the input away).

    ``motion`` ("none" as released, "tvl1", "truth") feeds the stem each frame's flow to the next
    frame beside the frame (3 channels per frame, :func:`molkit.model.inputs.model_input`): MOL
    given the motion instead of learning it. It changes the stem's first layer, so a checkpoint
    says what it was fed; it is left out of :meth:`to_dict` when "none", so a model fed no motion
    records its configuration as before the field existed. Magnification amplifies the frames
    only, never the flow channels."""

    n_classes: int = 5
    frames: int = 8
    neighbours: int = 4
    ccc: str = "released"
    fcc: bool = True
    flow: bool = True
    landmarks: bool = True
    flow_width: float = 1.0
    magnification: float = 1.0
    flow_unit: float = 1.0
    dropout: float = 0.5
    fcc_init: str = "released"
    motion: str = "none"

    def __post_init__(self) -> None:
        if self.motion not in MOTIONS:
            raise ValueError(f"MOLConfig.motion must be one of {MOTIONS}, got {self.motion!r}")
        if self.ccc not in (*READINGS, "none"):
            raise ValueError(f"MOLConfig.ccc must be one of {(*READINGS, 'none')}, got {self.ccc!r}")
        if self.fcc_init not in FCC_INITS:
            raise ValueError(f"MOLConfig.fcc_init must be one of {tuple(FCC_INITS)}, got {self.fcc_init!r}")
        if self.magnification < 1 or self.flow_unit <= 0 or not 0 <= self.dropout < 1:
            raise ValueError(
                "MOLConfig: magnification must be >= 1, flow_unit > 0 and 0 <= dropout < 1 "
                f"(got {self.magnification}, {self.flow_unit}, {self.dropout})"
            )

    def to_dict(self) -> dict[str, Any]:
        """The fields, ``motion`` only where the model is fed motion."""
        plain = super().to_dict()
        if self.motion == "none":
            del plain["motion"]
        return plain

    @property
    def input_channels(self) -> int:
        """Channels per frame of the model's input: the frame, and with motion its flow (dx, dy)."""
        return 1 if self.motion == "none" else 3


def magnify(x: Tensor, factor: float) -> Tensor:
    """Each frame's difference from the clip's first frame times ``factor``: ``[B, 1, T, H, W]``."""
    first = x[:, :, :1]
    return first + factor * (x - first) if factor != 1 else x


@dataclasses.dataclass
class MOLOutput:
    """``logits`` ``[B, n_classes]``; ``flow`` ``[B, T-1, 2, H, W]`` and ``landmarks``
    ``[B, T-1, 68, 2]`` (frames 2..T), or None for a disabled task."""

    logits: Tensor
    flow: Tensor | None = None
    landmarks: Tensor | None = None


class MOL(nn.Module):
    """The MOL network; ``model(x)`` with ``x`` ``[B, C, T, 128, 128]`` gives a :class:`MOLOutput`
    (``C`` = ``config.input_channels``: 1, the clip, unless the model is fed motion)."""

    def __init__(self, config: MOLConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or MOLConfig()
        self.stem = Stem(config.input_channels)
        self.block_a = F5C(fcc=config.fcc, ccc=config.ccc, neighbours=config.neighbours)
        self.block_b = F5C(fcc=config.fcc, ccc=config.ccc, neighbours=config.neighbours)
        self.mer_head = MERHead(config.n_classes, maps=2 * (config.frames - 1), dropout=config.dropout)
        self.flow_head = FlowHead(config.flow_width) if config.flow else None
        self.landmark_head = LandmarkHead() if config.landmarks else None
        scale = FCC_INITS[config.fcc_init]
        if scale != 1.0:
            for block in (self.block_a, self.block_b):
                if block.fcc is not None:
                    block.fcc.scale_embeddings(scale)

    def forward(self, x: Tensor) -> MOLOutput:
        b, c, t, h, w = x.shape
        if c != self.config.input_channels or t != self.config.frames:
            raise ValueError(
                f"MOL expects clips [B, {self.config.input_channels}, {self.config.frames}, H, W] "
                f"(motion {self.config.motion!r}: molkit.model.model_input), got {list(x.shape)}"
            )
        frames = magnify(x[:, :1], self.config.magnification).transpose(1, 2)  # [B, T, 1, H, W]
        seen = frames if c == 1 else torch.cat([frames, x[:, 1:].transpose(1, 2)], dim=2)
        stem = self.stem(seen.reshape(b * t, c, h, w))
        stem = stem.reshape(b, t, *stem.shape[1:])
        feat_a = self.block_a(stem[:, :-1].flatten(0, 1))  # first frame of every pair
        feat_b = self.block_b(stem[:, 1:].flatten(0, 1))  # second frame of every pair
        pairs = torch.stack([feat_a, feat_b], dim=1)  # [B*(T-1), 2, C, h', w']
        maps = pairs.reshape(b, 2 * (t - 1), *pairs.shape[2:])  # A(f1), B(f2), A(f2), ...
        logits = self.mer_head(maps.permute(0, 2, 3, 4, 1))
        flow = landmarks = None
        if self.flow_head is not None:
            flow = self.flow_head(frames, pairs.reshape(b, t - 1, -1, *pairs.shape[3:]))  # [A | B]
            flow = flow * self.config.flow_unit if self.config.flow_unit != 1 else flow
        if self.landmark_head is not None:
            landmarks = self.landmark_head(feat_b).reshape(b, t - 1, -1, 2)
        return MOLOutput(logits, flow, landmarks)
