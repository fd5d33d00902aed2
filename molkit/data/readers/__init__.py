"""Readers of the owners' copies: ``read_copy(name, root)`` -> :class:`molkit.data.manifest.Manifest`.
:func:`molkit.data.datasets.read_dataset` adds the MEGC 2019 composite of the three."""

from __future__ import annotations

from pathlib import Path

from molkit.data.manifest import COMPOSITE, DATASETS, Manifest, build_table
from molkit.data.readers import casme2, samm, smic

READERS = {"casme2": casme2.read, "samm": samm.read, "smic": smic.read}


def read_copy(name: str, root: str | Path, corrections: str | Path | None = None) -> Manifest:
    """Read one dataset (casme2, samm, smic) as its owners ship it into a manifest (usable
    videos) plus the problems found, each naming its file or sheet row, and the sheet read (name
    and SHA-256). ``corrections`` overrides ``data_manifests/corrections.csv``."""
    if name not in READERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {[*DATASETS, COMPOSITE]}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: dataset root is not a folder")
    rows, problems, sheets = READERS[name](root, Path(corrections) if corrections else None)
    return Manifest(name, root, build_table(rows), problems, sheets)
