"""Training settings of the onset->apex baselines (molkit's choices), as configurations."""

from __future__ import annotations

import dataclasses

from molkit.config import Config


@dataclasses.dataclass
class STSTNetConfig(Config):
    """Training of STSTNet on one fold: AdamW, ``steps`` batches of ``batch_size`` videos.
    ``eval_every``: steps between scores on the selection subject when a protocol picks the
    checkpoint (``inner-val``, ``released``)."""

    steps: int = 300
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    dropout: float = 0.5
    eval_every: int = 25


@dataclasses.dataclass
class LinearConfig(Config):
    """``C``: inverse L2 regularisation strength of ``LogisticRegression`` (lbfgs)."""

    C: float = 1.0
    max_iter: int = 5000
