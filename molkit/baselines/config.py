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
class OFFApexNetConfig(STSTNetConfig):
    """Training of OFF-ApexNet on one fold: the same settings and loop as STSTNet's (molkit's
    choice: the authors' optimiser, rate, epochs and batch could not be read in a source reachable
    here; see :mod:`molkit.baselines.offapexnet`). ``dropout``: after each hidden dense layer."""


@dataclasses.dataclass
class LinearConfig(Config):
    """``C``: inverse L2 regularisation strength of ``LogisticRegression`` (lbfgs)."""

    C: float = 1.0
    max_iter: int = 5000


@dataclasses.dataclass
class LBPTOPConfig(Config):
    """The LBP-TOP baseline: uniform LBP codes (scikit-image ``local_binary_pattern``, method
    ``mapping``: "nri_uniform" gives the 59 uniform patterns of P=8, "uniform" their 10
    rotation-invariant groups) of ``points`` neighbours at ``radius`` px (in space and time) on
    the XY, XT and YT planes, histogrammed per block of a ``blocks`` x ``blocks`` grid, into a
    linear SVM (scikit-learn ``LinearSVC(C=C)``, one-vs-rest, at most ``max_iter`` passes)."""

    points: int = 8
    radius: int = 1
    blocks: int = 5
    mapping: str = "nri_uniform"
    C: float = 1.0
    max_iter: int = 10000

    def __post_init__(self) -> None:
        if self.mapping not in ("nri_uniform", "uniform"):
            raise ValueError(
                f"LBPTOPConfig: mapping must be 'nri_uniform' or 'uniform', not {self.mapping!r}"
            )
        if self.radius < 1 or self.points < 1 or self.blocks < 1:
            raise ValueError("LBPTOPConfig: points, radius and blocks must be positive")
