"""Profiles into configurations (molkit.run.configs): the one place, and the fold rule."""

import pytest

from molkit.attribution import AttributionConfig
from molkit.profiles import PROFILES
from molkit.run.configs import attribution_config_from_profile, fold_choice, loso_config_from_profile
from molkit.train.loso import LosoConfig

DEMO, EASY, PAPER = PROFILES["demo"], PROFILES["easy"], PROFILES["paper"]
NAMED = DEMO.fold_subjects


def test_fold_choice_named_folds_are_mol_s_on_the_profile_s_own_data():
    assert fold_choice(DEMO, own_data=True) == {"folds": None, "fold_subjects": NAMED}
    assert fold_choice(DEMO, own_data=True, first=1) == {"folds": None, "fold_subjects": NAMED[:1]}
    assert fold_choice(DEMO, own_data=True, first=None) == {"folds": None, "fold_subjects": NAMED}
    # the baselines, MOL in an extra class set or on a command's cache: the first N (None: all)
    for method, own in (("linear", True), ("ststnet", True), ("mol", False)):
        assert fold_choice(DEMO, method=method, own_data=own) == {"folds": None, "fold_subjects": ()}
        assert fold_choice(DEMO, method=method, own_data=own, first=2) == {"folds": 2, "fold_subjects": ()}
    # a profile that names none: its folds, or the first N asked for
    assert fold_choice(EASY, own_data=True) == {"folds": EASY.folds, "fold_subjects": ()}
    assert fold_choice(EASY, own_data=True, first=None) == {"folds": None, "fold_subjects": ()}
    assert fold_choice(PAPER, method="linear") == {"folds": None, "fold_subjects": ()}


def test_loso_config_from_profile():
    config = loso_config_from_profile("easy")
    assert isinstance(config, LosoConfig) and config.profile == "easy" and config.classes == EASY.classes
    assert (config.train.steps, config.train.batch_size, config.train_crops) == (400, 4, 5)
    assert config.model.flow_width == EASY.flow_width and config.folds == EASY.folds
    assert config.ststnet.steps == config.offapexnet.steps == EASY.baseline_steps
    # the demo's named folds: MOL on its own data only; folds=N is the first N of them
    assert loso_config_from_profile(DEMO).fold_subjects == ()
    mol = loso_config_from_profile(DEMO, own_data=True)
    assert mol.fold_subjects == NAMED and mol.folds is None and mol.classes == "composite"
    assert loso_config_from_profile(DEMO, own_data=True, folds=1).fold_subjects == NAMED[:1]
    baseline = loso_config_from_profile(DEMO, own_data=True, method="linear")
    assert baseline.method == "linear" and baseline.fold_subjects == () and baseline.folds is None
    assert loso_config_from_profile("paper", classes="5").model.n_classes == 5
    assert loso_config_from_profile("easy", recipe="released") != config  # the recipe applies


def test_attribution_config_from_profile():
    assert attribution_config_from_profile("demo") == AttributionConfig()
    assert attribution_config_from_profile("smoke").ig_steps == 2
    assert attribution_config_from_profile(PAPER).ig_steps == 32


def test_the_library_below_run_takes_no_profile():
    assert not hasattr(AttributionConfig, "from_profile") and not hasattr(LosoConfig, "from_profile")
    with pytest.raises(ValueError, match="not both"):
        LosoConfig(folds=2, fold_subjects=("sub01",))
