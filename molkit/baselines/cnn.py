"""Training and scoring of the CNN baselines on the onset->apex features (STSTNet, OFF-ApexNet):
one loop for both, so that they differ only in their layers; from scratch, or fine-tuned from given
weights (``init``: e.g. the network pre-trained on the twin)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from molkit.baselines.config import STSTNetConfig
from molkit.baselines.features import VideoFeatures
from molkit.gpu import pick_device, seed_everything
from molkit.metrics import summarize
from molkit.model.weights import load_weights
from molkit.sampling import batch_indices


def cnn_logits(model: nn.Module, features: np.ndarray) -> np.ndarray:
    """Logits ``[N, n_classes]`` of features ``[N, 3, 28, 28]`` (eval mode, no gradients)."""
    model.eval()
    with torch.no_grad():
        device = next(model.parameters()).device
        return model(torch.as_tensor(features, device=device)).float().cpu().numpy()


def train_cnn(
    network: type[nn.Module],
    config: STSTNetConfig,
    train: VideoFeatures,
    n_classes: int,
    seed: int,
    *,
    device: str = "auto",
    select: VideoFeatures | None = None,
    init: nn.Module | Mapping[str, torch.Tensor] | None = None,
) -> nn.Module:
    """``network(n_classes, config.dropout)`` (made after seeding; its per-channel ``scale``
    buffer is set here to the training features' standard deviation) trained on ``train`` with
    AdamW, in eval mode. With ``select`` the weights with the best accuracy on it (scored every ``eval_every``
    steps, first best wins) are kept, else the last. Runs on one CPU thread (a 28x28 net only
    loses time to thread hand-offs; the setting is restored afterwards).

    ``init`` (a module of the same network, or its state dict): a fine-tune. The network is made
    and seeded as from scratch (so the batches and dropout draws are those of a run from scratch
    with the same seed), then takes every parameter and buffer of ``init`` by name; a missing,
    extra or differently shaped one is a one-line ``ValueError`` naming it and both shapes
    (:func:`molkit.model.weights.load_weights`). The ``scale`` buffer is then the init's, not
    recomputed from ``train``: the pre-trained filters were learned on inputs divided by it, and a
    new scale would change what they see before the first step (BatchNorm's running statistics,
    also buffers, start from the init's too and move as training runs). Weights only: the
    optimiser starts afresh, ``config.steps`` steps."""
    if not len(train):
        raise ValueError(f"{network.__name__}: no training video has an onset->apex flow")
    weights = init.state_dict() if isinstance(init, nn.Module) else init
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(network, config, train, n_classes, seed, pick_device(device), select, weights)
    finally:
        torch.set_num_threads(threads)


def _train(
    network: type[nn.Module],
    config: STSTNetConfig,
    train: VideoFeatures,
    n_classes: int,
    seed: int,
    device: torch.device,
    select: VideoFeatures | None,
    init: Mapping[str, torch.Tensor] | None,
) -> nn.Module:
    seed_everything(seed)
    model = network(n_classes, config.dropout).to(device)
    if init is not None:  # the init's scale too (see train_cnn)
        load_weights(model, init, f"{network.__name__}: cannot start from the given weights")
    else:
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
            pred = cnn_logits(model, select.features).argmax(axis=1)
            accuracy = summarize(select.labels, pred, n_classes)["accuracy"]
            if best is None or accuracy > best[0]:
                best = (accuracy, {k: v.detach().clone() for k, v in model.state_dict().items()})
    if best is not None:
        model.load_state_dict(best[1])
    return model.eval()
