"""``read_dataset(name, root)``: any dataset the kit reads, by name, the MEGC 2019 composite included."""

from __future__ import annotations

from pathlib import Path

from molkit.data.composite import read_composite
from molkit.data.manifest import COMPOSITE, Manifest
from molkit.data.readers import read_copy


def read_dataset(name: str, root: str | Path, corrections: str | Path | None = None) -> Manifest:
    """Read a dataset as its owners ship it into a manifest (usable videos) plus the problems
    found, each naming its file or sheet row, and the sheet read (name and SHA-256).
    ``corrections`` overrides ``data_manifests/corrections.csv``. ``name="composite"`` reads
    the MEGC 2019 composite from a folder holding the three copies (:func:`read_composite`)."""
    if name == COMPOSITE:
        return read_composite(root, corrections)
    return read_copy(name, root, corrections)
