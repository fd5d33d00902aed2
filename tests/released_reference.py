"""A slow, independent restatement of the released MOL computation, for tests and benchmarks.

Written from the released code's description (module names, loops and all): the frame-pair loop,
FCC with concatenation-based circular padding and its unused feed-forward branch, CCC as the
per-channel, per-neighbour loop of ``Conv1d(1, 256, 256)`` calls, the correlation as a loop over
the 441 displacements. Its ``state_dict()`` has the released key layout. The flow, landmark and MER
heads are molkit's own (their names already match the released ones).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molkit.model import FlowHead, LandmarkHead, MERHead


def naive_correlation(f1: Tensor, f2: Tensor, max_displacement: int = 20, stride: int = 2) -> Tensor:
    """One displacement at a time, zero outside the map, dy-major, divided by the channel count."""
    n, c, h, w = f1.shape
    out = []
    for dy in range(-max_displacement, max_displacement + 1, stride):
        for dx in range(-max_displacement, max_displacement + 1, stride):
            shifted = torch.zeros_like(f2)
            ys, yd = slice(max(dy, 0), h + min(dy, 0)), slice(max(-dy, 0), h + min(-dy, 0))
            xs, xd = slice(max(dx, 0), w + min(dx, 0)), slice(max(-dx, 0), w + min(-dx, 0))
            if ys.start < ys.stop and xs.start < xs.stop:
                shifted[:, :, yd, xd] = f2[:, :, ys, xs]
            out.append((f1 * shifted).sum(1) / c)
    return torch.stack(out, dim=1)


def knn_positions(f: Tensor, k: int) -> Tensor:
    """Released k-NN: cosine similarity between positions of ``[N, C, P]``; ``[N, P, k]``."""
    unit = f / f.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return torch.einsum("ncp,ncq->npq", unit, unit).topk(k, dim=-1).indices


def knn_channels(f: Tensor, k: int) -> Tensor:
    """Paper k-NN: cosine similarity between channels of ``[N, C, P]``; ``[N, C, k]``."""
    unit = f / f.norm(dim=2, keepdim=True).clamp_min(1e-12)
    return torch.einsum("ncp,ndp->ncd", unit, unit).topk(k, dim=-1).indices


class ReleasedCCC(nn.Module):
    """CCC as released: ``conv1`` is phi, ``conv2`` theta, one channel and one neighbour at a time."""

    def __init__(self, positions: int = 256, neighbours: int = 4, reading: str = "released") -> None:
        super().__init__()
        self.neighbours, self.reading = neighbours, reading
        self.conv1 = nn.Conv1d(1, positions, kernel_size=positions)
        self.conv2 = nn.Conv1d(1, positions, kernel_size=positions)

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        f = x.reshape(n, c, h * w)
        k = self.neighbours
        if self.reading == "paper":
            idx = knn_channels(f, k)
        else:
            idx = knn_positions(f, k)
            # D[b, ch, p, m] = F[b, ch, idx[b, p, m]] - F[b, ch, p]
            d = (
                torch.stack([torch.stack([f[i][:, idx[i, :, m]] for m in range(k)], -1) for i in range(n)])
                - f[..., None]
            )
        for ch in range(c):  # incremental concatenation, as released
            f_i = f[:, ch : ch + 1]  # [n, 1, P]
            for m in range(k):
                if self.reading == "released":
                    f_j = d[:, ch : ch + 1, :, m]
                else:
                    f_j = torch.stack([f[i, idx[i, ch, m]] for i in range(n)])[:, None]
                feat = torch.relu(self.conv1(f_i) + self.conv2(f_j - f_i))  # [n, P, 1]
                feats = feat if m == 0 else torch.cat([feats, feat], -1)
            aggregated = feats.max(-1).values[:, None]
            out = aggregated if ch == 0 else torch.cat([out, aggregated], 1)
        return out.reshape(n, c, h, w)


class ReleasedFCC(nn.Module):
    """FCC as released (concatenation for the circular wrap), with its never-called ``ffn``."""

    def __init__(self, dim: int = 64, meta: int = 32) -> None:
        super().__init__()
        self.dim = dim
        self.pre_Norm_1, self.pre_Norm_2 = nn.BatchNorm2d(dim), nn.BatchNorm2d(dim)
        for name in ("1_H", "2_H"):
            setattr(self, f"meta_kernel_{name}", nn.Parameter(torch.randn(dim, 1, meta, 1) * 0.1))
            setattr(self, f"meta_pe_{name}", nn.Parameter(torch.randn(1, dim, meta, 1)))
        for name in ("1_W", "2_W"):
            setattr(self, f"meta_kernel_{name}", nn.Parameter(torch.randn(dim, 1, 1, meta) * 0.1))
            setattr(self, f"meta_pe_{name}", nn.Parameter(torch.randn(1, dim, 1, meta)))
        for name in ("1_H", "1_W", "2_H", "2_W"):
            setattr(self, f"meta_{name}_bias", nn.Parameter(torch.randn(dim)))
        self.ffn = nn.Sequential(
            nn.BatchNorm2d(2 * dim),
            nn.Conv2d(2 * dim, 2, 1),
            nn.Hardswish(),
            nn.Dropout(0.0),
            nn.Conv2d(2, 2 * dim, 1),
            nn.Dropout(0.1),
        )

    def forward(self, x: Tensor) -> Tensor:
        x1, x2 = torch.chunk(x, 2, 1)
        r1, r2 = x1, x2
        s = x1.shape[2]
        x1 = self.pre_Norm_1(x1 + self.meta_pe_1_H[:, :, :s, :].expand(1, self.dim, s, s))
        x2 = self.pre_Norm_2(x2 + self.meta_pe_1_W[:, :, :, :s].expand(1, self.dim, s, s))
        y1 = F.conv2d(
            torch.cat((x1, x1[:, :, :-1]), 2),
            self.meta_kernel_1_H[:, :, :s],
            self.meta_1_H_bias,
            groups=self.dim,
        )
        y2 = F.conv2d(
            torch.cat((x2, x2[..., :-1]), 3),
            self.meta_kernel_1_W[..., :s],
            self.meta_1_W_bias,
            groups=self.dim,
        )
        y1 = y1 + self.meta_pe_2_W[..., :s]
        y2 = y2 + self.meta_pe_2_H[:, :, :s]
        z1 = F.conv2d(
            torch.cat((y1, y1[..., :-1]), 3),
            self.meta_kernel_2_W[..., :s],
            self.meta_2_W_bias,
            groups=self.dim,
        )
        z2 = F.conv2d(
            torch.cat((y2, y2[:, :, :-1]), 2),
            self.meta_kernel_2_H[:, :, :s],
            self.meta_2_H_bias,
            groups=self.dim,
        )
        return torch.cat((r1 + z1, r2 + z2), 1)


class ConvStack(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv_stack = nn.Sequential(
            nn.Conv2d(1, 8, 4, 2),
            nn.Conv2d(8, 32, 3, 2),
            nn.Conv2d(32, 64, 2, 2, padding=1),
            nn.Conv2d(64, 128, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.conv_stack(x)


class ReleasedMOL(nn.Module):
    """The released network, pair by pair. Input ``[B, 1, 128, 128, T]`` (time last, as released);
    returns ``(logits, [flow of pair k], [landmarks of frame k+1 as B x 136])``."""

    def __init__(
        self, n_classes: int = 5, neighbours: int = 4, frames: int = 8, flow_width: float = 1.0
    ) -> None:
        super().__init__()
        self.conv_stack = ConvStack()
        self.FCC_1, self.FCC_2 = ReleasedFCC(), ReleasedFCC()
        self.CCC_1, self.CCC_2 = ReleasedCCC(neighbours=neighbours), ReleasedCCC(neighbours=neighbours)
        self.flownet = FlowHead(flow_width)
        self.mer_3dcnn = MERHead(n_classes, maps=2 * (frames - 1))
        self.ldm_predictor = LandmarkHead()

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        maps, flows, landmarks = [], [], []
        for k in range(x.shape[-1] - 1):
            first, second = x[..., k], x[..., k + 1]
            a = self.FCC_1(self.conv_stack(first))
            b = self.FCC_2(self.conv_stack(second))
            a = a + self.CCC_1(a)
            b = b + self.CCC_2(b)
            maps += [a, b]
            landmarks.append(self.ldm_predictor(b).reshape(len(b), -1))
            pair = torch.stack([first, second], 1)
            flows.append(self.flownet(pair, torch.cat([a, b], 1)[:, None])[:, 0])
        logits = self.mer_3dcnn(torch.stack(maps, -1))
        return logits, flows, landmarks
