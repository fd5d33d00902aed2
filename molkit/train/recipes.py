"""MOL's training recipes: the released one, and the kit's, which makes MOL learn.

The released recipe collapses to one class (``reports/benchmarks/learning.md`` measures why).
The kit's recipe keeps MOL's architecture and departs from the released settings in the named
ways listed in :data:`KIT`, each with the released value beside it and the reason, measured by a
row of ``benchmarks/bench_learning.py``. ``apply_recipe(config, "released")`` sets every one of
them back. :func:`recipe_label` reads a configuration back as "kit", "released" or a mixture
("released + magnification x21"), so that every number says which recipe made it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from molkit.config import Config

RECIPES = ("kit", "released")


@dataclasses.dataclass(frozen=True)
class Departure:
    """One setting where the kit's recipe departs from the released one: ``field`` is a dotted
    path in a LOSO configuration (``"model.magnification"``) or ``"prep.alignment"`` for the
    preparation settings of the cache."""

    name: str
    field: str
    released: Any
    kit: Any
    why: str

    def describe(self, value: Any) -> str:
        return f"{self.name} {value:g}" if isinstance(value, float) else f"{self.name} {value}"


KIT: tuple[Departure, ...] = (
    Departure(
        "alignment",
        "prep.alignment",
        "frame",
        "video",
        "per-frame alignment moves the whole face by dlib's jitter, 8x the expression's motion "
        "(easy tier; on the twin per-frame scores higher, not beyond the spread: learning.md)",
    ),
    Departure(
        "magnification",
        "model.magnification",
        1.0,
        21.0,
        "the movement is ~1% of the frame; amplified x21 it is no longer buried under appearance",
    ),
    Departure(
        "FCC init",
        "model.fcc_init",
        "released",
        "small",
        "positional embeddings of std 1 swamp the stem's output in FCC's BatchNorm",
    ),
    Departure("learning rate", "train.lr", 1e-4, 3e-4, "1e-4 learns too slowly for the demo's steps"),
    Departure(
        "balanced batches",
        "train.balance",
        "none",
        "sampler",
        "every class equally often, whatever the dataset's counts",
    ),
    Departure(
        "landmark init",
        "train.landmark_init",
        "released",
        "mean_shape",
        "the landmark head starts ~64 px from the face (an L1 of ~17 px at step 0)",
    ),
    Departure(
        "crop jitter",
        "crop_jitter",
        16,
        4,
        "+-8 px training crops cost the landmark head its precision at the test crop",
    ),
    Departure(
        "flow unit",
        "model.flow_unit",
        1.0,
        0.05,
        "the flow head starts at ~1 px where the targets are ~0.1 px",
    ),
)


def _get(config: Config, field: str) -> Any:
    for part in field.split("."):
        config = getattr(config, part)
    return config


def _set(config: Config, field: str, value: Any) -> Config:
    head, _, rest = field.partition(".")
    if not rest:
        return dataclasses.replace(config, **{head: value})
    return dataclasses.replace(config, **{head: _set(getattr(config, head), rest, value)})


def _check(name: str) -> None:
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose one of {RECIPES}")


def with_changes(config: Config, changes: dict[str, Any]) -> Config:
    """``config`` with the fields at the dotted paths of ``changes`` replaced
    (``{"model.magnification": 21.0, "train.lr": 3e-4}``)."""
    for field, value in changes.items():
        config = _set(config, field, value)
    return config


def apply_recipe(config: Config, name: str) -> Config:
    """``config`` (a LOSO configuration) with every departure of :data:`KIT` set to the
    recipe's value (preparation settings are the cache's: see :func:`prep_changes`)."""
    _check(name)
    return with_changes(config, {d.field: getattr(d, name) for d in KIT if not d.field.startswith("prep.")})


def prep_changes(name: str) -> dict[str, Any]:
    """The PrepSettings fields the recipe sets (e.g. ``{"alignment": "video"}``)."""
    _check(name)
    return {d.field.removeprefix("prep."): getattr(d, name) for d in KIT if d.field.startswith("prep.")}


def recipe_label(config: Config, prep: Config | None = None) -> str:
    """``"kit"`` or ``"released"`` when every departure has that recipe's value, otherwise the
    closer recipe with the settings that differ from it named (``"released + magnification 21"``).
    ``prep``: the cache's PrepSettings (without it, alignment is not judged)."""
    values = {}
    for departure in KIT:
        if departure.field.startswith("prep."):
            if prep is not None:
                values[departure] = _get(prep, departure.field.removeprefix("prep."))
        else:
            values[departure] = _get(config, departure.field)
    differences = {name: [d for d, v in values.items() if v != getattr(d, name)] for name in RECIPES}
    base = min(RECIPES, key=lambda name: len(differences[name]))
    return " + ".join([base, *(d.describe(values[d]) for d in differences[base])])
