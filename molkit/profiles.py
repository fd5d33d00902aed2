"""Run profiles: how big a run is. ``MOLKIT_PROFILE`` picks one; ``demo`` is the default.

- ``smoke``: CI; seconds per notebook, results meaningless.
- ``demo``: the synthetic benchmark end to end in about 20 minutes on a 2-core CPU, with a
  narrow flow head (``flow_width`` < 1, named in every report), obvious movements and two folds.
- ``twin``: the demo's model and steps on a part of the twin of the MEGC 2019 composite (the
  data that poses what real data poses), MOL on four named folds; the candidate default.
- ``paper``: the released protocol's scale (full width, 1000 steps of batch 32 per fold) on the
  whole composite twin, every fold, every dataset column, for a GPU.
"""

from __future__ import annotations

import dataclasses
import os

from molkit.config import Config

PROFILE_ENV = "MOLKIT_PROFILE"


@dataclasses.dataclass
class Profile(Config):
    name: str
    # synthetic benchmark size
    synthetic_subjects: int
    synthetic_samples_per_subject: int
    synthetic_frames: int
    # model and training
    flow_width: float
    steps: int
    batch_size: int
    train_crops: int
    # ablations and attribution
    ablation_steps: int
    ablation_seeds: tuple[int, ...]
    ablation_folds: int | None  # None: every LOSO fold
    attribution_samples: int
    ablation_variants: tuple[str, ...] = ()  # notebook 03 variants; empty: all of them
    baseline_steps: int = 300  # STSTNet's training steps per fold (notebook 02's baseline)
    synthetic_difficulty: float = 1.0  # 1: as subtle as CASME II; 1/3: obvious (molkit.synthetic)
    recipe: str = "kit"  # MOL's training recipe (molkit.train.recipes); notebook 02 also runs "released"
    folds: int | None = None  # LOSO folds the notebooks train (the first N subjects); None: all
    fold_workers: int = 1  # folds trained side by side on a CPU (one thread each)
    # parallel preparation workers (0: all cores)
    workers: int = 0
    # the data a run uses when the notebooks' dataset/classes are None: "synthetic" (the easy
    # tier) or "twin" (the twin of the real datasets: the composite for classes "composite",
    # CASME II for "5"), its first twin_subjects subjects of each dataset (None: all)
    dataset: str = "synthetic"
    classes: str = "5"
    twin_subjects: int | None = None
    fold_subjects: tuple[str, ...] = ()  # MOL's named LOSO folds (empty: ``folds`` decides)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        synthetic_subjects=3,
        synthetic_samples_per_subject=2,
        synthetic_frames=24,
        flow_width=0.125,
        steps=3,
        batch_size=2,
        train_crops=1,
        ablation_steps=2,
        ablation_seeds=(0,),
        ablation_folds=1,
        attribution_samples=2,
        ablation_variants=("full", "no flow, no landmarks"),
        baseline_steps=30,
    ),
    "demo": Profile(
        # sized so that `make reproduce` runs in about 20 minutes on a quiet 2-core CPU
        # (preparation ~0.2 CPU s per frame; a training step of 4 clips at width 0.125 ~0.8 CPU s):
        # 16 identities so that flow and landmarks generalise, two LOSO folds trained side by side,
        # obvious movements (difficulty 1/3); 400 steps, where the flow head beats zero flow
        # on held-out subjects (at 300 it does not yet: reports/benchmarks/learning.md); ablations
        # short (100 steps, two seeds, one fold) to keep the whole run under 25 minutes
        name="demo",
        synthetic_subjects=16,
        synthetic_samples_per_subject=5,
        synthetic_frames=16,
        synthetic_difficulty=1 / 3,
        folds=2,
        fold_workers=2,
        flow_width=0.125,
        steps=400,
        batch_size=4,
        train_crops=5,
        ablation_steps=100,
        ablation_seeds=(0, 1),
        ablation_folds=1,
        attribution_samples=10,
        ablation_variants=("full", "no flow", "no landmarks", "no flow, no landmarks"),
    ),
    "paper": Profile(
        name="paper",
        dataset="twin",
        classes="composite",
        synthetic_subjects=26,
        synthetic_samples_per_subject=10,
        synthetic_frames=60,
        flow_width=1.0,
        steps=1000,
        batch_size=32,
        train_crops=5,
        ablation_steps=1000,
        ablation_seeds=(2023, 2024, 2025),
        ablation_folds=None,
        attribution_samples=100,
    ),
}


# the demo's model and steps on the twin of the MEGC 2019 composite (its first 4 subjects of each
# dataset: 116 samples, 12 subjects), baselines on every fold, MOL on four named folds that span
# the three datasets (78 test videos), ablations on the first two of them under three seeds; not
# yet timed against the 25-minute budget of the default run (reports/benchmarks/learning.md)
PROFILES["twin"] = dataclasses.replace(
    PROFILES["demo"],
    name="twin",
    dataset="twin",
    classes="composite",
    twin_subjects=4,
    folds=None,
    fold_subjects=("casme2/sub02", "samm/006", "smic/s3", "smic/s4"),
    ablation_seeds=(0, 1, 2),
    ablation_folds=2,
)


def get_profile(name: str | None = None) -> Profile:
    """The named profile, else ``$MOLKIT_PROFILE``, else ``demo``."""
    name = name or os.environ.get(PROFILE_ENV) or "demo"
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}") from None
