"""Run profiles into configurations: the one place where a :class:`~molkit.profiles.Profile`
becomes a :class:`~molkit.train.loso.LosoConfig` or an
:class:`~molkit.attribution.AttributionConfig`, and where the folds a run trains are chosen
(:func:`fold_choice`). The notebooks' steps, the ``train``/``loso`` commands and the benchmarks
all build their configurations here."""

from __future__ import annotations

from typing import Any

from molkit.attribution import AttributionConfig
from molkit.baselines.config import OFFApexNetConfig, STSTNetConfig
from molkit.model import MOLConfig
from molkit.profiles import Profile, get_profile
from molkit.train.config import TrainConfig
from molkit.train.loso import LosoConfig, class_count
from molkit.train.recipes import apply_recipe


class _ProfileFolds:
    def __repr__(self) -> str:
        return "the profile's folds"


PROFILE_FOLDS: Any = _ProfileFolds()  # fold_choice's default ``first``: the profile's ``folds``


def fold_choice(
    profile: Profile, *, method: str = "mol", own_data: bool = False, first: int | None = PROFILE_FOLDS
) -> dict[str, Any]:
    """Which LOSO folds a profile's run of ``method`` trains, as :class:`LosoConfig`'s ``folds``
    and ``fold_subjects`` (the rule, in one place): MOL on the data the profile was made for
    (``own_data``: the notebooks' data in the run's own class set, whose subjects the profile's
    ``fold_subjects`` name) on those named folds, the first ``first`` of them; every other run
    (the baselines, MOL in an extra class set or on other data, as the commands' caches, a
    profile that names none) on the first ``first`` folds. ``first``: default the profile's
    ``folds``; None: all of them."""
    first = profile.folds if first is PROFILE_FOLDS else first
    named = profile.fold_subjects if method == "mol" and own_data else ()
    if named:
        return {"folds": None, "fold_subjects": tuple(named[:first] if first else named)}
    return {"folds": first, "fold_subjects": ()}


def loso_config_from_profile(
    profile: str | Profile | None = None,
    classes: str | None = None,
    recipe: str = "kit",
    *,
    own_data: bool = False,
    **changes: Any,
) -> LosoConfig:
    """The LOSO run a profile describes (class set unless ``classes`` is given, flow width, steps,
    batch size, training crops, STSTNet's and OFF-ApexNet's steps, the folds of
    :func:`fold_choice` for ``changes``' method, MOL by default), trained with ``recipe`` ("kit",
    or "released": :mod:`molkit.train.recipes`). ``own_data``: the run is on the data the profile
    was made for, in its own class set (MOL then takes the profile's named folds; not on a
    command's cache, nor in an extra class set). ``changes`` replace fields;
    ``folds=N`` is :func:`fold_choice`'s ``first`` (the first N of the named folds, where the
    profile names some). Selection protocols score the selection subject 5 times per fold (about
    once per pass over CASME II's training clips at the paper profile, as the released code
    does)."""
    profile = profile if isinstance(profile, Profile) else get_profile(profile)
    classes = classes or profile.classes
    first = changes.pop("folds", PROFILE_FOLDS)
    folds = fold_choice(profile, method=changes.get("method", "mol"), own_data=own_data, first=first)
    train = TrainConfig(
        steps=profile.steps, batch_size=profile.batch_size, eval_every=max(1, profile.steps // 5)
    )
    config = LosoConfig(
        classes=classes,
        profile=profile.name,
        train_crops=profile.train_crops,
        model=MOLConfig(n_classes=class_count(classes), flow_width=profile.flow_width),
        train=train,
        ststnet=STSTNetConfig(steps=profile.baseline_steps),
        offapexnet=OFFApexNetConfig(steps=profile.baseline_steps),
        **folds,
    )
    return apply_recipe(config, recipe).replace(**changes)


# attribution settings per profile; the others take AttributionConfig's defaults (the demo's)
ATTRIBUTION_SETTINGS: dict[str, dict[str, int]] = {
    "smoke": {"ig_steps": 2, "noise_samples": 2, "window": 32, "stride": 32},
    "paper": {
        "ig_steps": 32,
        "noise_samples": 8,
        "window": 8,
        "stride": 8,
        "batch_size": 8,
        "perturbations": 32,
    },
}


def attribution_config_from_profile(profile: str | Profile | None = None) -> AttributionConfig:
    """Attribution settings sized for a run profile: coarse and quick for ``smoke``, the defaults
    for ``demo`` and ``easy``, fine for ``paper`` (meant for a GPU)."""
    profile = profile if isinstance(profile, Profile) else get_profile(profile)
    return AttributionConfig(**ATTRIBUTION_SETTINGS.get(profile.name, {}))
