"""Dataset readers: ``read_dataset(name, root)`` -> :class:`molkit.data.manifest.Manifest`."""

from __future__ import annotations

from pathlib import Path

from molkit.data.manifest import COMPOSITE, DATASETS, Manifest, build_table
from molkit.data.readers import casme2, samm, smic

READERS = {"casme2": casme2.read, "samm": samm.read, "smic": smic.read}


def read_dataset(name: str, root: str | Path, corrections: str | Path | None = None) -> Manifest:
    """Read a dataset as its owners ship it into a manifest (usable videos) plus the problems
    found, each naming its file or sheet row, and the sheet read (name and SHA-256).
    ``corrections`` overrides ``data_manifests/corrections.csv``. ``name="composite"`` reads
    the MEGC 2019 composite from a folder holding the three copies (:func:`read_composite`)."""
    if name == COMPOSITE:
        from molkit.data.composite import read_composite

        return read_composite(root, corrections)
    if name not in READERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {[*DATASETS, COMPOSITE]}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: dataset root is not a folder")
    rows, problems, sheets = READERS[name](root, Path(corrections) if corrections else None)
    return Manifest(name, root, build_table(rows), problems, sheets)
