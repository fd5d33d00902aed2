"""The numbered notebooks, shipped inside the package (``molkit/notebooks``, read with
``importlib.resources``), and ``molkit notebooks DIR``, which copies them out to be edited."""

from __future__ import annotations

import argparse
import importlib.resources
import re
from pathlib import Path

from molkit.data.cache import atomic_write_bytes

NOTEBOOKS = Path(str(importlib.resources.files("molkit").joinpath("notebooks")))
NOTEBOOK_PATTERN = re.compile(r"^\d\d_.+\.ipynb$")


def find_notebooks(folder: str | Path = NOTEBOOKS, only: list[str] | None = None) -> list[Path]:
    """The numbered notebooks (``NN_name.ipynb``) of ``folder`` (default: molkit's own) in order,
    optionally only those whose name starts with one of ``only`` (e.g. ``["01", "02"]``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such notebook folder")
    notebooks = sorted(p for p in folder.iterdir() if NOTEBOOK_PATTERN.match(p.name))
    if only:
        notebooks = [p for p in notebooks if any(p.name.startswith(prefix) for prefix in only)]
    if not notebooks:
        raise FileNotFoundError(f"{folder}: no numbered notebooks (NN_name.ipynb) to run")
    return notebooks


def copy_notebooks(folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Copy molkit's notebooks into ``folder`` (created); an existing copy that differs (an
    edited one) is an error naming it, unless ``overwrite``. Returns the copies."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    sources = find_notebooks()
    for source in sources:
        copy = folder / source.name
        if not overwrite and copy.is_file() and copy.read_bytes() != source.read_bytes():
            raise FileExistsError(
                f"{copy}: exists and differs from molkit's notebook (--overwrite replaces it)"
            )
    return [atomic_write_bytes(folder / source.name, source.read_bytes()) for source in sources]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="where the copies go (created)")
    parser.add_argument("--overwrite", action="store_true", help="replace copies that were edited")


def run(args: argparse.Namespace) -> int:
    copies = copy_notebooks(args.folder, overwrite=args.overwrite)
    print(f"{len(copies)} notebooks in {args.folder}: {', '.join(p.name for p in copies)}")
    print(f"edit them (jupyter lab {args.folder}), then run them: molkit reproduce --notebooks {args.folder}")
    return 0
