"""The run record: what produced a report (parameters, git commit, package versions, device, times).

Written as JSON beside the executed notebooks so that any number in the report can be traced
back to the code and environment that produced it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from molkit.config import Config
from molkit.data.cache import atomic_write_text

PACKAGES = (
    "molkit",
    "torch",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "scikit-image",
    "opencv-contrib-python-headless",
    "dlib-bin",
    "captum",
    "matplotlib",
    "papermill",
    "nbconvert",
    "nbformat",
    "ipykernel",
)


@dataclasses.dataclass
class NotebookResult(Config):
    """How one notebook of a run went. ``status`` is ``ok`` or ``failed``."""

    name: str
    status: str
    seconds: float
    executed: str  # executed notebook, relative to the run folder
    html: str | None  # its HTML page, relative to the run folder (None if conversion failed)
    error: str | None = None


@dataclasses.dataclass
class RunRecord(Config):
    """Everything needed to say where a report came from."""

    run_name: str
    parameters: dict[str, Any]
    git_commit: str | None
    git_dirty: bool | None
    packages: dict[str, str]
    device: str
    python: str
    platform: str
    started: str
    finished: str | None = None
    notebooks: list[NotebookResult] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(nb.status == "ok" for nb in self.notebooks)

    @property
    def seconds(self) -> float:
        return sum(nb.seconds for nb in self.notebooks)


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state(repo: str | Path = ".") -> tuple[str | None, bool | None]:
    """(commit hash, whether tracked files differ from it); ``(None, None)`` outside git."""
    commit = _git(["rev-parse", "HEAD"], Path(repo))
    if commit is None:
        return None, None
    status = _git(["status", "--porcelain", "--untracked-files=no"], Path(repo))
    return commit, bool(status) if status is not None else None


def file_provenance(path: str | Path) -> str:
    """Where a file that a run did not make comes from: its path in its git checkout with the
    date and commit that last changed it (and whether it changed since), else its name and the
    date it was last written."""
    path = Path(path).resolve()
    root = _git(["rev-parse", "--show-toplevel"], path.parent)
    last = _git(["log", "-1", "--format=%cs %h", "--", path.name], path.parent) if root else None
    if not last:
        written = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        return f"{path.name}, last written {written:%Y-%m-%d}"
    date, commit = last.split()
    changed = _git(["status", "--porcelain", "--", path.name], path.parent)
    return f"{path.relative_to(root).as_posix()}, recorded {date} at commit {commit}" + (
        " (changed since)" if changed else ""
    )


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed version of each named distribution (``"not installed"`` when absent)."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def device_description() -> str:
    """The accelerator a run would use, in words (CUDA device name, else the CPU)."""
    import torch

    if torch.cuda.is_available():
        return f"cuda: {torch.cuda.get_device_name(0)} (x{torch.cuda.device_count()})"
    return f"cpu: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def new_record(run_name: str, parameters: dict[str, Any], repo: str | Path = ".") -> RunRecord:
    """A record for a run starting now."""
    commit, dirty = git_state(repo)
    return RunRecord(
        run_name=run_name,
        parameters=dict(parameters),
        git_commit=commit,
        git_dirty=dirty,
        packages=package_versions(),
        device=device_description(),
        python=platform.python_version(),
        platform=platform.platform(),
        started=now(),
    )


def save_record(record: RunRecord, path: str | Path) -> Path:
    """Write the record as JSON, atomically."""
    return atomic_write_text(path, record.to_json() + "\n")


def load_record(path: str | Path) -> RunRecord:
    """Read a record written by :func:`save_record`; a bad file is an error naming it."""
    path = Path(path)
    try:
        return RunRecord.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}: not a molkit run record ({err})") from err
