"""MOL's joint training loss: cross-entropy for MER plus weighted flow and landmark terms.

- MER: cross-entropy on the logits (optionally class-weighted).
- Flow: mean squared error over all elements of ``[B, T-1, 2, H, W]``, divided by T-1.
- Landmarks: per sample and predicted frame, the sum of absolute coordinate errors divided by that
  frame's ground-truth inter-pupil distance; summed over samples and frames, divided by B x 68.

These follow molkit's spec of the released training code. (The released ``train.py`` itself
takes ``nn.L1Loss()``, a mean over the 136 coordinates, and divides by (T-1) x 68: this landmark
term times B / (136 (T-1)).) Default weights are the released code's
(mer 1, flow 10, landmarks 0.5); the released README's command used landmarks 0.1.
"""

from __future__ import annotations

import dataclasses

import torch.nn.functional as F
from torch import Tensor

from molkit.config import Config
from molkit.model.landmark_head import N_LANDMARKS
from molkit.model.mol import MOLOutput

LEFT_EYE = slice(36, 42)
RIGHT_EYE = slice(42, 48)


@dataclasses.dataclass
class LossWeights(Config):
    mer: float = 1.0
    flow: float = 10.0
    landmarks: float = 0.5


def inter_pupil_distance(landmarks: Tensor) -> Tensor:
    """Distance between the eye centres (means of dlib points 36..41 and 42..47): ``[..., 68, 2]`` -> ``[...]``."""
    centres = landmarks[..., LEFT_EYE, :].mean(-2) - landmarks[..., RIGHT_EYE, :].mean(-2)
    return centres.norm(dim=-1)


def flow_loss(predicted: Tensor, target: Tensor) -> Tensor:
    """MSE over all elements of ``[B, T-1, 2, H, W]``, divided by T-1."""
    return F.mse_loss(predicted.float(), target.float()) / predicted.shape[1]


def landmark_loss(predicted: Tensor, target: Tensor) -> Tensor:
    """Inter-pupil-normalised L1 of ``[B, T-1, 68, 2]`` predictions, summed, divided by B x 68."""
    target = target.float()
    errors = (predicted.float() - target).abs().sum(dim=(-2, -1)) / inter_pupil_distance(target)
    return errors.sum() / (predicted.shape[0] * N_LANDMARKS)


def joint_loss(
    output: MOLOutput, batch: dict[str, Tensor], weights: LossWeights, class_weights: Tensor | None = None
) -> dict[str, Tensor]:
    """``total``, ``mer``, and ``flow`` / ``landmarks`` for the tasks the model ran.

    ``batch``: ``label`` ``[B]`` (long), ``flow`` ``[B, T-1, 2, H, W]``, ``landmarks``
    ``[B, T, 68, 2]`` (all frames; the model predicts frames 2..T, so ``[:, 1:]`` is used).
    """
    terms = {"mer": F.cross_entropy(output.logits.float(), batch["label"], weight=class_weights)}
    total = weights.mer * terms["mer"]
    if output.flow is not None:
        terms["flow"] = flow_loss(output.flow, batch["flow"])
        total = total + weights.flow * terms["flow"]
    if output.landmarks is not None:
        terms["landmarks"] = landmark_loss(output.landmarks, batch["landmarks"][:, 1:])
        total = total + weights.landmarks * terms["landmarks"]
    return {"total": total, **terms}
