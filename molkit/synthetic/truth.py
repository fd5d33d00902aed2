"""Writing the ground-truth files of a synthetic set (their layout and reading:
:mod:`molkit.data.truth`).

Layout, beside the CASME II-like frames (a real CASME II reader never looks here):
``root/ground_truth/config.json`` (the generator's :class:`SynthConfig`) and one
``root/ground_truth/<subject>/<sample>.npz`` per sample holding the :class:`Motion` arrays, the
landmarks of every frame, the class mask and the sample's description. Files are written
atomically and byte-for-byte reproducibly (fixed zip timestamps), and read without pickle.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from molkit.data.truth import INT_FIELDS, TEXT_FIELDS, TRUTH_DIR, Motion

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def reproducible_zip(entries: dict[str, bytes]) -> bytes:
    """A deflated zip archive whose bytes depend on its entries only (no clock)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez_compressed`` with reproducible bytes, written atomically."""
    entries = {}
    for name, array in arrays.items():
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
        entries[f"{name}.npy"] = buffer.getvalue()
    write_atomic(path, reproducible_zip(entries))


def save_sample_truth(
    root: Path, sample: str, motion: Motion, landmarks: np.ndarray, mask: np.ndarray, description: dict
) -> None:
    """Write one sample's ground truth (``description``: the fields of :func:`sample_truth`)."""
    arrays = {**motion.arrays(), "landmarks": landmarks.astype(np.float32), "mask": mask}
    for name in TEXT_FIELDS:
        value = description[name]
        arrays[name] = np.array(value if isinstance(value, (list, tuple)) else [value or ""], dtype=str)
    for name in INT_FIELDS:
        arrays[name] = np.array(description[name], dtype=np.int64)
    save_npz(root / TRUTH_DIR / f"{sample}.npz", arrays)
