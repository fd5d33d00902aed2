"""FCC, the fully-connected ("transformer-style") convolution: a position-aware circular
depthwise convolution (as in ParC-Net) whose kernels span the whole feature map.

Channels are split in halves a and b. Half a is convolved along H then W, half b along W then H,
each stage after adding a positional embedding; BatchNorm before, a residual around, no
nonlinearity. Kernels and embeddings are stored with length 32 ("meta" size) and cropped to the map
size (16). Parameter names follow the released checkpoint, so that loading one is a prefix rename.
The released module's unused feed-forward branch is not built.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def circular_conv(x: Tensor, kernel: Tensor, bias: Tensor | None, dim: int) -> Tensor:
    """Depthwise circular correlation along ``dim`` (2 = H, 3 = W) of ``x`` ``[N, C, H, W]``.

    ``y[c, i] = bias[c] + sum_t kernel[c, t] * x[c, (i + t) mod L]`` with ``kernel`` a depthwise
    conv weight ``[C, 1, L, 1]`` (dim 2) or ``[C, 1, 1, L]`` (dim 3) and ``L`` the axis length.
    """
    length = x.shape[dim]
    pad = (0, 0, 0, length - 1) if dim == 2 else (0, length - 1, 0, 0)
    return F.conv2d(F.pad(x, pad, mode="circular"), kernel, bias, groups=x.shape[1])


def _crop(parameter: Tensor, size: int, dim: int) -> Tensor:
    return parameter.narrow(dim, 0, size)


class FCC(nn.Module):
    """FCC on ``[N, 2 * dim, S, S]`` feature maps (S <= ``meta_size``); output has the same shape."""

    def __init__(self, dim: int = 64, meta_size: int = 32) -> None:
        super().__init__()
        self.dim = dim
        self.pre_Norm_1 = nn.BatchNorm2d(dim)
        self.pre_Norm_2 = nn.BatchNorm2d(dim)
        # depthwise kernels, initialised like the Conv2d weights the released code took them from
        self.meta_kernel_1_H = nn.Conv2d(dim, dim, (meta_size, 1), groups=dim).weight
        self.meta_kernel_1_W = nn.Conv2d(dim, dim, (1, meta_size), groups=dim).weight
        self.meta_kernel_2_H = nn.Conv2d(dim, dim, (meta_size, 1), groups=dim).weight
        self.meta_kernel_2_W = nn.Conv2d(dim, dim, (1, meta_size), groups=dim).weight
        self.meta_1_H_bias = nn.Parameter(torch.randn(dim))
        self.meta_1_W_bias = nn.Parameter(torch.randn(dim))
        self.meta_2_H_bias = nn.Parameter(torch.randn(dim))
        self.meta_2_W_bias = nn.Parameter(torch.randn(dim))
        self.meta_pe_1_H = nn.Parameter(torch.randn(1, dim, meta_size, 1))
        self.meta_pe_1_W = nn.Parameter(torch.randn(1, dim, 1, meta_size))
        self.meta_pe_2_H = nn.Parameter(torch.randn(1, dim, meta_size, 1))
        self.meta_pe_2_W = nn.Parameter(torch.randn(1, dim, 1, meta_size))

    @torch.no_grad()
    def scale_embeddings(self, std: float) -> None:
        """Scale the positional embeddings and the circular convolutions' biases, which the
        released init draws from N(0, 1), to standard deviation ``std`` (the other parameters and
        the random stream stay as released)."""
        for name, parameter in self.named_parameters():
            if name.startswith("meta_pe") or name.endswith("_bias"):
                parameter.mul_(std)

    def forward(self, x: Tensor) -> Tensor:
        a0, b0 = torch.chunk(x, 2, dim=1)
        s = x.shape[2]
        a = self.pre_Norm_1(a0 + _crop(self.meta_pe_1_H, s, 2))
        b = self.pre_Norm_2(b0 + _crop(self.meta_pe_1_W, s, 3))
        a = circular_conv(a, _crop(self.meta_kernel_1_H, s, 2), self.meta_1_H_bias, dim=2)
        b = circular_conv(b, _crop(self.meta_kernel_1_W, s, 3), self.meta_1_W_bias, dim=3)
        a = a + _crop(self.meta_pe_2_W, s, 3)
        b = b + _crop(self.meta_pe_2_H, s, 2)
        a = circular_conv(a, _crop(self.meta_kernel_2_W, s, 3), self.meta_2_W_bias, dim=3)
        b = circular_conv(b, _crop(self.meta_kernel_2_H, s, 2), self.meta_2_H_bias, dim=2)
        return torch.cat((a0 + a, b0 + b), dim=1)
