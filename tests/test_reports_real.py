"""The real MEGC 2019 composite beside the twin: with a folder of the public onset->apex images
(here fabricated: random 28x28 PNGs under real list names), notebook 02's steps train the
profile's baselines under LOSO over exactly the folder's subjects, notebook 05's exports their
paper-shaped table (real tier, protocol, profile, seed, what MOL's row needs) and the front page
shows it; without the folder, one line says where to get the images. ``molkit reproduce`` refuses
a folder that is not there in one line."""

from __future__ import annotations

from html import escape

import cv2
import numpy as np
import pandas as pd
import pytest

from molkit.cli import main
from molkit.data.flow_images import ENV, SOURCE, authors_names
from molkit.profiles import PROFILES
from molkit.reports.index import REAL_NOTE, REAL_TITLE, front_page
from molkit.run.context import notebook_run
from molkit.run.notebooks import find_notebooks
from molkit.run.reproduce import notebook_parameters
from molkit.run.steps import (
    AUTHORS_WEIGHTS,
    MOL_NEEDS_FRAMES,
    REAL_KEY,
    REAL_TIER,
    describe_real,
    export_real_results,
    real_images,
    real_result_line,
    run_real_baselines,
)

PICKED = {"casme2": 2, "samm": 1, "smic": 1}  # subjects per dataset, 4 samples each


@pytest.fixture(scope="module")
def images_dir(tmp_path_factory):
    """Four subjects' public images, random pixels under real names (one stray file besides)."""
    folder = tmp_path_factory.mktemp("real_flows")
    names = authors_names()
    rng = np.random.default_rng(0)
    subjects = []
    for dataset, count in PICKED.items():
        sizes = names[names.dataset == dataset].groupby("subject", sort=False).size()
        subjects += list(sizes[sizes >= 4].index[:count])
    for subject in subjects:
        for name in names[names.subject == subject].name.iloc[:4]:
            cv2.imwrite(str(folder / f"{name} .png"), rng.integers(0, 256, (28, 28, 3), dtype=np.uint8))
    cv2.imwrite(str(folder / "not_a_sample .png"), np.zeros((28, 28, 3), np.uint8))
    return folder, sorted(subjects)


@pytest.fixture(scope="module")
def real_run(images_dir, tmp_path_factory):
    """Notebooks 02 and 05's real section at the smoke profile, in ``<run>/work``."""
    folder, _ = images_dir
    run_dir = tmp_path_factory.mktemp("run")
    run = notebook_run("smoke", None, None, None, "fixed", 0, "cpu", str(run_dir / "work"), str(folder))
    images = real_images(run)
    runs = run_real_baselines(run, images, progress=False)
    return run_dir, run, images, runs, export_real_results(run)


def test_the_profile_names_its_real_baselines():
    assert PROFILES["paper"].real_baselines == ("ststnet", "offapexnet", "linear")
    for name in ("smoke", "demo", "easy"):
        assert PROFILES[name].real_baselines == ("ststnet", "linear")  # OFF-ApexNet: no time


def test_the_images_read_are_counted_and_their_problems_grouped(real_run, images_dir):
    _, run, images, _, _ = real_run
    assert run.flow_images == images_dir[0].resolve()
    lines = describe_real(images).splitlines()
    assert lines[0] == "16 onset->apex images (flat layout) of 4 subjects: CASME II 8, SAMM 4, SMIC 4"
    assert lines[1] == f"{len(images.problems)} problems, by kind:"
    assert sorted(line.split(", e.g. ")[0] for line in lines[2:]) == [
        "  missing_image (skipped): 426",  # the list's other samples
        "  not_in_list (skipped): 1",
    ]


def test_the_baselines_run_every_fold_of_exactly_the_folder_subjects(real_run, images_dir):
    run_dir, run, _, runs, _ = real_run
    assert [r.config.method for r, _ in runs] == ["ststnet", "linear"]
    assert run.recall(REAL_KEY) == [str(folder) for _, folder in runs]
    for result, folder in runs:
        assert folder.parent == run_dir / "work" / "loso_real"
        assert folder.name.startswith(f"{result.config.method}-fixed-")
        assert (folder / "flow_images.json").is_file()
        assert sorted(result.videos.subject.unique()) == images_dir[1]
        assert len(result.videos) == 16
        assert (result.config.classes, result.config.protocol, result.config.profile) == (
            "composite",
            "fixed",
            "smoke",
        )
        assert result.config.train.seed == 0
        line = real_result_line(result)
        assert line.startswith(result.label) and line.endswith("over 16 videos of 4 subjects")


