"""The project's own files install what it needs, and configuration round-trips."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml

from molkit.cli import COMMANDS, build_parser
from molkit.config import Config
from molkit.profiles import PROFILE_ENV, PROFILES, Profile, get_profile

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[_norm(name)] = version
    return pins


def test_environment_yml_installs_the_constraints_exactly():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pinned = {_norm(p.split("==")[0]): p.split("==")[1] for p in pip_section if "==" in p}
    assert pinned == _pins()


def test_every_declared_dependency_is_pinned_and_opencv_is_contrib_headless_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [d for ds in project["optional-dependencies"].values() for d in ds]
    names = {_norm(re.split(r"[<>=!~\[ ]", d)[0]) for d in declared}
    pins = _pins()
    assert names <= set(pins), f"declared but not pinned: {sorted(names - set(pins))}"
    assert pins["torch"] == "2.13.0"
    opencv = {n for n in pins if n.startswith("opencv")} | {n for n in names if n.startswith("opencv")}
    assert opencv == {"opencv-contrib-python-headless"}
    assert "torchvision" not in pins and "torchvision" not in names


def test_installing_molkit_beside_torch_pulls_nothing_else():
    """`pip install -e .` into an environment that has torch 2.13.0 installs molkit alone."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-build-isolation",
            "--quiet",
            "--report",
            "-",
            "-e",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installs = [item["metadata"]["name"] for item in json.loads(out)["install"]]
    assert installs == ["molkit"]


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make reproduce" in readme


@dataclasses.dataclass
class _Inner(Config):
    size: int = 3
    names: tuple[str, ...] = ("a", "b")


@dataclasses.dataclass
class _Outer(Config):
    inner: _Inner = dataclasses.field(default_factory=_Inner)
    path: Path = Path("x/y")
    rate: float | None = None
    sizes: tuple[int, ...] | None = None


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_config_round_trips_through_files(tmp_path, suffix):
    cfg = _Outer(inner=_Inner(size=7, names=("p", "q", "r")), path=Path("data/c"), rate=0.5, sizes=(1, 2))
    loaded = _Outer.load(cfg.save(tmp_path / f"cfg{suffix}"))
    assert loaded == cfg
    assert isinstance(loaded.inner.names, tuple) and isinstance(loaded.path, Path)
    assert isinstance(loaded.sizes, tuple)


def test_config_names_unknown_keys():
    with pytest.raises(ValueError, match=r"unknown keys \['sise'\]"):
        _Inner.from_dict({"sise": 3})


def test_profiles_round_trip_and_env_selects(monkeypatch):
    for profile in PROFILES.values():
        assert Profile.from_yaml(profile.to_yaml()) == profile
    monkeypatch.setenv(PROFILE_ENV, "paper")
    assert get_profile().name == "paper"
    assert get_profile("smoke").name == "smoke"
    monkeypatch.delenv(PROFILE_ENV)
    assert get_profile().name == "demo"
    with pytest.raises(ValueError, match="unknown profile"):
        get_profile("huge")


def test_paper_profile_is_the_released_scale():
    paper = get_profile("paper")
    assert (paper.flow_width, paper.steps, paper.batch_size, paper.train_crops) == (1.0, 1000, 32, 5)


def test_cli_offers_every_command():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)
    for name in COMMANDS:  # every command module builds its arguments
        chosen = next(a for a in build_parser(name)._actions if a.dest == "command").choices[name]
        assert not chosen.get_default("_missing"), name
        assert len(chosen._actions) > 1, name
    result = subprocess.run([sys.executable, "-m", "molkit", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for name in COMMANDS:
        assert name in result.stdout


def test_public_api_resolves_every_listed_name():
    import molkit

    for name in molkit.__all__:
        assert getattr(molkit, name) is not None, name
    with pytest.raises(AttributeError):
        molkit.no_such_thing  # noqa: B018 (the attribute access is the test)
