"""GPU utilities: what can be checked on a CPU-only machine, and the CUDA paths when CUDA exists."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn

from molkit.gpu import autocast, channels_last, deterministic, maybe_compile, pick_device, seed_everything


def test_pick_device() -> None:
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            pick_device("cuda")


def test_autocast_is_a_no_op_on_cpu() -> None:
    a, b = torch.randn(4, 4), torch.randn(4, 4)
    with autocast(torch.device("cpu")):
        product = a @ b
    assert product.dtype == torch.float32
    torch.testing.assert_close(product, a @ b, rtol=0, atol=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_autocast_is_bf16_on_cuda() -> None:
    a = torch.randn(4, 4, device="cuda")
    with autocast(a.device):
        assert (a @ a).dtype == torch.bfloat16
    with autocast(a.device, enabled=False):
        assert (a @ a).dtype == torch.float32


def test_channels_last_changes_layout_not_results() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3),
        nn.ReLU(),
        nn.ConvTranspose2d(8, 4, 3),
        nn.Unflatten(1, (1, 4)),
        nn.Conv3d(1, 2, 3),
    )  # a 5-D weight stays as it is
    x = torch.randn(2, 3, 16, 16)
    expected = model(x)
    assert channels_last(model) is model
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert model[2].weight.is_contiguous(memory_format=torch.channels_last)
    assert model[4].weight.is_contiguous()
    torch.testing.assert_close(model(x.to(memory_format=torch.channels_last)), expected)


def test_maybe_compile_off_returns_the_model() -> None:
    model = nn.Linear(2, 2)
    assert maybe_compile(model, enabled=False) is model


def test_seed_everything_repeats_every_generator() -> None:
    def draw() -> tuple:
        return random.random(), float(np.random.rand()), torch.rand(1).item()

    seed_everything(5)
    first = draw()
    seed_everything(5)
    assert draw() == first
    seed_everything(6)
    assert draw() != first


def test_deterministic_toggles_torch() -> None:
    try:
        deterministic(enabled=True)
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    finally:
        deterministic(enabled=False)
    assert not torch.are_deterministic_algorithms_enabled()
