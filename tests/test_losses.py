"""The joint loss against loops written out here."""

from __future__ import annotations

import math

import pytest
import torch

from molkit.losses import LossWeights, inter_pupil_distance, joint_loss
from molkit.model import MOLOutput


def make(b: int = 3, t: int = 4, classes: int = 5, seed: int = 0) -> tuple[MOLOutput, dict]:
    g = torch.Generator().manual_seed(seed)
    output = MOLOutput(
        logits=torch.randn(b, classes, generator=g),
        flow=torch.randn(b, t - 1, 2, 8, 8, generator=g),
        landmarks=torch.rand(b, t - 1, 68, 2, generator=g) * 100,
    )
    batch = {
        "label": torch.randint(0, classes, (b,), generator=g),
        "flow": torch.randn(b, t - 1, 2, 8, 8, generator=g),
        "landmarks": torch.rand(b, t, 68, 2, generator=g) * 100,
    }
    return output, batch


def test_inter_pupil_distance_of_a_known_face() -> None:
    points = torch.zeros(68, 2)
    points[36:42] = torch.tensor([40.0, 50.0])
    points[42:48] = torch.tensor([70.0, 90.0])
    assert inter_pupil_distance(points).item() == pytest.approx(50.0)


def test_every_term_equals_its_loop() -> None:
    output, batch = make()
    b, t1 = output.flow.shape[:2]
    weights = LossWeights(mer=0.7, flow=3.0, landmarks=0.2)
    losses = joint_loss(output, batch, weights)

    mer = -sum(torch.log_softmax(output.logits[i], 0)[batch["label"][i]] for i in range(b)) / b
    flow_se = sum(
        float((output.flow[i, k] - batch["flow"][i, k]).pow(2).sum()) for i in range(b) for k in range(t1)
    )
    flow = flow_se / output.flow.numel() / t1
    landmarks = 0.0
    for i in range(b):
        for k in range(t1):
            truth = batch["landmarks"][i, k + 1]  # the model predicts frames 2..T
            left, right = truth[36:42].mean(0), truth[42:48].mean(0)
            ipd = math.dist(left.tolist(), right.tolist())
            error = sum(
                abs(float(output.landmarks[i, k, p, d] - truth[p, d])) for p in range(68) for d in range(2)
            )
            landmarks += error / ipd
    landmarks /= b * 68

    assert losses["mer"].item() == pytest.approx(float(mer), rel=1e-5)
    assert losses["flow"].item() == pytest.approx(flow, rel=1e-5)
    assert losses["landmarks"].item() == pytest.approx(landmarks, rel=1e-5)
    expected = 0.7 * float(mer) + 3.0 * flow + 0.2 * landmarks
    assert losses["total"].item() == pytest.approx(expected, rel=1e-5)


def test_class_weights_match_weighted_cross_entropy_by_hand() -> None:
    output, batch = make(b=6, seed=1)
    output.flow = output.landmarks = None
    weights = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5])
    losses = joint_loss(output, batch, LossWeights(), class_weights=weights)
    nll = -torch.log_softmax(output.logits, 1)[torch.arange(6), batch["label"]]
    w = weights[batch["label"]]
    assert losses["mer"].item() == pytest.approx(float((w * nll).sum() / w.sum()), rel=1e-5)


def test_disabled_tasks_have_no_term() -> None:
    output, batch = make(seed=2)
    output.flow = None
    losses = joint_loss(output, batch, LossWeights())
    assert set(losses) == {"total", "mer", "landmarks"}
    assert losses["total"].item() == pytest.approx(
        losses["mer"].item() + 0.5 * losses["landmarks"].item(), rel=1e-6
    )


def test_released_default_weights() -> None:
    assert LossWeights() == LossWeights(mer=1.0, flow=10.0, landmarks=0.5)
    assert LossWeights.from_yaml(LossWeights(landmarks=0.1).to_yaml()).landmarks == 0.1
