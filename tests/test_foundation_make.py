"""The README's make commands: ``make reproduce`` runs the profile ``MOLKIT_PROFILE`` names (and
``PROFILE=`` wins over it), and ``make test`` sends what the notebooks write by hand-run default
into a temporary folder that it removes, so the working tree stays as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from molkit.run.context import WORK_ENV, notebook_run

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(target: str, *args: str, **env: str) -> str:
    """The commands ``make -n`` would run for ``target`` (nothing is run)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("MOLKIT_PROFILE", "PROFILE")} | env
    return subprocess.run(
        ["make", "-n", "-C", str(ROOT), target, *args],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    ).stdout


@pytest.mark.parametrize(
    "env, args, profile",
    [
        ({}, (), "demo"),
        ({"MOLKIT_PROFILE": "smoke"}, (), "smoke"),
        ({"MOLKIT_PROFILE": "smoke"}, ("PROFILE=paper",), "paper"),
    ],
)
def test_reproduce_runs_the_profile_the_environment_names(env, args, profile):
    (line,) = [line for line in dry_run("reproduce", *args, **env).splitlines() if "molkit reproduce" in line]
    assert line.endswith(f"molkit reproduce --profile {profile}")
    assert f"MOLKIT_PROFILE={profile} " in line


def test_make_test_gives_the_notebooks_a_temporary_work_folder_and_removes_it():
    recipe = dry_run("test")
    assert "mktemp -d" in recipe and "trap 'rm -rf" in recipe
    assert f"{WORK_ENV}=$work" in recipe and "PYTHONDONTWRITEBYTECODE=1" in recipe


def test_a_notebook_without_output_dir_writes_where_the_environment_says(tmp_path, monkeypatch):
    monkeypatch.setenv(WORK_ENV, str(tmp_path / "work"))
    run = notebook_run("smoke", "synthetic", None, "5", "fixed", 0, "cpu", None)
    assert run.work == (tmp_path / "work").resolve() and run.work.is_dir()
    monkeypatch.delenv(WORK_ENV)
    assert (
        notebook_run("smoke", "synthetic", None, "5", "fixed", 0, "cpu", str(tmp_path / "o")).work
        == (tmp_path / "o").resolve()
    )
