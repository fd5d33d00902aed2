"""Loading checkpoints saved by the released MOL code (``torch.save(model.state_dict())``).

The released module names map to molkit's by prefix; the CCC maps, released as
``Conv1d(1, 256, kernel_size=256)``, become ``Linear(256, 256)`` (same numbers, reshaped); the
FCC feed-forward branch, which the released forward never calls, is dropped.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from molkit.model.mol import MOL, MOLConfig

RELEASED_PREFIXES = {
    "conv_stack.conv_stack.": "stem.convs.",
    "FCC_1.": "block_a.fcc.",
    "FCC_2.": "block_b.fcc.",
    "CCC_1.conv1.": "block_a.ccc.phi.",
    "CCC_1.conv2.": "block_a.ccc.theta.",
    "CCC_2.conv1.": "block_b.ccc.phi.",
    "CCC_2.conv2.": "block_b.ccc.theta.",
    "flownet.": "flow_head.",
    "mer_3dcnn.": "mer_head.",
    "ldm_predictor.": "landmark_head.",
}
UNUSED = (".ffn.",)


def molkit_key(released_key: str) -> str | None:
    """molkit's name for a released parameter or buffer; None for the unused ones."""
    key = released_key.removeprefix("module.")  # saved from nn.DataParallel
    if any(part in key for part in UNUSED):
        return None
    for old, new in RELEASED_PREFIXES.items():
        if key.startswith(old):
            return new + key[len(old) :]
    raise KeyError(f"not a key of the released MOL model: {released_key!r}")


def from_released_state_dict(
    state_dict: dict[str, Tensor], n_classes: int = 5, neighbours: int = 4, frames: int = 8
) -> MOL:
    """A faithful MOL (CCC reading "released", full-width flow head) with the released weights
    (released checkpoints are for 8-frame clips; ``frames`` sizes the MER head otherwise)."""
    model = MOL(MOLConfig(n_classes=n_classes, frames=frames, neighbours=neighbours, ccc="released"))
    target = model.state_dict()
    converted: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        name = molkit_key(key)
        if name is None:
            continue
        if name not in target:
            raise KeyError(f"released key {key!r} has no counterpart {name!r} in molkit's MOL")
        if value.numel() != target[name].numel():
            raise ValueError(
                f"released {key!r} has shape {list(value.shape)}, molkit expects "
                f"{list(target[name].shape)} (n_classes={n_classes}?)"
            )
        converted[name] = value.reshape(target[name].shape)
    missing = sorted(set(target) - set(converted))
    if missing:
        raise KeyError(f"the released state dict lacks {len(missing)} entries, e.g. {missing[:5]}")
    model.load_state_dict(converted)
    return model


def read_state_dict(path: str | Path) -> dict[str, Tensor]:
    """A state dict saved with ``torch.save`` (read tensors-only, on the CPU); errors name the file."""
    try:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(f"{path}: not a readable tensor-only checkpoint ({err})") from err
    if not isinstance(state_dict, dict):
        raise ValueError(f"{path}: expected a state dict, found {type(state_dict).__name__}")
    return state_dict


def load_released_checkpoint(
    path: str | Path, n_classes: int = 5, neighbours: int = 4, frames: int = 8
) -> MOL:
    """Read a released checkpoint file (tensors only, ``weights_only=True``) into a MOL."""
    state_dict = read_state_dict(path)
    try:
        return from_released_state_dict(state_dict, n_classes, neighbours, frames)
    except (KeyError, ValueError) as err:
        raise ValueError(f"{path}: {err}") from err
