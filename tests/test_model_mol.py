"""The assembled MOL: shapes, size, batched == per-pair in eval mode, released checkpoints, training."""

from __future__ import annotations

import itertools

import pytest
import torch
from released_reference import ReleasedMOL
from torch import nn

from molkit.losses import LossWeights, joint_loss
from molkit.model import MOL, MOLConfig, from_released_state_dict, load_released_checkpoint


def randomise_batch_norms(model: nn.Module) -> None:
    """Non-trivial BatchNorm statistics and affine parameters, so that eval-mode parity means something."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)


@pytest.fixture(scope="module")
def clip() -> torch.Tensor:
    torch.manual_seed(0)
    return torch.randn(1, 1, 8, 128, 128)


def test_parameter_count_of_the_faithful_model() -> None:
    model = MOL(MOLConfig(n_classes=5))
    assert sum(p.numel() for p in model.parameters()) == 44_103_583
    assert sum(p.numel() for p in ReleasedMOL().parameters()) == 44_105_379  # with the unused FFN


@pytest.mark.parametrize(
    "ccc,fcc,flow,landmarks",
    [
        *itertools.product(["released", "paper", "none"], [True], [True, False], [True, False]),
        ("released", False, True, True),
    ],
)
def test_shapes_for_every_reading_and_task_combination(clip, ccc, fcc, flow, landmarks) -> None:
    config = MOLConfig(n_classes=3, ccc=ccc, fcc=fcc, flow=flow, landmarks=landmarks, flow_width=0.125)
    model = MOL(config).eval()
    assert (model.flow_head is None) != flow and (model.landmark_head is None) != landmarks
    with torch.no_grad():
        out = model(clip)
    assert out.logits.shape == (1, 3)
    assert out.flow is None if not flow else out.flow.shape == (1, 7, 2, 128, 128)
    assert out.landmarks is None if not landmarks else out.landmarks.shape == (1, 7, 68, 2)


def test_other_clip_lengths_and_bad_input() -> None:
    model = MOL(MOLConfig(frames=5, flow=False)).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 1, 5, 128, 128)).landmarks.shape == (2, 4, 68, 2)
    with pytest.raises(ValueError, match="expects clips"):
        model(torch.randn(2, 1, 8, 128, 128))
    with pytest.raises(ValueError, match="ccc"):
        MOLConfig(ccc="graph")


def test_batched_model_equals_a_per_pair_loop_of_its_own_modules() -> None:
    """Paper reading, narrow flow head: the per-pair loop calls the same modules one pair at a time."""
    torch.manual_seed(1)
    model = MOL(MOLConfig(ccc="paper", flow_width=0.125))
    randomise_batch_norms(model)
    model.eval()
    x = torch.randn(2, 1, 8, 128, 128)
    with torch.no_grad():
        out = model(x)
        maps, flows, landmarks = [], [], []
        for k in range(7):
            first, second = x[:, :, k], x[:, :, k + 1]
            a = model.block_a(model.stem(first))
            b = model.block_b(model.stem(second))
            maps += [a, b]
            flows.append(
                model.flow_head(torch.stack([first, second], 1), torch.cat([a, b], 1)[:, None])[:, 0]
            )
            landmarks.append(model.landmark_head(b))
        logits = model.mer_head(torch.stack(maps, -1))
    torch.testing.assert_close(out.logits, logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out.flow, torch.stack(flows, 1), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out.landmarks, torch.stack(landmarks, 1), rtol=1e-4, atol=1e-4)


@pytest.fixture(scope="module")
def released() -> ReleasedMOL:
    """The released computation with random weights (full width, as a released checkpoint has),
    on 4-frame clips to keep its slow loops short."""
    torch.manual_seed(2)
    reference = ReleasedMOL(n_classes=5, frames=4)
    randomise_batch_norms(reference)
    return reference.eval()


def test_released_checkpoint_loads_and_matches_the_released_computation(released, tmp_path) -> None:
    state = released.state_dict()
    assert any(".ffn." in k for k in state) and "CCC_1.conv1.weight" in state
    path = tmp_path / "released.pt"
    torch.save(state, path)
    model = load_released_checkpoint(path, frames=4).eval()
    assert model.config.ccc == "released" and model.config.flow_width == 1.0
    clip = torch.randn(2, 1, 4, 128, 128)
    with torch.no_grad():
        out = model(clip)
        logits, flows, landmarks = released(clip.permute(0, 1, 3, 4, 2))  # released: time last
    torch.testing.assert_close(out.logits, logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out.flow, torch.stack(flows, 1), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out.landmarks.flatten(2), torch.stack(landmarks, 1), rtol=1e-4, atol=1e-4)


def test_released_loader_names_bad_checkpoints(released, tmp_path) -> None:
    state = released.state_dict()
    with pytest.raises(ValueError, match="n_classes"):
        from_released_state_dict(state, n_classes=3, frames=4)
    with pytest.raises(KeyError, match="lacks"):
        from_released_state_dict({k: v for k, v in state.items() if not k.startswith("ldm_")}, frames=4)
    with pytest.raises(KeyError, match="not a key"):
        from_released_state_dict({**state, "extra.weight": torch.zeros(1)}, frames=4)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="bad.pt"):
        load_released_checkpoint(bad)


def test_a_few_optimiser_steps_reduce_the_joint_loss() -> None:
    torch.manual_seed(3)
    model = MOL(MOLConfig(n_classes=3, frames=4, flow_width=0.125)).train()
    x = torch.randn(2, 1, 4, 128, 128)
    landmarks = 30 + 70 * torch.rand(1, 1, 68, 2) + torch.randn(2, 4, 68, 2)
    flow = torch.randn(2, 3, 2, 1, 1).expand(-1, -1, -1, 128, 128)
    batch = {"label": torch.tensor([0, 2]), "flow": flow, "landmarks": landmarks}
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-3)

    def loss() -> torch.Tensor:
        torch.manual_seed(4)  # the same dropout masks every time
        return joint_loss(model(x), batch, LossWeights())["total"]

    first = loss()
    for _ in range(5):
        optimiser.zero_grad()
        loss().backward()
        optimiser.step()
    with torch.no_grad():
        assert loss().item() < 0.8 * first.item()


def test_magnification_amplifies_each_frames_change_from_the_first(clip) -> None:
    """A magnifying model equals the plain model on frames magnified by a loop written here."""
    torch.manual_seed(5)
    plain = MOL(MOLConfig(flow_width=0.125)).eval()
    magnifying = MOL(MOLConfig(flow_width=0.125, magnification=21.0)).eval()
    magnifying.load_state_dict(plain.state_dict())
    by_hand = clip.clone()
    for t in range(clip.shape[2]):
        by_hand[:, :, t] = clip[:, :, 0] + 21.0 * (clip[:, :, t] - clip[:, :, 0])
    with torch.no_grad():
        out, expected = magnifying(clip), plain(by_hand)
    torch.testing.assert_close(out.logits, expected.logits)
    torch.testing.assert_close(out.flow, expected.flow)
    torch.testing.assert_close(out.landmarks, expected.landmarks)


def test_flow_unit_scales_the_flow_heads_output_only(clip) -> None:
    torch.manual_seed(6)
    plain = MOL(MOLConfig(flow_width=0.125)).eval()
    scaled = MOL(MOLConfig(flow_width=0.125, flow_unit=0.05)).eval()
    scaled.load_state_dict(plain.state_dict())
    with torch.no_grad():
        out, expected = scaled(clip), plain(clip)
    torch.testing.assert_close(out.flow, 0.05 * expected.flow)
    torch.testing.assert_close(out.logits, expected.logits)


def test_small_fcc_init_changes_only_the_embeddings_and_biases() -> None:
    torch.manual_seed(7)
    released = MOL(MOLConfig(flow_width=0.125)).state_dict()
    torch.manual_seed(7)
    small = MOL(MOLConfig(flow_width=0.125, fcc_init="small", dropout=0.1))
    assert small.mer_head.dropout.p == 0.1
    changed = set()
    for name, value in small.state_dict().items():
        if not torch.equal(value, released[name]):
            changed.add(name.split(".")[-1])
            torch.testing.assert_close(value, 0.02 * released[name])  # the same draw, scaled
    assert changed == {
        f"meta_{k}"
        for k in ("1_H_bias", "1_W_bias", "2_H_bias", "2_W_bias", "pe_1_H", "pe_1_W", "pe_2_H", "pe_2_W")
    }
    with pytest.raises(ValueError, match="fcc_init"):
        MOLConfig(fcc_init="tiny")
    with pytest.raises(ValueError, match="magnification"):
        MOLConfig(magnification=0.5)


def test_landmark_head_can_start_at_a_given_shape(clip, face_landmarks) -> None:
    torch.manual_seed(8)
    model = MOL(MOLConfig(flow=False)).eval()
    model.landmark_head.start_at(face_landmarks)
    with torch.no_grad():
        landmarks = model(clip).landmarks
    assert (landmarks - face_landmarks).abs().max() < 3.0  # the shape, plus the small initial weights
    assert (landmarks - face_landmarks).abs().mean() < 1.0
