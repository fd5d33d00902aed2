"""What a notebook knows about its run: the resolved parameters, the profile, the device and the
shared work folder through which the numbered notebooks hand results to each other."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import torch

from molkit.config import Config
from molkit.data import tvl1
from molkit.data.cache import atomic_write_text
from molkit.data.flow_images import ENV as FLOW_IMAGES_ENV
from molkit.gpu import pick_device, seed_everything
from molkit.profiles import Profile, get_profile

REPO = Path(__file__).resolve().parents[2]
# where a notebook run by hand keeps its reports: the repository's, else (an installed molkit)
# the folder the notebook runs in
REPORTS_HOME = REPO if (REPO / "pyproject.toml").is_file() else Path.cwd()
DATASETS = (
    "synthetic",
    "twin",
    "casme2",
    "samm",
    "smic",
    "composite",
)  # composite: MEGC 2019, data_root holds the copies
WORK_ENV = "MOLKIT_WORK_DIR"  # where a notebook run by hand (output_dir None) writes, when set
HANDOVER = "handover.json"


@dataclasses.dataclass
class NotebookRun(Config):
    """A notebook's parameters, resolved. ``work`` is shared by every notebook of one run."""

    profile: Profile
    dataset: str
    data_root: Path | None
    classes: str
    protocol: str
    seed: int
    device: str
    work: Path
    flow_images: Path | None = None  # the real composite's public onset->apex images, when given

    @property
    def torch_device(self) -> torch.device:
        return pick_device(self.device)

    def path(self, *parts: str) -> Path:
        """A path inside the work folder; its parent folder is created."""
        path = self.work.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def remember(self, **values: Any) -> None:
        """Hand plain values (paths as text, numbers) on to the later notebooks of this run."""
        known = self._handover()
        known.update({k: str(v) if isinstance(v, Path) else v for k, v in values.items()})
        atomic_write_text(self.work / HANDOVER, json.dumps(known, indent=2, sort_keys=True))

    def recall(self, key: str, default: Any = ...) -> Any:
        """A value an earlier notebook remembered (else ``default`` when given); a clear error
        when it never ran."""
        known = self._handover()
        if key not in known:
            if default is not ...:
                return default
            raise LookupError(
                f"{self.work / HANDOVER} has no {key!r}: run the earlier notebooks of "
                "this run first (molkit reproduce runs them in order)"
            )
        return known[key]

    def _handover(self) -> dict[str, Any]:
        path = self.work / HANDOVER
        return json.loads(path.read_text()) if path.is_file() else {}

    def _draft(self) -> str:
        return f"; draft TV-L1 flows, epsilon {tvl1.DRAFT_EPSILON:g}" if self.profile.draft_flows else ""

    def describe(self) -> str:
        """One line per setting that decides the numbers (no machine-specific paths)."""
        return "\n".join(
            [
                f"profile: {self.profile.name} (flow head width {self.profile.flow_width}{self._draft()})",
                f"dataset: {self.dataset}" + ("" if self.data_root is None else " (from data_root)"),
                f"classes: {self.classes}",
                f"protocol: {self.protocol}",
                f"seed: {self.seed}",
            ]
        )


def notebook_run(
    profile: str | None,
    dataset: str | None,
    data_root: str | None,
    classes: str | None,
    protocol: str,
    seed: int,
    device: str,
    output_dir: str | None,
    flow_images: str | None = None,
) -> NotebookRun:
    """Resolve a notebook's ``parameters`` cell, seed everything, and create the work folder.

    ``dataset`` and ``classes`` None: the profile's (``synthetic`` is the easy tier, ``twin`` the
    twin of the real datasets; both are generated, so they need no ``data_root``).

    ``output_dir=None`` (a notebook opened by hand) uses ``$MOLKIT_WORK_DIR`` when set (``make
    test`` points it at a temporary folder), else ``reports/interactive-<profile>/work``, so the
    notebooks still find each other's results when run one after another.

    ``flow_images``: the folder of the real MEGC 2019 composite's public onset->apex images
    (:mod:`molkit.data.flow_images`); None: ``$MOLKIT_FLOW_IMAGES`` when set, else none (the
    notebooks' real section then says where to get them).
    """
    prof = get_profile(profile)
    dataset, classes = dataset or prof.dataset, classes or prof.classes
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {list(DATASETS)}")
    if dataset not in ("synthetic", "twin") and data_root is None:
        raise ValueError(f"dataset {dataset!r} needs data_root: the folder of your licensed copy")
    root = Path(data_root).expanduser().resolve() if data_root else None
    if root is not None and not root.is_dir():
        raise FileNotFoundError(f"data_root {root}: no such folder")
    work = Path(
        output_dir
        or os.environ.get(WORK_ENV)
        or REPORTS_HOME / "reports" / f"interactive-{prof.name}" / "work"
    )
    images = flow_images or os.environ.get(FLOW_IMAGES_ENV) or None
    images = Path(images).expanduser().resolve() if images else None
    if images is not None and not images.is_dir():
        raise FileNotFoundError(f"flow_images {images}: no such folder of onset->apex images")
    work.mkdir(parents=True, exist_ok=True)
    seed_everything(seed)
    return NotebookRun(prof, dataset, root, str(classes), protocol, int(seed), device, work.resolve(), images)
