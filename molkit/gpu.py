"""Device choice and the switches that make training fast on a GPU and reproducible anywhere.

On CUDA: bf16 autocast, channels_last memory format and (optionally) ``torch.compile``.
On CPU every one of them is a harmless no-op, so the same training code runs on both.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn


def pick_device(preference: str = "auto") -> torch.device:
    """``"auto"``: CUDA when present, else CPU; otherwise the named device (``"cpu"``, ``"cuda:1"``)."""
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(preference)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {preference!r} requested but CUDA is not available")
    return device


@contextlib.contextmanager
def autocast(device: torch.device | str, *, enabled: bool = True) -> Iterator[None]:
    """bf16 mixed precision on CUDA; nothing at all on CPU (float32 stays float32)."""
    device = torch.device(device)
    if enabled and device.type == "cuda":
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
            yield
    else:
        yield


def channels_last(model: nn.Module) -> nn.Module:
    """Store the 2-D (transposed) convolution weights as NHWC, for faster cuDNN kernels; other
    parameters (Conv3d, Linear) keep their layout. Returns the model."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            module.to(memory_format=torch.channels_last)
    return model


def maybe_compile(model: nn.Module, enabled: bool) -> nn.Module:
    """``torch.compile(model)`` when enabled, else the model unchanged."""
    return torch.compile(model) if enabled else model


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (every device)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def deterministic(*, enabled: bool = True) -> None:
    """Ask torch for deterministic kernels (slower on GPU), or, with ``False``, for the fast ones
    (cuDNN autotuning on). Ops without a deterministic CUDA kernel (e.g. MaxPool3d's backward)
    warn instead of failing."""
    if enabled:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(enabled, warn_only=True)
    torch.backends.cudnn.deterministic = enabled
    torch.backends.cudnn.benchmark = not enabled
