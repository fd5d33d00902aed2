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


@dataclasses.dataclass
class HTNetConfig(Config):
    """HTNet (:mod:`molkit.baselines.htnet`) and its training on one fold. The defaults are the
    authors' (github.com/wangzhifengharrison/HTNet, ``main_HTNet.py``): ``HTNet(image_size=28,
    patch_size=7, dim=256, heads=3, num_hierarchies=3, block_repeats=(2, 2, 10))`` (lines 222-231;
    ``mlp_mult`` 4 and ``dropout`` 0 are ``Model.py``'s defaults), Adam at ``lr`` 5e-5 for
    ``epochs`` 800 over the training videos in batches of ``batch_size`` 256, in order
    (lines 162-164, 240-268). ``eval_every``: epochs between scores on the selection subject when
    a protocol picks the weights (the authors score every epoch). ``rows_from_x``: the regions'
    rows come from the points' x, as the authors' crops index them
    (:mod:`molkit.baselines.htnet_regions`)."""

    epochs: int = 800
    batch_size: int = 256
    lr: float = 5e-5
    patch_size: int = 7
    dim: int = 256
    heads: int = 3
    hierarchies: int = 3
    block_repeats: tuple[int, ...] = (2, 2, 10)
    mlp_mult: int = 4
    dropout: float = 0.0
    eval_every: int = 1
    rows_from_x: bool = True

    def __post_init__(self) -> None:
        if len(self.block_repeats) != self.hierarchies:
            raise ValueError(
                f"HTNetConfig: block_repeats {self.block_repeats} needs one entry per hierarchy "
                f"({self.hierarchies})"
            )
        blocks = 2 ** (self.hierarchies - 1)
        if 28 % self.patch_size or (28 // self.patch_size) % blocks:
            raise ValueError(
                f"HTNetConfig: 28 px in patches of {self.patch_size} must split into {blocks}x{blocks} "
                f"blocks ({self.hierarchies} hierarchies)"
            )
        if min(self.epochs, self.batch_size, self.eval_every, self.heads) < 1 or self.dim < self.heads:
            raise ValueError(
                "HTNetConfig: epochs, batch_size, eval_every and heads must be positive, dim at least heads"
            )
