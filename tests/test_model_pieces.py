"""Each vectorised piece of the MOL network against a naive implementation written out here."""

from __future__ import annotations

import pytest
import torch
from released_reference import ReleasedCCC, ReleasedFCC, naive_correlation

from molkit.model import CCC, FCC, circular_conv, correlation
from molkit.model.correlation import displacement_index


def roll_sum(x: torch.Tensor, kernel: torch.Tensor, bias: torch.Tensor, dim: int) -> torch.Tensor:
    """y = bias + sum_t kernel[:, t] * roll(x, -t) along dim: the circular convolution by definition."""
    taps = kernel.reshape(kernel.shape[0], -1)
    out = bias[None, :, None, None].expand_as(x).clone()
    for t in range(x.shape[dim]):
        out = out + taps[None, :, t, None, None] * torch.roll(x, -t, dims=dim)
    return out


@pytest.mark.parametrize("dim", [2, 3])
def test_circular_conv_is_a_sum_of_rolls(dim: int) -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 5, 7, 9)
    length = x.shape[dim]
    kernel = torch.randn(5, 1, length, 1) if dim == 2 else torch.randn(5, 1, 1, length)
    bias = torch.randn(5)
    torch.testing.assert_close(circular_conv(x, kernel, bias, dim), roll_sum(x, kernel, bias, dim))


@pytest.mark.parametrize("train", [False, True])
def test_fcc_equals_the_released_restatement(train: bool) -> None:
    torch.manual_seed(1)
    reference = ReleasedFCC()
    for norm in (reference.pre_Norm_1, reference.pre_Norm_2):  # non-trivial eval statistics
        norm.running_mean.uniform_(-1, 1)
        norm.running_var.uniform_(0.5, 2)
    fcc = FCC()
    missing, unexpected = fcc.load_state_dict(reference.state_dict(), strict=False)
    assert not missing and unexpected and all(k.startswith("ffn.") for k in unexpected)
    fcc.train(train), reference.train(train)
    x = torch.randn(3, 128, 16, 16)
    torch.testing.assert_close(fcc(x), reference(x), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("reading", ["released", "paper"])
def test_ccc_equals_the_per_channel_per_neighbour_loop(reading: str) -> None:
    torch.manual_seed(2)
    reference = ReleasedCCC(neighbours=4, reading=reading).double()
    ccc = CCC(neighbours=4, reading=reading).double()
    ccc.phi.weight.data = reference.conv1.weight.data.reshape(256, 256)
    ccc.phi.bias.data = reference.conv1.bias.data
    ccc.theta.weight.data = reference.conv2.weight.data.reshape(256, 256)
    ccc.theta.bias.data = reference.conv2.bias.data
    x = torch.randn(2, 16, 16, 16, dtype=torch.float64)  # 16 channels keep the loop short
    expected = reference(x)
    torch.testing.assert_close(ccc(x), expected)
    torch.testing.assert_close(ccc.float()(x.float()), expected.float(), rtol=1e-4, atol=1e-4)


def test_released_ccc_with_one_neighbour_picks_the_position_itself() -> None:
    """k = 1: a position's nearest position is itself, so d = 0, the edge is -f and
    G = ReLU(phi(f) + theta(-f))."""
    torch.manual_seed(3)
    ccc = CCC(neighbours=1, reading="released")
    x = torch.randn(2, 8, 16, 16)
    f = x.reshape(2, 8, 256)
    torch.testing.assert_close(ccc(x), torch.relu(ccc.phi(f) + ccc.theta(-f)).reshape_as(x))


def test_correlation_equals_the_441_displacement_loop() -> None:
    torch.manual_seed(4)
    f1, f2 = torch.randn(3, 32, 16, 16), torch.randn(3, 32, 16, 16)
    fast = correlation(f1, f2)
    assert fast.shape == (3, 441, 16, 16)
    torch.testing.assert_close(fast, naive_correlation(f1, f2), rtol=1e-5, atol=1e-5)


def test_correlation_on_a_non_square_map_with_other_displacements() -> None:
    torch.manual_seed(5)
    f1, f2 = torch.randn(2, 4, 5, 7), torch.randn(2, 4, 5, 7)
    torch.testing.assert_close(correlation(f1, f2, 3, 1), naive_correlation(f1, f2, 3, 1))


def test_displacement_index_finds_a_shifted_copy() -> None:
    """f2 = f1 shifted by (dy, dx) = (2, -4): the correlation peaks at that displacement's channel."""
    torch.manual_seed(6)
    f1 = torch.randn(1, 64, 16, 16)
    f2 = torch.roll(f1, shifts=(2, -4), dims=(2, 3))
    corr = correlation(f1, f2)[0, :, 6, 6]
    assert corr.argmax().item() == (2 // 2 + 10) * 21 + (-4 // 2 + 10)
    assert displacement_index(16, 16).max().item() == 256  # the "outside" marker is used


def test_ccc_gradcheck_both_readings() -> None:
    torch.manual_seed(7)
    for reading in ("released", "paper"):
        ccc = CCC(positions=9, neighbours=3, reading=reading).double()
        x = torch.randn(2, 5, 3, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(ccc, (x,), eps=1e-6, atol=1e-5)


def test_fcc_gradcheck() -> None:
    torch.manual_seed(8)
    fcc = FCC(dim=2, meta_size=8).double()
    x = torch.randn(2, 4, 4, 4, dtype=torch.float64, requires_grad=True)  # S = 4 < 8: cropped kernels
    assert torch.autograd.gradcheck(fcc, (x,), eps=1e-6, atol=1e-5)
    # and with respect to the kernels and positional embeddings
    params = (fcc.meta_kernel_1_H, fcc.meta_pe_2_W)

    def as_function(kernel: torch.Tensor, pe: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(fcc, {"meta_kernel_1_H": kernel, "meta_pe_2_W": pe}, (x,))

    assert torch.autograd.gradcheck(
        as_function, tuple(p.detach().clone().requires_grad_() for p in params), eps=1e-6, atol=1e-5
    )
