"""How one fold is trained: the released optimiser and defaults, as a configuration."""
from __future__ import annotations

import dataclasses

from molkit.config import Config
from molkit.losses import LossWeights

BALANCE = ("none", "weights", "sampler")


@dataclasses.dataclass
class TrainConfig(Config):
    """Training of one fold. Defaults are the released code's (AdamW, lr 1e-4, weight decay 1e-3,
    no schedule, batch 32, 1000 steps, seed 2023).

    ``balance``: ``"none"`` as released, ``"weights"`` (class-weighted cross-entropy) or
    ``"sampler"`` (batches drawn with equal class probability). ``eval_every``: steps between
    evaluations on the selection subject(s) when a protocol selects a checkpoint (0: once per
    pass over the training set, as the released code evaluates every epoch). ``save_every``:
    steps between resumable training states. ``amp``: bf16 autocast, on CUDA only.
    ``deterministic``: deterministic algorithms (slower on GPU; CPU runs repeat exactly anyway
    for a given thread count).
    """

    steps: int = 1000
    batch_size: int = 32
    lr: float = 1e-4
    weight_decay: float = 1e-3
    loss: LossWeights = dataclasses.field(default_factory=LossWeights)
    seed: int = 2023
    device: str = "auto"
    amp: bool = True
    balance: str = "none"
    eval_every: int = 0
    save_every: int = 50
    log_every: int = 1
    workers: int = 0
    deterministic: bool = False

    def __post_init__(self) -> None:
        if self.balance not in BALANCE:
            raise ValueError(f"TrainConfig.balance must be one of {BALANCE}, not {self.balance!r}")
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError("TrainConfig.steps and batch_size must be positive")
