"""Run profiles: how big a run is. ``MOLKIT_PROFILE`` picks one; ``demo`` is the default.

- ``smoke``: CI; seconds per notebook, results meaningless (draft TV-L1 flows, 6-7x faster; one
  process).
- ``demo``: a part of the twin of the MEGC 2019 composite (the data that poses what real data
  poses) end to end in under 25 minutes on a 2-core CPU, with a narrow flow head (``flow_width``
  < 1, named in every report); MOL on two named folds, the baselines on every fold; the
  auxiliary-task ablation shown from its benchmark record (it does not fit in the 25 minutes);
  and CASME II in five classes (its own twin, the same subjects) from the baselines alone.
- ``easy``: the same model and steps on the easy tier (the synthetic benchmark where every class
  is one fixed movement), the kit's positive control: two folds, kit and released recipes, a short
  ablation.
- ``paper``: the released protocol's scale (full width, 1000 steps of batch 32 per fold) on the
  whole composite twin, every fold, every dataset column, and on CASME II's twin in five classes,
  MOL and the baselines alike, for a GPU.
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
    # MOL's training recipes (molkit.train.recipes) that notebook 02 runs; the first is the main one
    recipes: tuple[str, ...] = ("kit", "released")
    folds: int | None = None  # LOSO folds the notebooks train (the first N subjects); None: all
    fold_workers: int = 1  # folds trained side by side on a CPU (one thread each)
    # parallel generation and preparation workers (0: all cores; 1: the notebook's own process)
    workers: int = 0
    # the data a run uses when the notebooks' dataset/classes are None: "synthetic" (the easy
    # tier) or "twin" (the twin of the real datasets: the composite for classes "composite",
    # CASME II for "5"), its first twin_subjects subjects of each dataset (None: all)
    dataset: str = "synthetic"
    classes: str = "5"
    twin_subjects: int | None = None
    fold_subjects: tuple[str, ...] = ()  # MOL's named LOSO folds (empty: ``folds`` decides)
    # notebook 03 without an ``ablations`` parameter shows the benchmark's record of the task
    # ablation (reports/benchmarks/ablations_twin_pairs.csv) instead of training one
    ablations_recorded: bool = False
    # class sets whose paper table a twin run adds, on that set's own twin (CASME II's for "5"), its
    # first twin_subjects subjects: the baselines on every fold, and MOL's recipes on every fold
    # where mol_in_extra_classes (the paper profile; the demo has no time for it)
    extra_classes: tuple[str, ...] = ()
    mol_in_extra_classes: bool = False
    # TV-L1 stopped early in the preparation (molkit.data.tvl1.DRAFT_EPSILON): smoke's flows,
    # which nobody reads as results; else the released threshold
    draft_flows: bool = False
    # the onset->apex baselines notebook 02 trains on the real composite's public images (when it
    # is given them: molkit.run.steps.real_images), on all 68 subjects' folds; OFF-ApexNet
    # (~25 min for 68 folds on one core) only where there is time for it
    real_baselines: tuple[str, ...] = ("ststnet", "linear")


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
        draft_flows=True,
        # six videos: starting worker processes (each loads torch and dlib) costs what they save
        # (notebook 01's preparation 12-14 s in one process, 14-15 s in two, idle 2-core CPU,
        # 2026-12-01), and under CI the other core runs another test file
        workers=1,
    ),
    "easy": Profile(
        # the easy tier in about 20 minutes on a quiet 2-core CPU (preparation ~0.2 CPU s per
        # frame; a training step of 4 clips at width 0.125 ~0.8-1.1 CPU s): 16 identities so that
        # flow and landmarks generalise, two LOSO folds trained side by side, obvious movements
        # (difficulty 1/3); 400 steps, where the flow head beats zero flow on held-out subjects (at
        # 300 it does not yet: reports/benchmarks/learning.md); ablations short (100 steps, two
        # seeds, one fold)
        name="easy",
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
        extra_classes=("5",),
        mol_in_extra_classes=True,
        real_baselines=("ststnet", "offapexnet", "linear"),
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


# The default: the easy profile's model and steps on the composite twin's first 4 subjects of each
# dataset (116 samples, 12 subjects). Measured on this 2-core CPU from a fresh clone (2026-12-01):
# generating and preparing them 3.0 min, MOL's 400 steps 7 min per two folds side by side in the
# morning and 10.6 min in the evening (a step 0.8-1.1 s, then 1.45 s); the whole run with MOL on
# four folds, two rounds, 19.7 min in the morning and 34.2 min in the evening. So MOL (kit recipe)
# runs one round: two named folds, SMIC's and CASME II's first (smic/s3: 39 videos, casme2/sub02:
# 9); the baselines on all 12. The released recipe (another round) and the task ablation (six seed
# x fold pairs of four variants at 400 steps, about 80 min; at 100 steps MOL has not started
# learning on the twin, its MER loss still at chance) do not fit in 25 minutes: notebook 03 shows
# the ablation's benchmark record, and `-p ablations tasks` trains it.
PROFILES["demo"] = dataclasses.replace(
    PROFILES["easy"],
    name="demo",
    dataset="twin",
    classes="composite",
    twin_subjects=4,
    folds=None,
    fold_subjects=("smic/s3", "casme2/sub02"),
    recipes=("kit",),
    ablation_steps=400,
    ablation_seeds=(0, 1, 2),
    ablation_folds=2,
    ablations_recorded=True,
    extra_classes=("5",),
)


def get_profile(name: str | None = None) -> Profile:
    """The named profile, else ``$MOLKIT_PROFILE``, else ``demo``."""
    name = name or os.environ.get(PROFILE_ENV) or "demo"
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}") from None
