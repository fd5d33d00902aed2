"""FlowNetC's correlation layer in plain tensor code, on the input's device.

``corr[(dy, dx), i, j] = sum_c f1[c, i, j] * f2[c, i + dy, j + dx] / C`` for displacements
``dy, dx`` in ``{-max_displacement, ..., max_displacement}`` in steps of ``stride`` (21 x 21 = 441
with the defaults), zero where ``(i + dy, j + dx)`` leaves the map, channels ordered dy-major.

On MOL's 16 x 16 maps the displacement window is larger than the map, so the layer is computed as
one batched all-pairs product ``[HW, HW]`` followed by one gather of the 441 displacements: no loop
over displacements and no ``[C x 441]`` unfold.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def displacement_index(
    height: int,
    width: int,
    max_displacement: int = 20,
    stride: int = 2,
    device: torch.device | str | None = None,
) -> Tensor:
    """``[H*W, D]`` index into a row of the all-pairs product (``H*W`` marks "outside the map")."""
    steps = torch.arange(-max_displacement, max_displacement + 1, stride, device=device)
    i = torch.arange(height, device=device)[:, None, None, None]
    j = torch.arange(width, device=device)[None, :, None, None]
    y = i + steps[None, None, :, None]
    x = j + steps[None, None, None, :]
    inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
    return torch.where(inside, y * width + x, height * width).reshape(height * width, -1)


def correlation(f1: Tensor, f2: Tensor, max_displacement: int = 20, stride: int = 2) -> Tensor:
    """``[N, C, H, W]`` x 2 -> ``[N, D, H, W]`` with ``D = (2 * max_displacement / stride + 1)^2``."""
    n, c, h, w = f1.shape
    all_pairs = f1.reshape(n, c, h * w).transpose(1, 2) @ f2.reshape(n, c, h * w)  # [n, HW, HW]
    all_pairs = F.pad(all_pairs, (0, 1))  # a zero column for displacements outside the map
    index = displacement_index(h, w, max_displacement, stride, f1.device)
    rows = torch.arange(h * w, device=f1.device)[:, None]
    corr = all_pairs[:, rows, index]  # [n, HW, D]
    return (corr / c).transpose(1, 2).reshape(n, -1, h, w)
