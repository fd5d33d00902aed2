"""The F5C block: ``F = FCC(R)``, ``G = CCC(F)``, output ``F + G``.

Ablations: ``fcc=False`` skips FCC (``F = R``); ``ccc="none"`` skips CCC (output ``F``).
"""

from __future__ import annotations

from torch import Tensor, nn

from molkit.model.ccc import CCC
from molkit.model.fcc import FCC


class F5C(nn.Module):
    """One F5C block on ``[N, 128, 16, 16]`` stem features."""

    def __init__(self, *, fcc: bool = True, ccc: str = "released", neighbours: int = 4) -> None:
        super().__init__()
        self.fcc = FCC() if fcc else None
        self.ccc = None if ccc == "none" else CCC(neighbours=neighbours, reading=ccc)

    def forward(self, x: Tensor) -> Tensor:
        f = self.fcc(x) if self.fcc is not None else x
        return f + self.ccc(f) if self.ccc is not None else f