def test_the_real_table_has_a_row_per_baseline_and_says_what_it_is(real_run):
    run_dir, _, _, _, tables = real_run
    ((table, caption),) = tables.values()
    assert list(tables) == [REAL_TITLE]
    methods = list(table.method)
    assert methods[:2] == ["STSTNet", "linear (logistic regression)"]
    assert "STSTNet (published)" in methods and methods[-1] == AUTHORS_WEIGHTS["method"]
    authors = table.set_index("method").loc[AUTHORS_WEIGHTS["method"]]
    assert (authors["Composite UF1"], authors["Composite UAR"]) == ("0.7209", "0.725")
    assert "MOL (kit recipe)" not in methods
    assert f"Every row: tier {REAL_TIER}; profile smoke; protocol fixed." in caption
    assert "Not run at this profile: OFF-ApexNet." in caption
    assert "Seed 0; LOSO over the 4 subjects of the images." in caption
    assert caption.endswith(MOL_NEEDS_FRAMES)
    assert list(table.columns[1:9]) == [
        f"{name} {metric}" for name in ("Composite", "CASME II", "SAMM", "SMIC") for metric in ("UF1", "UAR")
    ]
    assert not table.isna().any().any() and all((table[c] != "").any() for c in table.columns)
    exported = run_dir / "work" / "tables" / "results_real.csv"
    assert list(pd.read_csv(exported, dtype=str).method) == methods
    assert not (run_dir / REAL_NOTE).exists()


def test_the_front_page_shows_the_real_section_after_the_twin(real_run):
    run_dir = real_run[0]
    (run_dir / "work" / "tables" / "results.html").write_text("<table>the twin</table>")
    page = front_page(run_dir)
    heading, mol = page.index(f"<h2>{escape(REAL_TITLE)}</h2>"), page.index(escape(MOL_NEEDS_FRAMES))
    assert page.index("the twin") < heading < page.index("STSTNet, the authors") < mol
    assert ">nan<" not in page.lower()  # no empty column, no NaN cell


def test_without_the_folder_one_line_says_where_to_get_the_images(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    run = notebook_run("smoke", None, None, None, "fixed", 0, "cpu", str(tmp_path / "work"))
    assert run.flow_images is None and real_images(run) is None
    stale = run.path("tables", "results_real.html")  # an earlier run's table in the same folder
    stale.write_text("<table>old</table>")
    assert run_real_baselines(run, None) == [] and run.recall(REAL_KEY) == []
    assert export_real_results(run) == {} and not stale.exists()
    line = (tmp_path / REAL_NOTE).read_text().strip()
    assert describe_real(None) == line and "\n" not in line
    assert SOURCE in line and "--flow-images DIR" in line and f"${ENV}" in line
    page = front_page(tmp_path)
    assert f"<h2>{escape(REAL_TITLE)}</h2>\n<p>{escape(line)}</p>" in page


def test_the_environment_names_the_folder_when_the_parameter_does_not(tmp_path, monkeypatch, images_dir):
    monkeypatch.setenv(ENV, str(images_dir[0]))
    run = notebook_run("smoke", None, None, None, "fixed", 0, "cpu", str(tmp_path / "work"))
    assert run.flow_images == images_dir[0].resolve()
    monkeypatch.setenv(ENV, str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError, match="absent: no such folder of onset->apex images"):
        notebook_run("smoke", None, None, None, "fixed", 0, "cpu", str(tmp_path / "work"))


def test_only_the_notebooks_that_declare_it_get_the_folder():
    parameters = {"profile": "smoke", "output_dir": "w", "flow_images": "/data"}
    for notebook in find_notebooks():
        passed = notebook_parameters(notebook, parameters)
        assert ("flow_images" in passed) == notebook.name.startswith(("02", "05")), notebook.name
        assert passed["profile"] == "smoke"


@pytest.mark.parametrize("where", ["option", "environment"])
def test_reproduce_refuses_a_missing_folder_in_one_line(tmp_path, capsys, monkeypatch, where):
    absent = tmp_path / "nonexistent"
    argv = ["reproduce", "--notebooks", str(tmp_path), "--reports", str(tmp_path / "reports")]
    if where == "option":
        argv += ["--flow-images", str(absent)]
    else:
        monkeypatch.setenv(ENV, str(absent))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"molkit reproduce: {absent}: no such folder of onset->apex images\n"
    assert not (tmp_path / "reports").exists()
