"""Checkpoints: weights, model and training configuration, metrics, versions and the preparation
settings of the cache the model was trained on, in one file.

Files hold plain tensors, numbers, strings, lists and dicts only, so they load with
``torch.load(weights_only=True)``; they are written atomically (``molkit.data.cache.save_tensors``).
A checkpoint written before molkit recorded the preparation settings still loads; it just has
none (:func:`prep_settings_for` then falls back to the released defaults and says so). Likewise
for the timing of its training clips (:func:`clip_timing`: frame rate and clip stride, which set
the duration of ``molkit predict``'s windows), its training-input range
(:mod:`molkit.train.input_range`) and its temperature (:mod:`molkit.train.calibration`).

:func:`init_weights` starts a model being built from a checkpoint's weights (``molkit train`` /
``molkit loso --init``: weights only, names and shapes checked).
"""

from __future__ import annotations

import platform
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import ConcatDataset, Dataset

from molkit.data.cache import load_plain, save_tensors
from molkit.data.pipeline import (
    PrepSettings,
    cache_prep_settings,
    read_prep_settings,
    recorded_prep_settings,
)
from molkit.model import MOL, MOLConfig
from molkit.model.weights import load_weights

FORMAT = "molkit-checkpoint-1"
TIMING = "clip_timing"  # the record's key: {"frame_rate", "clip_stride", "datasets"}
# frames/s of the recordings each reader reads (SMIC: its high-speed camera); the synthetic
# benchmark is read as CASME II and rendered at its 200 fps (molkit.synthetic.motion.FPS)
FRAME_RATES = {"casme2": 200.0, "samm": 200.0, "smic": 100.0}
# a checkpoint that records no timing: CASME II's frame rate and a stride of 8 (64-frame samples)
DEFAULT_TIMING = {"frame_rate": 200.0, "clip_stride": 8, "datasets": []}


