"""A run's data follows its profile: the default (demo) profile names the twin, its class set and MOL's
folds; the baselines keep every fold; every label starts with the tier."""

import dataclasses
import json
from pathlib import Path

import pytest

from molkit.data import read_videos
from molkit.data.truth import CONFIG_FILE, TRUTH_DIR
from molkit.profiles import PROFILES
from molkit.run.context import notebook_run
from molkit.run.steps import (
    data_label,
    data_source,
    export_results,
    extra_class_sets,
    loso_config,
    mol_recipes,
    prepare_data,
    run_baselines,
    run_mol,
)
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


def test_an_extra_class_set_gets_its_own_twin_cache_and_paper_table(tmp_path):
    """The demo adds CASME II in five classes on CASME II's own twin: prepared beside the run's
    data (which it leaves alone), the baselines on every fold in five classes, and its paper table
    exported as ``results_5`` with every reference row and a caption naming MOL as not run. The
    paper profile trains MOL there too, on every fold (the demo's named folds are the composite's)."""
    profile = dataclasses.replace(
        PROFILES["demo"], twin_subjects=2, workers=1, draft_flows=True, baseline_steps=5
    )
    run = dataclasses.replace(_run(tmp_path, "demo"), profile=profile)
    assert extra_class_sets(run) == ["5"] and extra_class_sets(_run(tmp_path, "smoke")) == []
    assert extra_class_sets(_run(tmp_path, "demo", "twin", "5")) == []  # the run's own set
    report = prepare_data(run, "5", progress=False)
    assert report.cache_dir == run.work / "cache_5" and report.usable and not (run.work / "cache").exists()
    assert run.recall("reader_5") == "casme2" and Path(run.recall("data_root_5")) == run.work / "twin_casme2"
    with pytest.raises(LookupError):
        run.recall("cache")  # the run's own data is not touched
    assert data_label(run, "5") == "twin of casme2, first 2 subjects"
    runs = run_baselines(run, "5", progress=False)
    assert [r.config.method for r, _ in runs] == ["ststnet", "linear", "lbptop"]
    videos = read_videos(report.cache_dir)
    for result, _ in runs:
        assert result.config.classes == "5" and result.config.model.n_classes == 5
        assert sorted(result.videos.subject.unique()) == sorted(videos.subject.unique())  # every fold
    run.remember(loso_dirs_5=[str(folder) for _, folder in runs])
    ((heading, (table, caption)),) = export_results(run, "5").items()
    assert heading == "CASME II in five classes, all folds"
    assert (run.work / "tables" / "results_5.csv").is_file()
    methods = list(table.method)
    assert [m.split(" (")[0] for m in methods[:3]] == ["STSTNet", "linear", "LBP-TOP"]
    assert {"chance (uniform guess, expected)", "AU oracle (exact code, other subjects)"} <= set(methods)
    assert [c for c in table.columns if c.endswith(("UF1", "UAR"))] == ["CASME II UF1", "CASME II UAR"]
    assert "Not run at this profile: MOL (kit recipe), MOL (released recipe)." in caption
    assert run_mol(run, "5") == [] and mol_recipes(run) == ("kit",)

    # as the paper profile does (it trains both recipes, this profile the kit's), at a test's size
    paper = dataclasses.replace(profile, mol_in_extra_classes=True, steps=1, fold_workers=1)
    run = dataclasses.replace(run, profile=paper)
    assert mol_recipes(run, "5") == ("kit",) and PROFILES["paper"].mol_in_extra_classes
    ((result, folder),) = run_mol(run, "5", progress=False)
    assert (result.config.method, result.config.recipe(), result.config.classes) == ("mol", "kit", "5")
    assert result.config.model.n_classes == 5 and result.config.fold_subjects == ()
    assert sorted(result.videos.subject.unique()) == sorted(videos.subject.unique())  # every fold
    run.remember(loso_dirs_5=[str(folder)] + [str(f) for _, f in runs])
    ((_, (table, caption)),) = export_results(run, "5").items()
    assert list(table.method)[0].startswith("MOL (kit recipe")
    assert "Not run at this profile: MOL (released recipe)." in caption
