"""How one fold is trained: the released optimiser and defaults, as a configuration."""

from __future__ import annotations

import dataclasses
import math

from molkit.config import Config
from molkit.losses import LossWeights

BALANCE = ("none", "weights", "sampler")
SCHEDULES = ("constant", "cosine")
LANDMARK_INITS = ("released", "mean_shape")


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

    Departures the kit's recipe may take (:mod:`molkit.train.recipes`), released values as
    defaults: ``warmup_steps`` (linear warm-up of the learning rate), ``schedule``
    (``"constant"`` as released, or ``"cosine"`` decay to zero at the last step) and
    ``landmark_init`` (``"released"``, or ``"mean_shape"``: the landmark head's output bias starts
    at the training clips' mean shape instead of 0 px).

    ``init``: a checkpoint whose weights the model starts from instead of its random draw (weights
    only: no optimiser state, no step; names and shapes must match the model being built:
    :func:`molkit.train.checkpoint.init_weights`); None, as released: from scratch.
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
    warmup_steps: int = 0
    schedule: str = "constant"
    landmark_init: str = "released"
    init: str | None = None

    def __post_init__(self) -> None:
        for name, allowed in (
            ("balance", BALANCE),
            ("schedule", SCHEDULES),
            ("landmark_init", LANDMARK_INITS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"TrainConfig.{name} must be one of {allowed}, not {getattr(self, name)!r}")
        if self.steps < 1 or self.batch_size < 1 or self.warmup_steps < 0:
            raise ValueError("TrainConfig.steps and batch_size must be positive, warmup_steps not negative")

    def learning_rate(self, step: int) -> float:
        """The learning rate of (0-based) ``step``: warm-up, then constant or cosine decay."""
        scale = min(1.0, (step + 1) / self.warmup_steps) if self.warmup_steps else 1.0
        if self.schedule == "cosine":
            scale *= 0.5 * (1.0 + math.cos(math.pi * step / self.steps))
        return self.lr * scale
