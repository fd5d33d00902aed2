"""Training recipes: the released one and the kit's, every departure named and switchable back."""

import math
from pathlib import Path

import pytest
import torch

from molkit.data import PrepSettings
from molkit.train import TrainConfig
from molkit.train.loso import LosoConfig
from molkit.train.recipes import KIT, apply_recipe, prep_changes, recipe_label
from molkit.train.trainer import mean_shape


def test_released_recipe_is_the_released_defaults():
    released = LosoConfig()
    assert apply_recipe(released, "released") == released
    kit = apply_recipe(released, "kit")
    assert kit != released and apply_recipe(kit, "released") == released
    assert recipe_label(released, PrepSettings()) == "released"
    assert recipe_label(kit, PrepSettings(**prep_changes("kit"))) == "kit"
    assert prep_changes("released") == {"alignment": "frame"}


def test_the_readme_lists_every_departure_with_both_values():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    show = lambda v: f"{v:g}" if isinstance(v, float) else str(v)  # noqa: E731
    for d in KIT:
        assert f"| {d.name} (`{d.field}`) | {show(d.released)} | {show(d.kit)} |" in readme, d.name


def test_every_departure_has_a_field_a_reason_and_a_different_value():
    config = LosoConfig()
    for departure in KIT:
        assert departure.released != departure.kit and departure.why
        if not departure.field.startswith("prep."):
            head, *rest = departure.field.split(".")
            value = getattr(config, head)
            for part in rest:
                value = getattr(value, part)
            assert value == departure.released, departure.name  # the defaults are the release's


def test_a_mixture_is_labelled_by_what_differs():
    config = apply_recipe(LosoConfig(), "released")
    config = config.replace(model=config.model.replace(magnification=21.0))
    assert recipe_label(config) == "released + magnification 21"
    kit = apply_recipe(LosoConfig(), "kit")
    assert (
        recipe_label(kit.replace(train=kit.train.replace(lr=1e-4)), PrepSettings(alignment="video"))
        == "kit + learning rate 0.0001"
    )
    with pytest.raises(ValueError, match="unknown recipe"):
        apply_recipe(LosoConfig(), "mine")


def test_learning_rate_schedule_follows_its_formula():
    constant = TrainConfig(lr=3e-4, steps=100)
    assert [constant.learning_rate(s) for s in (0, 50, 99)] == [3e-4] * 3
    config = TrainConfig(lr=3e-4, steps=100, warmup_steps=10, schedule="cosine")
    for step in (0, 4, 9, 10, 55, 99):
        warm = min(1.0, (step + 1) / 10)
        expected = 3e-4 * warm * 0.5 * (1 + math.cos(math.pi * step / 100))
        assert config.learning_rate(step) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="schedule"):
        TrainConfig(schedule="step")


def test_mean_shape_is_the_mean_of_the_predicted_frames(synthetic_cache):
    from molkit.data import ClipDataset

    dataset = ClipDataset(synthetic_cache[0], train=True, crops=2)
    shape = mean_shape(dataset, items=10)
    picks = sorted({round(i * (len(dataset) - 1) / 9) for i in range(10)})
    total = torch.zeros(68, 2)
    for i in picks:
        landmarks = dataset[i]["landmarks"]
        for frame in range(1, landmarks.shape[0]):
            total += landmarks[frame]
    torch.testing.assert_close(shape, total / (len(picks) * 7))
