"""What MOL reads, built from a batch: the one place every caller (training, evaluation,
prediction, attribution) gets the model's input from.

A model fed no motion (``MOLConfig.motion`` "none", as released) reads ``batch["clip"]``
``[B, 1, T, H, W]`` unchanged. A model fed motion reads 3 channels per frame ``[B, 3, T, H, W]``:
the frame, then the flow from it to the next frame (dx, dy: pair k of the batch's flow for frame
k, zeros for the last frame), TV-L1's (``batch["flow"]``) or the synthetic truth's
(``batch["true_flow"]``), in pixels divided by :data:`FLOW_PIXELS`. At 0.5 px the flow channels
spread about as the frames do: on the composite twin at amplitude scale 2 (the budget
benchmark's data; 60 test clips) both flows have a standard deviation of 0.30-0.31 px, 0.60-0.62
in these units, against 0.54 for the normalised frames. ``MOLConfig.flow_unit`` is another
thing: the unit of the flow head's output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from molkit.model.mol import MOLConfig

FLOW_PIXELS = 0.5  # pixels of flow per unit of an input flow channel
MOTION_FLOWS = {"tvl1": "flow", "truth": "true_flow"}  # motion -> the batch's key of its flow


def motion_channels(flow: Tensor) -> Tensor:
    """Flows ``[B, T-1, 2, H, W]`` in pixels (pair k: frame k -> k+1) as input channels
    ``[B, 2, T, H, W]``: frame k's flow to the next, zeros for the last frame, in
    :data:`FLOW_PIXELS` units."""
    return F.pad(flow.float().transpose(1, 2) / FLOW_PIXELS, (0, 0, 0, 0, 0, 1))


def model_input(batch: Mapping[str, Any], config: MOLConfig) -> Tensor:
    """The input of a MOL configured as ``config``: ``batch["clip"]`` itself without motion, else
    the clip and its flow channels (:func:`motion_channels`) side by side, ``[B, 3, T, H, W]``."""
    clip = batch["clip"]
    if config.motion == "none":
        return clip
    key = MOTION_FLOWS[config.motion]
    if key not in batch:
        raise ValueError(
            f"a MOL fed motion {config.motion!r} reads the batch's {key!r}, which this batch lacks"
            + (" (clips read with their synthetic truth: with_truth)" if config.motion == "truth" else "")
        )
    return torch.cat([clip, motion_channels(batch[key]).to(clip)], dim=1)
