"""A package that works outside the repository: the wheel built from the sources holds
``data_manifests/`` (package data), and a copy installed from it reads a dataset and the MEGC 2019
list from another working directory, without the repository on its path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

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


def test_an_installed_wheel_reads_a_dataset_from_another_directory(tmp_path, write_casme_like):
    source = tmp_path / "source"  # built from a copy: the build leaves the working tree alone
    for name in ("molkit", "data_manifests"):
        shutil.copytree(
            ROOT / name,
            source / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("molkit-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"molkit/data_manifests/{p.name}" for p in (ROOT / "data_manifests").iterdir()}
    assert expected <= shipped and "molkit/data_manifests/megc2019_composite.csv" in shipped
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    dataset = write_casme_like(tmp_path / "data", {"sub01/EP01_01": [np.full((16, 16, 3), 90, np.uint8)] * 8})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", READ, str(dataset)],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
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
