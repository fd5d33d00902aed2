"""Starting a network from given weights: every parameter and buffer by name, each shape checked
before anything is loaded, the first difference said in one line. Used by the training
checkpoints (``molkit train/loso --init``, :func:`molkit.train.checkpoint.init_weights`) and by
the CNN baselines' fine-tuning (:func:`molkit.baselines.cnn.train_cnn`, ``init``)."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn


def _shape(value: object) -> str:
    return (
        str(list(value.shape)) if isinstance(value, torch.Tensor) else f"not a tensor: {type(value).__name__}"
    )


def check_weights(own: Mapping[str, torch.Tensor], weights: Mapping[str, object], where: str) -> None:
    """Raise a one-line ``ValueError``, starting with ``where``, at the first name of ``own`` (a
    model's state dict) that ``weights`` lacks or holds with another shape, or at the first name
    of ``weights`` that ``own`` lacks; nothing when every name and shape agrees."""
    for name, value in own.items():
        theirs = weights.get(name)
        if not isinstance(theirs, torch.Tensor):
            raise ValueError(
                f"{where}: it has no {name} (shape {list(value.shape)} in the model being built)"
            )
        if theirs.shape != value.shape:
            raise ValueError(
                f"{where}: {name} has shape {list(theirs.shape)} there, {list(value.shape)} in the model being built"
            )
    extra = [name for name in weights if name not in own]
    if extra:
        raise ValueError(
            f"{where}: its {extra[0]} (shape {_shape(weights[extra[0]])}) is not in the model being built"
        )


def load_weights(model: nn.Module, weights: Mapping[str, object], where: str) -> None:
    """``model`` takes ``weights`` (every parameter and buffer, by name) once
    :func:`check_weights` finds them alike; otherwise its error, and the model is left as it was."""
    check_weights(model.state_dict(), weights, where)
    model.load_state_dict(weights)
