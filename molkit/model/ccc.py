"""CCC, the channel correspondence ("graph-style") convolution, an EdgeConv over a k-NN graph.

With ``F`` the input flattened to ``[N, C, P]`` (C = 128 channels, P = 256 positions) and two
learned affine maps ``phi``, ``theta`` of R^P (released as ``Conv1d(1, P, kernel_size=P)``), every
channel c gets ``G[c] = max_m ReLU(phi(f_c) + theta(e_cm))`` where ``f_c = F[c, :]`` and ``e_cm``
depends on the reading:

- ``"released"`` (what the released code computes): the graph is over positions. Positions are
  compared by the cosine similarity of their C-vectors; ``idx[p, m]`` is the m-th nearest position
  of p (normally p itself first). ``d_cm[p] = F[c, idx[p, m]] - F[c, p]`` and ``e_cm = d_cm - f_c``
  (the released code subtracts twice).
- ``"paper"`` (the abstract's wording): the graph is over channels, ``idx[c, m]`` the m-th nearest
  channel by the cosine similarity of the P-vectors, and ``e_cm = f_idx[c,m] - f_c``.

Both readings share the parameters. Everything is batched: no loop over channels or neighbours.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

READINGS = ("released", "paper")


def nearest_neighbours(nodes: Tensor, k: int) -> Tensor:
    """Indices ``[N, V, k]`` of the k nodes most cosine-similar to each node of ``[N, V, D]``."""
    unit = F.normalize(nodes, dim=2)
    return (unit @ unit.transpose(1, 2)).topk(k, dim=-1).indices


class CCC(nn.Module):
    """CCC on ``[N, C, H, W]`` maps with ``H * W == positions``; returns ``G`` of the same shape."""

    def __init__(self, positions: int = 256, neighbours: int = 4, reading: str = "released") -> None:
        super().__init__()
        if reading not in READINGS:
            raise ValueError(f"CCC reading must be one of {READINGS}, got {reading!r}")
        self.neighbours = neighbours
        self.reading = reading
        self.phi = nn.Linear(positions, positions)
        self.theta = nn.Linear(positions, positions)

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        f = x.reshape(n, c, h * w)
        k = self.neighbours
        # theta is affine, theta(u - v) = theta(u) - W v, and only the neighbour term depends on m,
        # so the max over neighbours is taken before the rest is added.
        w_f = F.linear(f, self.theta.weight)  # W f_c without the bias
        if self.reading == "released":
            idx = nearest_neighbours(f.transpose(1, 2), k)  # [n, P, k] over positions
            flat = idx.transpose(1, 2).reshape(n, 1, k * h * w).expand(n, c, -1)
            neighbour = torch.gather(f, 2, flat).reshape(n, c, k, h * w)  # F[c, idx[p, m]] at [c, m, p]
            # e_cm = (neighbour - f_c) - f_c: the released double subtraction
            response = self.phi(f) - 2 * w_f + self.theta(neighbour).amax(dim=2)
        else:
            idx = nearest_neighbours(f, k)  # [n, c, k] over channels
            batch = torch.arange(n, device=x.device)[:, None, None]
            response = self.phi(f) - w_f + self.theta.bias + w_f[batch, idx].amax(dim=2)
        return response.relu().reshape(n, c, h, w)  # max of ReLU = ReLU of max
