"""molkit: reproduce and analyse MOL (micro-expression recognition trained jointly with optical
flow and facial landmarks) on licensed datasets or the kit's own synthetic benchmark.

The public API is listed here; names load on first use, so ``import molkit`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from molkit.config import Config
from molkit.profiles import PROFILES, Profile, get_profile

__version__ = "0.1.0"

_LAZY: dict[str, tuple[str, ...]] = {
    "molkit.synthetic": (
        "SynthConfig",
        "generate",
        "true_flow",
        "true_landmarks",
        "true_region_mask",
        "sample_truth",
        "has_ground_truth",
    ),
    "molkit.data": (
        "read_dataset",
        "read_composite",
        "prepare",
        "PrepSettings",
        "ClipDataset",
        "loso_folds",
        "released_subjects",
        "compare_subjects",
    ),
    "molkit.model": ("MOL", "MOLConfig", "MOLOutput", "from_released_state_dict", "load_released_checkpoint"),
    "molkit.losses": ("LossWeights", "joint_loss"),
    "molkit.gpu": ("pick_device", "seed_everything"),
    "molkit.metrics": ("summarize",),
    "molkit.train": ("TrainConfig", "LosoConfig", "train_fold", "run_loso", "load_loso", "load_checkpoint"),
    "molkit.baselines": ("STSTNet", "STSTNetConfig", "LinearConfig"),
    "molkit.attribution": (
        "AttributionConfig",
        "attribute",
        "region_masks",
        "region_scores",
        "pointing_game",
    ),
    "molkit.run.reproduce": ("reproduce",),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}

__all__ = ["Config", "PROFILES", "Profile", "get_profile", "__version__", *_HOME]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'molkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