def versions() -> dict[str, str]:
    """Versions of what produced a result."""
    return {
        "molkit": version("molkit"),
        "torch": str(torch.__version__),
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def state_dict_cpu(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached CPU copy of the model's weights."""
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def save_checkpoint(
    path: str | Path,
    weights: dict[str, torch.Tensor],
    model_config: MOLConfig,
    train_config: Any,
    metrics: dict[str, Any],
    **extra: Any,
) -> Path:
    """Write a checkpoint; ``extra`` holds further plain values (e.g. the training subjects, and
    ``prep_settings``: :func:`dataset_prep_settings` of the training set)."""
    record = {
        "format": FORMAT,
        "weights": weights,
        "model_config": model_config.to_dict(),
        "train_config": train_config.to_dict(),
        "metrics": metrics,
        "versions": versions(),
        **extra,
    }
    return save_tensors(path, record)


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> tuple[MOL, dict[str, Any]]:
    """The model of a checkpoint (in eval mode, on ``device``) and the rest of its record."""
    record = load_plain(path, device)
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{path}: not a molkit checkpoint (format {FORMAT!r} expected)")
    model = MOL(MOLConfig.from_dict(record["model_config"]))
    model.load_state_dict(record.pop("weights"))
    return model.to(device).eval(), record


def init_weights(model: torch.nn.Module, path: str | Path) -> dict[str, Any]:
    """Start ``model`` from the weights of the checkpoint at ``path`` and return the rest of its
    record. Weights only: every parameter and buffer, by name; no optimiser state, no step, and
    the model keeps its own configuration (a MOL whose configuration differs from the
    checkpoint's in a setting that changes no shape, such as the magnification, is warned about).

    A missing file, a file that is not a molkit checkpoint, or a name or shape that differs from
    the model's raises an error whose one line names the file and the first difference (the
    parameter and its two shapes); the model is then left as it was.
    """
    record = load_plain(path)
    if (
        not isinstance(record, dict)
        or record.get("format") != FORMAT
        or not isinstance(record.get("weights"), dict)
    ):
        raise ValueError(f"{path}: not a molkit checkpoint (format {FORMAT!r} expected)")
    load_weights(model, record["weights"], f"{path}: cannot start the model from it")
    rest = {k: v for k, v in record.items() if k != "weights"}
    if isinstance(model, MOL) and isinstance(rest.get("model_config"), dict):
        mine, theirs = model.config.to_dict(), rest["model_config"]
        changed = [f"{k} {theirs[k]!r} -> {mine[k]!r}" for k in mine if k in theirs and theirs[k] != mine[k]]
        if changed:
            warnings.warn(
                f"{path}: the model starts from weights trained with other settings ({', '.join(changed)})",
                stacklevel=2,
            )
    return rest


def dataset_prep_settings(dataset: Dataset) -> dict[str, Any] | None:
    """The preparation settings of the cache(s) a ClipDataset (or a concatenation of them)
    reads, as a plain dict for a checkpoint; None when a cache has none or they differ."""
    parts = dataset.datasets if isinstance(dataset, ConcatDataset) else [dataset]
    found = [cache_prep_settings(part.cache_dir) if hasattr(part, "cache_dir") else None for part in parts]
    if any(s is None for s in found) or any(s != found[0] for s in found):
        return None
    return found[0].to_dict()


def differences(a: PrepSettings, b: PrepSettings) -> str:
    """The fields where two settings differ, ``name a -> b``."""
    first, second = a.to_dict(), b.to_dict()
    return ", ".join(f"{k} {first[k]!r} -> {second[k]!r}" for k in first if first[k] != second[k])


def prep_settings_for(record: dict[str, Any], override: str | Path | None = None) -> tuple[PrepSettings, str]:
    """How to prepare new frames for a checkpoint's model, and a line saying where that came
    from: ``override`` (a settings file or checkpoint) when given, else the checkpoint's own
    settings, else the released defaults (a checkpoint from before they were recorded)."""
    recorded = recorded_prep_settings(record)
    if override is not None:
        settings = read_prep_settings(override)
        if recorded is None:
            against = "which records none"
        elif recorded == settings:
            against = "the same settings"
        else:
            against = f"changed: {differences(recorded, settings)}"
        return settings, f"preparation from {override}, overriding the checkpoint's ({against})"
    if recorded is not None:
        return recorded, "preparation as the model was trained (from the checkpoint)"
    return PrepSettings(), (
        "the checkpoint records no preparation settings (saved by an older "
        "molkit): the released defaults are used"
    )


def dataset_timing(dataset: Dataset) -> dict[str, Any] | None:
    """The timing of a ClipDataset's (or a concatenation's) training clips, for a checkpoint:
    the frame rate of its dataset(s) and the median number of recorded frames between a clip's
    consecutive frames over its videos (the stride ``s`` where a copy holds every frame: clip ``j``
    takes frames ``j, j+s, ..., j+7s``; more on a twin, which renders a few frames of each
    sample); None when its datasets' frame rates differ or are unknown."""
    parts = dataset.datasets if isinstance(dataset, ConcatDataset) else [dataset]
    videos = [part.table.drop_duplicates("video_id") for part in parts if hasattr(part, "table")]
    if len(videos) != len(parts) or not sum(len(v) for v in videos):
        return None
    names = sorted({str(v).split("/")[0] for table in videos for v in table.video_id})
    rates = {FRAME_RATES.get(name) for name in names}
    if len(rates) != 1 or None in rates:
        return None
    gaps = np.concatenate([table.frame_gap.to_numpy() for table in videos])
    return {"frame_rate": rates.pop(), "clip_stride": int(np.median(gaps)), "datasets": names}


def clip_timing(record: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The timing of a checkpoint's training clips and a line saying where it came from (a
    checkpoint from before it was recorded: :data:`DEFAULT_TIMING`, and says so)."""
    timing = record.get(TIMING)
    if timing:
        return timing, (
            f"training clips: {timing['clip_stride']} frames apart at {timing['frame_rate']:g} fps "
            f"({', '.join(timing.get('datasets') or ['dataset not recorded'])}), from the checkpoint"
        )
    return DEFAULT_TIMING, (
        f"the checkpoint records no clip timing (saved by an older molkit): assumed "
        f"{DEFAULT_TIMING['clip_stride']} frames apart at {DEFAULT_TIMING['frame_rate']:g} fps (CASME II)"
    )
