"""Ground-truth files of a synthetic set and their public accessors.

Layout, beside the CASME II-like frames (a real CASME II reader never looks here):
``root/ground_truth/config.json`` (the generator's :class:`SynthConfig`) and one
``root/ground_truth/<subject>/<sample>.npz`` per sample holding the :class:`Motion` arrays, the
landmarks of every frame, the class mask and the sample's description. Files are written
atomically and byte-for-byte reproducibly (fixed zip timestamps), and read without pickle.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from molkit.synthetic.motion import Motion

TRUTH_DIR = "ground_truth"
CONFIG_FILE = "config.json"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_TEXT_FIELDS = ("emotion", "three_class", "action_units", "regions")
_INT_FIELDS = ("onset", "apex", "offset")


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
    for name in _TEXT_FIELDS:
        value = description[name]
        arrays[name] = np.array(value if isinstance(value, (list, tuple)) else [value or ""], dtype=str)
    for name in _INT_FIELDS:
        arrays[name] = np.array(description[name], dtype=np.int64)
    save_npz(root / TRUTH_DIR / f"{sample}.npz", arrays)


def has_ground_truth(root: str | Path) -> bool:
    """Whether ``root`` is a synthetic set with ground truth."""
    return (Path(root) / TRUTH_DIR / CONFIG_FILE).is_file()


def list_samples(root: str | Path) -> list[str]:
    """The samples of a synthetic set, like ``"sub01/EP01_01"``, sorted."""
    folder = Path(root) / TRUTH_DIR
    return sorted(p.relative_to(folder).with_suffix("").as_posix() for p in folder.glob("*/*.npz"))


def _truth_path(root: str | Path, sample: str) -> Path:
    path = Path(root) / TRUTH_DIR / f"{sample}.npz"
    if not path.is_file():
        if not has_ground_truth(root):
            raise FileNotFoundError(f"{root}: not a synthetic set (no {TRUTH_DIR}/{CONFIG_FILE})")
        raise FileNotFoundError(f"{path}: no ground truth for sample {sample!r}")
    return path


@functools.lru_cache(maxsize=64)
def _load(path: Path, mtime_ns: int) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (ValueError, OSError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path}: unreadable ground-truth file ({err})") from err


def _arrays(root: str | Path, sample: str) -> dict[str, np.ndarray]:
    path = _truth_path(root, sample).resolve()
    return _load(path, path.stat().st_mtime_ns)


def _motion(root: str | Path, sample: str) -> Motion:
    arrays = _arrays(root, sample)
    return Motion(**{name: arrays[name] for name in Motion.__dataclass_fields__})


def true_flow(
    root: str | Path, sample: str, i: int, j: int, *, points: np.ndarray | None = None
) -> np.ndarray:
    """Exact flow ``float32 [H, W, 2]`` from frame position ``i`` to ``j`` (0-based, sorted frame
    list): the pixel x of frame i is at x + flow(x) in frame j; ``flow[..., 0]`` is dx. With
    ``points`` ``[N, 2]`` (positions in frame i), the flow there, ``[N, 2]`` float64."""
    motion = _motion(root, sample)
    for k in (i, j):
        if not 0 <= k < motion.n_frames:
            raise IndexError(f"{sample}: frame position {k} outside 0..{motion.n_frames - 1}")
    if points is not None:
        return motion.forward(j, motion.inverse(i, points)) - points
    height, width = _arrays(root, sample)["mask"].shape
    return motion.flow(i, j, height, width)


def true_landmarks(root: str | Path, sample: str) -> np.ndarray:
    """The 68 dlib-order landmarks of every frame, ``float32 [n_frames, 68, 2]`` (x, y)."""
    return _arrays(root, sample)["landmarks"].copy()


def true_region_mask(root: str | Path, sample: str) -> np.ndarray:
    """``bool [H, W]``: pixels of the neutral face (frame 0) that the class's action units move."""
    return _arrays(root, sample)["mask"].copy()


def sample_truth(root: str | Path, sample: str) -> dict:
    """The sample's ``emotion`` (CASME II string), ``three_class`` (None for others),
    ``action_units`` (like ``["AU6", "AU12"]``), ``regions`` carrying the class, and ``onset``,
    ``apex``, ``offset`` as 0-based frame positions (file ``img{k + 1}.jpg``)."""
    arrays = _arrays(root, sample)
    return {
        "sample": sample,
        "emotion": str(arrays["emotion"][0]),
        "three_class": str(arrays["three_class"][0]) or None,
        "action_units": [str(a) for a in arrays["action_units"]],
        "regions": [str(r) for r in arrays["regions"]],
        **{name: int(arrays[name]) for name in _INT_FIELDS},
    }
