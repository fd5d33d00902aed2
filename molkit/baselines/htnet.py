"""HTNet (Wang, Zhang, Luo and Sankaranarayana, "HTNet for micro-expression recognition",
Neurocomputing 602, 2024; arXiv 2307.14637) as its authors define it in their code
(github.com/wangzhifengharrison/HTNet, ``Model.py``, and ``main_HTNet.py`` for the sizes and the
training), in plain torch (their code uses einops), with their module names, so that a state
dict of theirs loads.

The input is the 28x28 onset->apex image of u, v and optical strain cut into four 14x14 facial
regions (:mod:`molkit.baselines.htnet_regions`), 0..255 as the public images are. ``Model.py``:

- patch embedding: 7x7 patches (a 4x4 map), each flattened (patch row, column, channel) and
  mapped by a 1x1 convolution to ``dim`` (256) channels;
- three hierarchies, from 4x4 blocks of the map to one: at each, the map is split into blocks
  that a transformer of ``block_repeats`` (2, 2, 10) layers reads on its own (a learned position
  term added to every channel; pre-norm layers of multi-head self-attention, ``dim // heads``
  channels a head, and a 4x feed-forward of 1x1 convolutions with GELU; norms over channels),
  then an aggregation (3x3 convolution to twice the channels, the channel norm, 3x3 max pooling
  of stride 2) halves the map and doubles the channels (256, 512, 1024; heads 3, 6, 12);
- head: the channel norm, the mean over the map and a linear layer to the classes.

At the released sizes every block holds one position (28 / 7 = 4 positions a side in 4x4 blocks,
then 2 in 2x2, then 1), so each attention reads a single token: the regions meet only in the
aggregations' 3x3 convolutions. That is the authors' network as released, kept.

Training (:func:`train_htnet`) is the authors' loop (``main_HTNet.py`` lines 240-301): Adam, the
training videos in their order in batches, cross-entropy, a score on the selection subject after
every ``eval_every`` epochs, the last best kept (``<=``, line 295). Which subject that is (and
whether any) is molkit's protocol (:mod:`molkit.train.protocols`); the authors select on the test
subject, molkit's ``released``."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from molkit.baselines.cnn import cnn_logits
from molkit.baselines.config import HTNetConfig
from molkit.baselines.features import CHANNELS, SIZE, VideoFeatures
from molkit.gpu import pick_device, seed_everything


class LayerNorm(nn.Module):
    """``Model.py``'s norm over the channels of ``[B, C, H, W]`` (biased variance, eps 1e-5)."""

    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.g = nn.Parameter(torch.ones(1, dim, 1, 1))
        self.b = nn.Parameter(torch.zeros(1, dim, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var, mean = torch.var_mean(x, dim=1, unbiased=False, keepdim=True)
        return (x - mean) / (var + self.eps).sqrt() * self.g + self.b


class Pointwise(nn.Conv2d):
    """A 1x1 convolution computed as a linear map of each position's channels: the same
    parameters and result, about 3x faster on CPU than the convolution on HTNet's small maps."""

    def __init__(self, dim: int, dim_out: int, bias: bool = True) -> None:
        super().__init__(dim, dim_out, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x.permute(0, 2, 3, 1), self.weight.flatten(1), self.bias).permute(
            0, 3, 1, 2
        )


class PreNorm(nn.Module):
    def __init__(self, dim: int, fn: nn.Module) -> None:
        super().__init__()
        self.norm = LayerNorm(dim)
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(self.norm(x))


class FeedForward(nn.Module):
    def __init__(self, dim: int, mult: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            Pointwise(dim, dim * mult),
            nn.GELU(),
            nn.Dropout(dropout),
            Pointwise(dim * mult, dim),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Attention(nn.Module):
    """Multi-head self-attention over the positions of ``[B, C, H, W]``; ``C // heads`` channels
    a head (``Model.py`` ignores HTNet's ``dim_head`` argument)."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        inner = (dim // heads) * heads
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.to_qkv = Pointwise(dim, inner * 3, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.to_out = nn.Sequential(Pointwise(inner, dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        q, k, v = (
            t.reshape(b, self.heads, -1, h * w).transpose(2, 3) for t in self.to_qkv(x).chunk(3, dim=1)
        )
        attention = self.dropout(torch.softmax(q @ k.transpose(2, 3) * self.scale, dim=-1))
        return self.to_out((attention @ v).transpose(2, 3).reshape(b, -1, h, w))


class Transformer(nn.Module):
    def __init__(self, dim: int, seq_len: int, depth: int, heads: int, mult: int, dropout: float) -> None:
        super().__init__()
        self.pos_emb = nn.Parameter(torch.randn(seq_len))
        self.layers = nn.ModuleList(
            nn.ModuleList(
                [PreNorm(dim, Attention(dim, heads, dropout)), PreNorm(dim, FeedForward(dim, mult, dropout))]
            )
            for _ in range(depth)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        x = x + self.pos_emb[: h * w].reshape(1, 1, h, w)
        for attention, feed_forward in self.layers:
            x = attention(x) + x
            x = feed_forward(x) + x
        return x


def aggregate(dim: int, dim_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(dim, dim_out, 3, padding=1), LayerNorm(dim_out), nn.MaxPool2d(3, stride=2, padding=1)
    )


class Patches(nn.Module):
    """``[B, C, H, W] -> [B, p*p*C, H/p, W/p]``: each p x p patch flattened as (row, column,
    channel), einops' ``b c (h p1) (w p2) -> b (p1 p2 c) h w``."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        p = self.size
        x = x.reshape(b, c, h // p, p, w // p, p).permute(0, 3, 5, 1, 2, 4)
        return x.reshape(b, p * p * c, h // p, w // p)


def to_blocks(x: torch.Tensor, n: int) -> torch.Tensor:
    """``[B, C, n*h, n*w] -> [B*n*n, C, h, w]`` (block row, then column, within each sample)."""
    b, c, height, width = x.shape
    x = x.reshape(b, c, n, height // n, n, width // n).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(b * n * n, c, height // n, width // n)


def from_blocks(x: torch.Tensor, n: int) -> torch.Tensor:
    """The inverse of :func:`to_blocks`."""
    bnn, c, h, w = x.shape
    x = x.reshape(bnn // (n * n), n, n, c, h, w).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(bnn // (n * n), c, n * h, n * w)


class MapMean(nn.Module):
    """``[B, C, H, W] -> [B, C]``: the mean over the map (einops' ``Reduce('b c h w -> b c', 'mean')``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


class HTNet(nn.Module):
    """``[B, 3, 28, 28] -> [B, n_classes]`` logits of the region mosaic (0..255)."""

    def __init__(self, n_classes: int = 3, config: HTNetConfig | None = None) -> None:
        super().__init__()
        config = config or HTNetConfig()
        fmap = SIZE // config.patch_size
        seq_len = (fmap // 2 ** (config.hierarchies - 1)) ** 2
        mults = [2**i for i in range(config.hierarchies)]
        dims = [m * config.dim for m in mults]
        dims.append(dims[-1])
        self.to_patch_embedding = nn.Sequential(
            Patches(config.patch_size), Pointwise(len(CHANNELS) * config.patch_size**2, dims[0])
        )
        self.layers = nn.ModuleList(
            nn.ModuleList(
                [
                    Transformer(
                        dims[i],
                        seq_len,
                        config.block_repeats[i],
                        mults[i] * config.heads,
                        config.mlp_mult,
                        config.dropout,
                    ),
                    aggregate(dims[i], dims[i + 1]) if i < config.hierarchies - 1 else nn.Identity(),
                ]
            )
            for i in range(config.hierarchies)
        )
        self.mlp_head = nn.Sequential(LayerNorm(dims[-1]), MapMean(), nn.Linear(dims[-1], n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.to_patch_embedding(x)
        for level, (transformer, aggregation) in zip(reversed(range(len(self.layers))), self.layers):
            blocks = 2**level
            x = aggregation(from_blocks(transformer(to_blocks(x, blocks)), blocks))
        return self.mlp_head(x)


def train_htnet(
    config: HTNetConfig,
    train: VideoFeatures,
    n_classes: int,
    seed: int,
    *,
    device: str = "auto",
    select: VideoFeatures | None = None,
) -> HTNet:
    """HTNet (made after seeding) trained on ``train`` (region mosaics, 0..255) with the authors'
    loop, in eval mode: with ``select`` the weights of the last epoch with the best accuracy on it,
    else the last epoch's."""
    if not len(train):
        raise ValueError("HTNet: no training video has an onset->apex flow")
    seed_everything(seed)
    where = pick_device(device)
    model = HTNet(n_classes, config).to(where)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    features = torch.as_tensor(train.features, dtype=torch.float32, device=where)
    labels = torch.tensor(train.labels, device=where)
    best: tuple[float, dict[str, torch.Tensor]] | None = None
    for epoch in range(1, config.epochs + 1):
        model.train()
        for start in range(0, len(features), config.batch_size):
            end = start + config.batch_size
            loss = nn.functional.cross_entropy(model(features[start:end]), labels[start:end])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if select is not None and len(select) and (epoch % config.eval_every == 0 or epoch == config.epochs):
            accuracy = float(np.mean(cnn_logits(model, select.features).argmax(axis=1) == select.labels))
            if best is None or accuracy >= best[0]:
                best = (accuracy, {k: v.detach().clone() for k, v in model.state_dict().items()})
    if best is not None:
        model.load_state_dict(best[1])
    return model.eval()
