"""A run's data follows its profile: the default (demo) profile names the twin, its class set and MOL's
folds; the baselines keep every fold; every label starts with the tier."""

import json

import pytest

from molkit.reports.context import notebook_run
from molkit.reports.steps import data_label, data_source, loso_config
from molkit.synthetic.truth import CONFIG_FILE, TRUTH_DIR
from molkit.synthetic.twin import PROBLEMS_FILE, TwinConfig, holds_twin, twin_record


def _run(tmp_path, profile, dataset=None, classes=None):
    return notebook_run(profile, dataset, None, classes, "fixed", 0, "cpu", str(tmp_path / "work"))


def test_the_profile_decides_the_data_unless_the_notebook_names_it(tmp_path):
    twin = _run(tmp_path, "demo")
    assert (twin.dataset, twin.classes) == ("twin", "composite")
    for name in ("smoke", "easy"):
        easy = _run(tmp_path, name)
        assert (easy.dataset, easy.classes) == ("synthetic", "5")
    named = _run(tmp_path, "demo", "twin", "5")
    assert (named.dataset, named.classes) == ("twin", "5")
    with pytest.raises(ValueError, match="needs data_root"):
        _run(tmp_path, "demo", "casme2")


def test_mol_runs_the_named_folds_and_the_baselines_every_fold(tmp_path):
    run = _run(tmp_path, "demo")
    run.remember(data_root=str(tmp_path / "absent"))
    named = run.profile.fold_subjects
    assert loso_config(run).fold_subjects == named and loso_config(run).folds is None
    assert loso_config(run, folds=2).fold_subjects == named[:2]  # the ablations' first N of them
    baseline = loso_config(run, method="ststnet")
    assert baseline.fold_subjects == () and baseline.folds is None
    easy = _run(tmp_path, "easy")
    easy.remember(data_root=str(tmp_path / "absent"))
    assert loso_config(easy).fold_subjects == () and loso_config(easy).folds == easy.profile.folds


def test_a_complete_twin_is_reused_and_labelled_by_its_tier(tmp_path):
    run = _run(tmp_path, "demo")
    root = run.work / "twin"
    config = TwinConfig(seed=run.seed)
    assert not holds_twin(root, "composite", config, subjects=4)
    # what generate_twin writes first (its record) and last (the problems table)
    (root / TRUTH_DIR).mkdir(parents=True)
    (root / TRUTH_DIR / CONFIG_FILE).write_text(twin_record("composite", config, 4))
    assert not holds_twin(root, "composite", config, subjects=4)  # incomplete: no problems table yet
    (root / TRUTH_DIR / PROBLEMS_FILE).write_text("")
    assert holds_twin(root, "composite", config, subjects=4)
    assert not holds_twin(root, "composite", config, subjects=5)
    assert not holds_twin(root, "composite", config.replace(seed=1), subjects=4)
    assert data_source(run) == ("composite", root)  # reused: nothing generated
    run.remember(data_root=str(root))
    assert data_label(run) == "twin of composite, first 4 subjects of each dataset"
    easy = tmp_path / "easy"
    (easy / TRUTH_DIR).mkdir(parents=True)
    (easy / TRUTH_DIR / CONFIG_FILE).write_text(json.dumps({"difficulty": 1 / 3}))
    run.remember(data_root=str(easy))
    assert data_label(run) == "easy tier, difficulty 1/3"
