"""Captum attribution of one class's MER logit to the input clip.

Every method returns a tensor shaped like the clips, ``[B, 1, T, H, W]``, on the model's device.
A MOL fed motion (``MOLConfig.motion``) is attributed to its frames only: its input's flow
channels are held as given (not perturbed, not attributed).

- ``ig``: Integrated Gradients from a zero clip (zero is the mean grey of a normalised clip);
- ``ig_noise``: the same averaged over noisy copies of the clip (SmoothGrad noise tunnel);
- ``occlusion``: drop of the logit when a square patch is greyed out in every frame at once;
- ``region_occlusion``: the same with each facial region (:mod:`molkit.attribution.regions`)
  greyed out as a whole, following the landmarks frame by frame;
- ``gradcam``: Grad-CAM on the outputs of MOL's two F5C blocks, upsampled to the crop; block A
  sees frames 1..T-1 and block B frames 2..T, so each frame gets the sum of the maps it entered.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from captum.attr import FeatureAblation, IntegratedGradients, LayerGradCam, NoiseTunnel, Occlusion
from torch import nn

from molkit.attribution.regions import region_index
from molkit.attribution.wrapper import MERLogits
from molkit.config import Config

METHODS: tuple[str, ...] = ("ig", "ig_noise", "occlusion", "region_occlusion", "gradcam")


@dataclasses.dataclass
class AttributionConfig(Config):
    """Cost knobs, small by default so that CPU runs stay short (a run profile's:
    :func:`molkit.run.configs.attribution_config_from_profile`)."""

    ig_steps: int = 8  # Riemann steps of Integrated Gradients
    noise_samples: int = 2  # noisy copies in the noise tunnel
    noise_std: float = 0.1  # their standard deviation (normalised intensities span about 1)
    window: int = 16  # occlusion patch side, pixels
    stride: int = 16  # occlusion patch stride, pixels
    batch_size: int = 2  # clips per Captum call
    perturbations: int = 8  # occluded copies per forward pass


@contextlib.contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _gradcam(
    model: nn.Module, clips: torch.Tensor, target: torch.Tensor, fixed: tuple | None
) -> torch.Tensor:
    """Grad-CAM of both F5C blocks, mapped back onto the frames they saw (``fixed``: the flow
    channels of a MOL fed motion, held)."""
    batch, _, frames, height, width = clips.shape
    pairs = frames - 1
    wrapped = MERLogits(model)
    maps = []
    for block in (model.block_a, model.block_b):
        cam = LayerGradCam(wrapped, block).attribute(
            clips, target=target, additional_forward_args=fixed, relu_attributions=True
        )
        cam = F.interpolate(
            cam.reshape(batch * pairs, 1, *cam.shape[-2:]),
            size=(height, width),
            mode="bilinear",
            align_corners=False,
        )
        maps.append(cam.reshape(batch, 1, pairs, height, width))
    out = clips.new_zeros(clips.shape)
    out[:, :, :pairs] += maps[0]
    out[:, :, 1:] += maps[1]
    return out


def _attribute_chunk(
    model: nn.Module,
    clips: torch.Tensor,
    motion: torch.Tensor | None,
    target: torch.Tensor,
    method: str,
    landmarks: torch.Tensor | None,
    config: AttributionConfig,
) -> torch.Tensor:
    wrapped = MERLogits(model)
    fixed = None if motion is None else (motion,)  # Captum repeats it beside each perturbed copy
    if method == "ig":
        return IntegratedGradients(wrapped).attribute(
            clips,
            baselines=0.0,
            target=target,
            additional_forward_args=fixed,
            n_steps=config.ig_steps,
            internal_batch_size=len(clips) * config.ig_steps,
        )
    if method == "ig_noise":
        return NoiseTunnel(IntegratedGradients(wrapped)).attribute(
            clips,
            nt_type="smoothgrad",
            nt_samples=config.noise_samples,
            nt_samples_batch_size=1,
            stdevs=config.noise_std,
            baselines=0.0,
            target=target,
            additional_forward_args=fixed,
            n_steps=config.ig_steps,
            internal_batch_size=len(clips) * config.ig_steps,
        )
    if method == "occlusion":
        frames = clips.shape[2]
        return Occlusion(wrapped).attribute(
            clips,
            sliding_window_shapes=(1, frames, config.window, config.window),
            strides=(1, frames, config.stride, config.stride),
            baselines=0.0,
            target=target,
            additional_forward_args=fixed,
            perturbations_per_eval=config.perturbations,
        )
    if method == "region_occlusion":
        if landmarks is None:
            raise ValueError("region_occlusion needs the landmarks of every frame, [B, T, 68, 2]")
        regions = region_index(landmarks, clips.shape[-1]).to(clips.device).unsqueeze(1)
        return FeatureAblation(wrapped).attribute(
            clips,
            baselines=0.0,
            target=target,
            additional_forward_args=fixed,
            feature_mask=regions,
            perturbations_per_eval=config.perturbations,
        )
    if method == "gradcam":
        return _gradcam(model, clips, target, fixed)
    raise ValueError(f"unknown attribution method {method!r}; choose one of {METHODS}")


def attribute(
    model: nn.Module,
    clips: torch.Tensor,
    target: int | torch.Tensor,
    method: str = "ig",
    landmarks: torch.Tensor | None = None,
    config: AttributionConfig | None = None,
) -> torch.Tensor:
    """Attribution of the logit of class ``target`` (one index, or one per clip) to ``clips``.

    ``clips`` is ``[B, 1, T, H, W]``, or a MOL fed motion's input ``[B, 3, T, H, W]``
    (:func:`molkit.model.model_input`: attributed to channel 0, the frames, its flow channels
    held); ``landmarks`` (``[B, T, 68, 2]``, crop pixels) is needed by ``region_occlusion`` only.
    Runs ``config.batch_size`` clips at a time on the model's device, in eval mode, and returns
    ``[B, 1, T, H, W]`` there.
    """
    config = config or AttributionConfig()
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; choose one of {METHODS}")
    if clips.dim() != 5:
        raise ValueError(
            f"clips must be [B, 1, T, H, W] (a MOL fed motion: its input, [B, 3, T, H, W]), "
            f"got {tuple(clips.shape)}"
        )
    device = next(model.parameters()).device
    clips = clips.to(device, torch.float32)
    motion = clips[:, 1:] if clips.shape[1] > 1 else None
    clips = clips[:, :1]
    target = torch.as_tensor(target, device=device).expand(len(clips))
    if landmarks is not None:
        landmarks = torch.as_tensor(landmarks)
        if landmarks.shape[:2] != (len(clips), clips.shape[2]):
            raise ValueError(
                f"landmarks must be [B, T, 68, 2] for clips {tuple(clips.shape)}, "
                f"got {tuple(landmarks.shape)}"
            )
    parts = []
    with _eval_mode(model):
        for start in range(0, len(clips), config.batch_size):
            part = slice(start, start + config.batch_size)
            parts.append(
                _attribute_chunk(
                    model,
                    clips[part],
                    None if motion is None else motion[part],
                    target[part],
                    method,
                    None if landmarks is None else landmarks[part],
                    config,
                ).detach()
            )
    return torch.cat(parts)
