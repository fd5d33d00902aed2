"""MOL's multi-output forward seen as one tensor of MER logits, the form Captum wants."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

AUXILIARY_HEADS: tuple[str, ...] = ("flow_head", "landmark_head")


@contextlib.contextmanager
def without_auxiliary_heads(model: nn.Module) -> Iterator[None]:
    """Detach MOL's flow and landmark heads while inside, so that forward computes the logits only.

    The MER logits never depend on those heads; on a CPU the flow head alone costs about twice
    the rest of the network.
    """
    heads = {name: getattr(model, name) for name in AUXILIARY_HEADS if getattr(model, name, None) is not None}
    for name in heads:
        setattr(model, name, None)
    try:
        yield
    finally:
        for name, head in heads.items():
            setattr(model, name, head)


class MERLogits(nn.Module):
    """``clips [B, 1, T, H, W] -> logits [B, C]`` of a model returning ``MOLOutput``.

    Captum picks the class with its ``target`` argument. Models that return a plain tensor of
    logits pass through unchanged. ``motion`` (a MOL fed motion: the flow channels of its input,
    :func:`molkit.model.model_input`) goes in beside the clips as it is.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, clips: torch.Tensor, motion: torch.Tensor | None = None) -> torch.Tensor:
        inputs = clips if motion is None else torch.cat([clips, motion], dim=1)
        with without_auxiliary_heads(self.model):
            out = self.model(inputs)
        return out if isinstance(out, torch.Tensor) else out.logits
