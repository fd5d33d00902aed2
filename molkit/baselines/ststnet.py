"""STSTNet (Liong et al., "Shallow Triple Stream Three-dimensional CNN for micro-expression
recognition", IEEE FG 2019) as its authors define it in their PyTorch code
(github.com/christy1206/STSTNet, ``main.py``): three parallel 3x3 convolutions of 3, 5 and 8
filters with **padding 2** over the 28x28x3 onset->apex input (u, v, optical strain), each
followed by ReLU, then batch normalisation, 3x3 max pooling of stride 3 and padding 1 (30 -> 10)
and dropout; the 16 maps concatenated, 2x2 average pooling of stride 2 (5x5x16 = 400) and one
fully connected layer to the classes. molkit's earlier version padded the convolutions by 1 (as
MEB's re-implementation does): the same parameter count and output sizes, but different
outputs, so the authors' released weights would not have given their predictions. That padding
was wrong; the authors' 2 is used now (:mod:`molkit.baselines.ststnet_official` loads their
weights)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from molkit.baselines.config import STSTNetConfig
from molkit.baselines.features import CHANNELS, VideoFeatures
from molkit.gpu import pick_device, seed_everything
from molkit.metrics import summarize
from molkit.train.sampling import batch_indices

STREAMS = (3, 5, 8)
PADDING = 2  # the authors' main.py (molkit used 1 before: wrong)


class STSTNet(nn.Module):
    """``[B, 3, 28, 28] -> [B, n_classes]`` logits. Inputs are divided by ``scale`` (per channel,
    set from the training features: sub-pixel flows are far below unit size)."""

    def __init__(self, n_classes: int = 3, dropout: float = 0.5) -> None:
        super().__init__()
        self.streams = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(len(CHANNELS), filters, 3, padding=PADDING),
                nn.ReLU(),
                nn.BatchNorm2d(filters),
                nn.MaxPool2d(3, stride=3, padding=1),
                nn.Dropout(dropout),
            )
            for filters in STREAMS
        )
        self.pool = nn.AvgPool2d(2, stride=2)
        self.fc = nn.Linear(sum(STREAMS) * 5 * 5, n_classes)
        self.register_buffer("scale", torch.ones(len(CHANNELS)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x / self.scale[:, None, None]
        x = torch.cat([stream(x) for stream in self.streams], dim=1)
        return self.fc(self.pool(x).flatten(1))


def _logits(model: STSTNet, features: np.ndarray, device: torch.device) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(features, device=device)).float().cpu().numpy()


def train_ststnet(
    config: STSTNetConfig,
    train: VideoFeatures,
    n_classes: int,
    seed: int,
    device: str = "auto",
    select: VideoFeatures | None = None,
) -> STSTNet:
    """STSTNet trained on ``train`` (eval mode). With ``select`` the weights with the best
    accuracy on it (scored every ``eval_every`` steps, first best wins) are kept, else the last.
    Runs on one CPU thread (a 28x28 net only loses time to thread hand-offs; the setting is
    restored afterwards)."""
    if not len(train):
        raise ValueError("STSTNet: no training video has an onset->apex flow")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(config, train, n_classes, seed, pick_device(device), select)
    finally:
        torch.set_num_threads(threads)


def _train(
    config: STSTNetConfig,
    train: VideoFeatures,
    n_classes: int,
    seed: int,
    device: torch.device,
    select: VideoFeatures | None,
) -> STSTNet:
    seed_everything(seed)
    model = STSTNet(n_classes, config.dropout).to(device)
    scale = train.features.std(axis=(0, 2, 3))
    model.scale.copy_(torch.as_tensor(np.where(scale > 0, scale, 1.0)))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    features = torch.as_tensor(train.features, device=device)
    labels = torch.tensor(train.labels, device=device)
    best: tuple[float, dict[str, torch.Tensor]] | None = None
    for step in range(config.steps):
        model.train()
        batch = torch.as_tensor(batch_indices(train.labels, config.batch_size, step, seed), device=device)
        loss = nn.functional.cross_entropy(model(features[batch]), labels[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        done = step + 1
        if select is not None and len(select) and (done % config.eval_every == 0 or done == config.steps):
            pred = _logits(model, select.features, device).argmax(axis=1)
            accuracy = summarize(select.labels, pred, n_classes)["accuracy"]
            if best is None or accuracy > best[0]:
                best = (accuracy, {k: v.detach().clone() for k, v in model.state_dict().items()})
    if best is not None:
        model.load_state_dict(best[1])
    return model.eval()


def ststnet_logits(model: STSTNet, features: np.ndarray) -> np.ndarray:
    """Logits ``[N, n_classes]`` of features ``[N, 3, 28, 28]``."""
    return _logits(model, features, next(model.parameters()).device)
