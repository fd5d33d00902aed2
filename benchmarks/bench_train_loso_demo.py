"""The easy profile's LOSO on its synthetic set: ``fixed`` (leak-free) beside ``released``
(test-set selection), with UF1, UAR, per-class recall and run time of each, in one run.

    python benchmarks/bench_train_loso_demo.py --work /tmp/demo   # synthesises and prepares if needed

Writes ``reports/benchmarks/train_loso_demo.md``.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import torch

from molkit.data import prepare
from molkit.profiles import get_profile
from molkit.run.configs import loso_config_from_profile
from molkit.synthetic import generate
from molkit.train import run_loso

REPORT = Path(__file__).resolve().parents[1] / "reports" / "benchmarks" / "train_loso_demo.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for data, cache and runs")
    parser.add_argument("--profile", default="easy")
    parser.add_argument("--protocols", nargs="+", default=["fixed", "released"])
    args = parser.parse_args()
    profile = get_profile(args.profile)
    root, cache = args.work / "synthetic", args.work / "cache"
    if not (cache / "videos.csv").exists():
        generate(
            root,
            subjects=profile.synthetic_subjects,
            frames=profile.synthetic_frames,
            samples_per_subject=profile.synthetic_samples_per_subject,
        )
        prepare("casme2", root, cache)
    lines = [
        f"# LOSO on the easy-profile synthetic set, profile `{profile.name}`",
        "",
        f"`python benchmarks/bench_train_loso_demo.py --work DIR --profile {profile.name}`; "
        f"{profile.synthetic_subjects} subjects x {profile.synthetic_samples_per_subject} "
        f"samples; MOL with flow-head width {profile.flow_width}, {profile.steps} steps of "
        f"batch {profile.batch_size} per fold, {profile.train_crops} training crops per clip. "
        f"CPU ({platform.machine()}, {torch.get_num_threads()} threads), torch "
        f"{torch.__version__}. The 2-core machine was shared with other engineers' jobs: "
        "run times are noisy upper bounds.",
        "",
        "| protocol | level | n | UF1 | UAR | accuracy | per-class recall | run time |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for protocol in args.protocols:
        config = loso_config_from_profile(profile, protocol=protocol)
        tic = time.perf_counter()
        result = run_loso(config, cache, args.work / f"loso_{protocol}")
        seconds = time.perf_counter() - tic
        result.save(args.work / f"loso_{protocol}")
        print(result, f"in {seconds:.0f} s")
        for level in ("video", "clip"):
            row = result.summary.set_index("level").loc[level]
            recall = result.per_class[result.per_class.level == level]
            recalls = ", ".join(f"{c} {r:.2f}" for c, r in zip(recall["class"], recall["recall"]))
            lines.append(
                f"| {result.label} | {level} | {int(row['n'])} | {row['uf1']:.3f} | "
                f"{row['uar']:.3f} | {row['accuracy']:.3f} | {recalls} | {seconds:.0f} s |"
            )
    chance = 1 / len(result.class_names)
    lines += [
        "",
        f"Chance: UAR {chance:.2f}; UF1 of a constant or uniform-random guess is at "
        f"most about {chance:.2f}. `released` keeps the checkpoint with the best test-subject "
        "accuracy (test-set selection); `fixed` keeps the last weights.",
        "",
    ]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
