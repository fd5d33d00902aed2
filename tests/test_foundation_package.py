"""A package that works outside the repository: the wheel built from the sources holds
``data_manifests/`` and the notebooks (package data); a copy installed from it reads a dataset
and the MEGC 2019 list, and runs the main job's first notebook, from another working directory,
without the repository on its path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
READ = """
import json, sys
import molkit
from molkit.data import composite_list, read_dataset
manifest = read_dataset("casme2", sys.argv[1])
print(json.dumps({"file": molkit.__file__, "videos": manifest.table.video_id.tolist(),
                  "labels": manifest.table.label_5.tolist(), "problems": len(manifest.problems),
                  "listed": int(len(composite_list()))}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel, folder) of a wheel built from a copy of the sources (the build leaves the working
    tree alone) and installed into a folder of its own."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    source = tmp_path / "source"
    for name in ("molkit", "data_manifests", "notebooks"):
        shutil.copytree(
            ROOT / name,
            source / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints"),
        )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip"]
    wheel_dir, site = tmp_path / "dist", tmp_path / "site"
    build = [*pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(wheel_dir), str(source)]
    subprocess.run(build, check=True, capture_output=True)
    (wheel,) = wheel_dir.glob("molkit-*.whl")
    install = [*pip, "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)]
    subprocess.run(install, check=True, capture_output=True)
    return wheel, site


def elsewhere(site: Path, folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Python run in ``folder`` with only the installed copy on its path (no MOLKIT_* settings)."""
    folder.mkdir(exist_ok=True)
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(folder)}
    return subprocess.run([sys.executable, *args], cwd=folder, capture_output=True, text=True, env=env)


def test_the_wheel_ships_the_manifests_and_the_notebooks(installed):
    shipped = set(zipfile.ZipFile(installed[0]).namelist())
    expected = {f"molkit/data_manifests/{p.name}" for p in (ROOT / "data_manifests").iterdir()}
    expected |= {f"molkit/notebooks/{p.name}" for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert expected <= shipped and "molkit/data_manifests/megc2019_composite.csv" in shipped
    assert "molkit/notebooks/01_data_preparation.ipynb" in shipped


def test_an_installed_wheel_reads_a_dataset_from_another_directory(installed, tmp_path, write_casme_like):
    site = installed[1]
    dataset = write_casme_like(tmp_path / "data", {"sub01/EP01_01": [np.full((16, 16, 3), 90, np.uint8)] * 8})
    done = elsewhere(site, tmp_path / "elsewhere", "-c", READ, str(dataset))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert Path(result["file"]).is_relative_to(site)  # the installed copy, not the repository's
    assert result == {
        "file": result["file"],
        "videos": ["casme2/sub01/EP01_01"],
        "labels": ["happiness"],
        "problems": 0,
        "listed": 442,
    }


def test_an_installed_wheel_runs_the_first_notebook_from_another_directory(
    installed, tmp_path, write_casme_like, face_frames
):
    """``molkit reproduce --profile smoke --only 01`` finds its notebooks inside the installed
    package (on a one-video dataset: what is checked is where things are found, not the data);
    ``molkit notebooks DIR`` copies them out, byte for byte."""
    site, here = installed[1], tmp_path / "elsewhere"
    data = write_casme_like(tmp_path / "data", {"sub01/EP01_01": face_frames(8)})
    only_01 = [
        "reproduce",
        "--profile",
        "smoke",
        "--only",
        "01",
        "--dataset",
        "casme2",
        "--data-root",
        str(data),
    ]
    done = elsewhere(site, here, "-m", "molkit", *only_01, "--name", "w")
    assert done.returncode == 0, done.stdout + done.stderr
    run = here / "reports" / "w"
    record = json.loads((run / "run.json").read_text())
    assert [(nb["name"], nb["status"]) for nb in record["notebooks"]] == [("01_data_preparation.ipynb", "ok")]
    assert (run / "index.html").is_file() and (run / "01_data_preparation.html").is_file()
    executed = json.loads((run / "01_data_preparation.ipynb").read_text())
    assert Path(executed["metadata"]["papermill"]["input_path"]).is_relative_to(site)
    assert (run / "work" / "cache" / "videos.csv").is_file()
    copied = elsewhere(site, here, "-m", "molkit", "notebooks", "mine")
    assert copied.returncode == 0, copied.stderr
    names = sorted(p.name for p in (here / "mine").iterdir())
    assert names == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert all((here / "mine" / n).read_bytes() == (ROOT / "notebooks" / n).read_bytes() for n in names)
