"""Checkpoints: weights, model and training configuration, metrics and versions in one file.

Files hold plain tensors, numbers, strings, lists and dicts only, so they load with
``torch.load(weights_only=True)``; they are written atomically (``molkit.data.cache.save_tensors``).
"""
from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import numpy as np
import torch

import molkit
from molkit.data.cache import save_tensors
from molkit.model import MOL, MOLConfig

FORMAT = "molkit-checkpoint-1"


def load_plain(path: str | Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    """A checkpoint or training state, loaded without unpickling arbitrary objects."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as err:
        raise ValueError(f"{path}: not a readable molkit checkpoint ({err})") from err


def versions() -> dict[str, str]:
    """Versions of what produced a result."""
    return {"molkit": molkit.__version__, "torch": str(torch.__version__), "numpy": np.__version__,
            "python": platform.python_version()}


def state_dict_cpu(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached CPU copy of the model's weights."""
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def save_checkpoint(path: str | Path, weights: dict[str, torch.Tensor], model_config: MOLConfig,
                    train_config: Any, metrics: dict[str, Any], **extra: Any) -> Path:
    """Write a checkpoint; ``extra`` holds further plain values (e.g. the training subjects)."""
    record = {"format": FORMAT, "weights": weights, "model_config": model_config.to_dict(),
              "train_config": train_config.to_dict(), "metrics": metrics,
              "versions": versions(), **extra}
    return save_tensors(path, record)


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu"
                    ) -> tuple[MOL, dict[str, Any]]:
    """The model of a checkpoint (in eval mode, on ``device``) and the rest of its record."""
    record = load_plain(path, device)
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{path}: not a molkit checkpoint (format {FORMAT!r} expected)")
    model = MOL(MOLConfig.from_dict(record["model_config"]))
    model.load_state_dict(record.pop("weights"))
    return model.to(device).eval(), record
