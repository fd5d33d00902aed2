"""The clip cache on disk: one ``.pt`` file of plain tensors per video, keyed by its input and
the preparation settings, written atomically (temporary file + ``os.replace``), never pickled."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

VIDEO_DIR = "videos"
VIDEOS_CSV = "videos.csv"
PROBLEMS_CSV = "problems.csv"
SETTINGS_JSON = "settings.json"


def _atomic(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically, as UTF-8."""
    return _atomic(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return _atomic(Path(path), lambda tmp: Path(tmp).write_bytes(data))


def save_tensors(path: str | Path, data: dict[str, Any]) -> Path:
    """Save a dict of tensors (and plain str/int metadata) atomically."""
    return _atomic(Path(path), lambda tmp: torch.save(data, tmp))


def load_tensors(path: str | Path, *, mmap: bool = True) -> dict[str, Any]:
    """Load a file written by :func:`save_tensors` (``weights_only``, memory-mapped by default)."""
    try:
        return torch.load(path, weights_only=True, mmap=mmap, map_location="cpu")
    except Exception as err:
        raise ValueError(f"{path}: not a readable molkit cache file ({err})") from err


def cache_key(frame_paths: list[str], settings: dict[str, Any], extra: dict[str, Any]) -> str:
    """A hash of the frames' bytes, the settings and anything else the result depends on."""
    digest = hashlib.sha256(json.dumps([settings, extra], sort_keys=True).encode())
    for path in frame_paths:
        digest.update(Path(path).name.encode())
        try:
            digest.update(Path(path).read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()[:16]


def video_file(cache_dir: str | Path, video_id: str, key: str) -> Path:
    """Where the cache keeps one video prepared with one key."""
    return Path(cache_dir) / VIDEO_DIR / f"{video_id.replace('/', '__')}.{key}.pt"


def stale_files(cache_dir: str | Path, video_id: str, key: str) -> list[Path]:
    """Files of the same video under other keys (older inputs or settings)."""
    keep = video_file(cache_dir, video_id, key)
    folder = keep.parent
    if not folder.is_dir():
        return []
    stem = video_id.replace("/", "__")
    return [p for p in folder.glob(f"{stem}.*.pt") if p != keep and p.name.count(".") == 2]


def load_plain(path: str | Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    """A checkpoint or training state, loaded without unpickling arbitrary objects."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as err:  # torch's own message is about unpickling options, not the file
        raise ValueError(
            f"{path}: not a molkit checkpoint (PyTorch cannot load it as a "
            f"weights-only file: {type(err).__name__})"
        ) from err
