"""At which movement size does each method start to see micro-expressions? Per-video UF1 against
the synthetic benchmark's difficulty, same folds for every method, several seeds per point.

    python benchmarks/bench_sensitivity.py --work DIR [--difficulties 1/3 1/2 1 2] [--seeds 0 1 2]

Methods: MOL with the kit's recipe, the same without its auxiliary tasks (no flow, no landmarks:
MOL's central claim is that they help where movements are subtle), STSTNet and the linear baseline
on the onset->apex flow. Data: one synthetic set per difficulty (the easy profile's size, the same
identities and draws, only the movements' size differs), prepared as the kit prepares. Every
method trains on the first ``--folds`` LOSO folds with each seed (the linear model has no seed).

Writes ``reports/benchmarks/sensitivity.{md,csv,png}`` (runs are kept in ``--work`` and reused).
"""

from __future__ import annotations

import argparse
import platform
import time
from fractions import Fraction
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from molkit.data import PrepSettings, prepare  # noqa: E402
from molkit.data.cache import atomic_write_text  # noqa: E402
from molkit.profiles import get_profile  # noqa: E402
from molkit.run.configs import loso_config_from_profile  # noqa: E402
from molkit.synthetic import SynthConfig, generate  # noqa: E402
from molkit.train.loso import LosoConfig, run_loso  # noqa: E402
from molkit.train.recipes import prep_changes  # noqa: E402

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "benchmarks"
METHODS = {
    "MOL (kit recipe)": {},
    "MOL without flow and landmarks": {"flow": False, "landmarks": False},
    "STSTNet": "ststnet",
    "linear (logistic regression)": "linear",
}


def dataset(work: Path, size: SynthConfig, difficulty: float) -> Path:
    """The cache of the synthetic set at ``difficulty`` (made once)."""
    name = f"d{difficulty:.3f}"
    root, cache = work / name / "synthetic", work / name / "cache"
    if not (cache / "videos.csv").is_file():
        generate(root, size.replace(difficulty=difficulty))
        prepare("casme2", root, cache, PrepSettings(**prep_changes("kit")), progress=False)
    return cache


def config_for(method: str, base: LosoConfig, seed: int) -> LosoConfig:
    spec = METHODS[method]
    config = base.replace(train=base.train.replace(seed=seed), data_seed=seed)
    if isinstance(spec, str):
        return config.replace(method=spec)
    return config.replace(model=config.model.replace(**spec))


def plot(table: pd.DataFrame, chance: float, path: Path) -> None:
    figure, axis = plt.subplots(figsize=(7, 4.2))
    for method, rows in table.groupby("method", sort=False):
        stats = rows.groupby("difficulty").uf1.agg(["mean", "min", "max"]).sort_index()
        size = 2.0 / stats.index  # the largest apex displacement, crop px
        axis.plot(size, stats["mean"], marker="o", label=method)
        axis.fill_between(size, stats["min"], stats["max"], alpha=0.2)
    axis.axhline(chance, color="grey", linestyle="--", label="chance")
    axis.set_xscale("log")
    axis.set_xlabel("largest apex displacement, px of the 128 px crop (difficulty 1 = 2 px: CASME II-like)")
    axis.set_ylabel("per-video UF1 (held-out subjects)")
    axis.set_ylim(0, 1.02)
    axis.set_title("Sensitivity to movement size: mean over seeds, band = min..max")
    axis.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--profile", default="easy", help="data size, steps and batch (default easy)")
    parser.add_argument(
        "--difficulties", nargs="+", type=lambda t: float(Fraction(t)), default=[1 / 3, 1 / 2, 1.0, 2.0]
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    args = parser.parse_args()
    profile = get_profile(args.profile)
    size = SynthConfig(
        subjects=profile.synthetic_subjects,
        frames=profile.synthetic_frames,
        samples_per_subject=profile.synthetic_samples_per_subject,
    )
    base = loso_config_from_profile(profile, folds=args.folds)
    rows = []
    for difficulty in args.difficulties:
        cache = dataset(args.work, size, difficulty)
        for method in args.methods:
            for seed in args.seeds if METHODS[method] != "linear" else args.seeds[:1]:
                config = config_for(method, base, seed)
                tic = time.perf_counter()
                result = run_loso(
                    config,
                    cache,
                    args.work / f"d{difficulty:.3f}" / "runs" / f"{method}-{seed}",
                    executor="processes",
                    workers=2,
                    progress=False,
                )
                video = result.summary.set_index("level").loc["video"]
                rows.append(
                    {
                        "difficulty": difficulty,
                        "apex_px_max": 2.0 / difficulty,
                        "method": method,
                        "seed": seed,
                        "uf1": video["uf1"],
                        "uar": video["uar"],
                        "videos": int(video["n"]),
                        "seconds": time.perf_counter() - tic,
                    }
                )
                print(rows[-1], flush=True)
                table = pd.DataFrame(rows)
                atomic_write_text(REPORTS / "sensitivity.csv", table.to_csv(index=False))
    chance = 1 / base.model.n_classes
    plot(table, chance, REPORTS / "sensitivity.png")
    summary = table.groupby(["method", "difficulty"], sort=False).uf1.agg(["mean", "min", "max", "count"])
    lines = [
        "# Sensitivity to movement size",
        "",
        f"`python benchmarks/bench_sensitivity.py --work DIR --profile {profile.name} --folds "
        f"{args.folds} --seeds {' '.join(map(str, args.seeds))} --difficulties "
        f"{' '.join(str(Fraction(d).limit_denominator(12)) for d in args.difficulties)} --methods "
        f"{' '.join(repr(m) for m in args.methods)}`; synthetic sets of "
        f"{size.subjects} subjects x {size.samples_per_subject} samples x {size.frames} frames, "
        f"one per difficulty (the same identities and draws); the first {args.folds} LOSO folds "
        f"(`fixed` protocol), {base.train.steps} steps of batch {base.train.batch_size} per fold "
        f"for MOL (flow-head width {base.model.flow_width:g}), {base.ststnet.steps} for STSTNet. "
        f"CPU ({platform.machine()}), torch {torch.__version__}; {table.seconds.sum() / 60:.0f} "
        f"min in all. Chance UF1 about {chance:.2f}. Figure: `reports/benchmarks/sensitivity.png`.",
        "",
        "| method | difficulty | largest apex px | UF1 mean | min | max | seeds |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (method, difficulty), r in summary.iterrows():
        lines.append(
            f"| {method} | {difficulty:.3g} | {2.0 / difficulty:.1f} | {r['mean']:.3f} | "
            f"{r['min']:.3f} | {r['max']:.3f} | {int(r['count'])} |"
        )
    atomic_write_text(REPORTS / "sensitivity.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
