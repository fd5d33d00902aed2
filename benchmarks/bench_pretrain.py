"""The twin as pre-training for real micro-expressions (issue 33, item 2): a CNN baseline trained on
the composite twin's onset->apex images (no real data), then fine-tuned in each of the real
composite's 68 LOSO folds, against the same folds trained on real images alone, paired by fold and
seed; and the pre-trained network alone (twin only).

    python benchmarks/bench_pretrain.py --images DIR --twin-cache CACHE --twin-label TEXT --work WORK
        [--method ststnet] [--seeds 0 1 2] [--workers 2]

Data: real, the 442 public onset->apex images (``molkit.data.read_flow_images``, read in place);
twin, a prepared composite twin's cache (``--twin-cache``; its features through the public images'
convention, ``bench_twin_real.features_of``), named in the record by ``--twin-label`` (which twin,
and whether before or after calibration). The network (``--method``: STSTNet or OFF-ApexNet) at
the ``paper`` profile's baseline settings, molkit's loop (``molkit.baselines.cnn.train_cnn``: AdamW,
300 steps of 32, one torch thread), protocol fixed (the last weights). Per seed (``--seeds``: the
pre-training's and the folds' training seed):

- ``real only``: each fold trained from scratch on the other 67 subjects' real images (what
  ``bench_real_composite.py`` runs as ``fixed``);
- ``twin -> real``: the network trained on every twin image (the same settings), then each fold
  fine-tuned from those weights (``train_cnn(init=...)``: weights only, the input scale kept from
  pre-training) with the same steps and seed, tested on the held-out subject;
- ``twin only``: the pre-trained network tested on each fold's subject, no real training.

Scores: per (variant, seed), per-video UF1 and UAR pooled over the folds with a 95% bootstrap over
the test subjects, per column (composite, CASME II, SAMM, SMIC); per fold the held-out subject's
UF1 and UAR, and a variant's value minus ``real only``'s on the same fold and seed: median with its
exact sign interval and the sign test over the 68 x seeds pairs
(:func:`molkit.run.ablations.paired_differences`).

Work (``--work``): the pre-trained weights (``.pt``) and each fold's predictions (CSV), written
atomically, per (variant, seed): a rerun computes only what is missing. The real-only folds are
shared by every twin; the twin's are kept under a tag of its images' bytes. Two rounds on
``--workers`` processes (one torch thread each): the pre-training beside the real-only folds, then
the fine-tuned folds.

Writes ``reports/benchmarks/pretrain.md``, ``pretrain.csv`` (one row per method, twin, variant and
seed), ``pretrain_folds.csv`` (one per fold too) and ``pretrain_pairs.csv``. A run with another twin
(e.g. after calibration) adds its rows beside the kept ones; one with the same twin's images and
method replaces them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from molkit.baselines import OFFApexNet, STSTNet, VideoFeatures, cnn_logits, train_cnn
from molkit.baselines.config import STSTNetConfig
from molkit.data.cache import atomic_write_text, load_plain, save_tensors
from molkit.data.flow_images import FlowImages, read_flow_images
from molkit.executors import run_tasks, task_threads
from molkit.metrics import summarize
from molkit.reports.paper_tables import NAMES, PAPER_COLUMNS
from molkit.reports.tables import to_markdown
from molkit.run.ablations import paired_differences
from molkit.run.configs import loso_config_from_profile
from molkit.train.loso import METHODS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_real_composite import PROFILE, cell, scores  # noqa: E402
from bench_twin_real import as_features, features_of  # noqa: E402

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "benchmarks"
COLUMNS = PAPER_COLUMNS["composite"]
REAL_ONLY, TWIN_REAL, TWIN_ONLY = "real only", "twin -> real", "twin only"
VARIANTS = (REAL_ONLY, TWIN_REAL, TWIN_ONLY)
NETWORKS = {"ststnet": STSTNet, "offapexnet": OFFApexNet}
N_CLASSES = 3
BLOCK = ["method", "twin_tag"]  # one block of the record: a method pre-trained on one twin


def settings_of(method: str) -> STSTNetConfig:
    """The ``paper`` profile's baseline settings of ``method`` (those of the real composite's runs)."""
    return getattr(loso_config_from_profile(PROFILE, classes="composite"), method)


def twin_tag(twin: FlowImages) -> str:
    """A short name for the twin's images: the SHA-256 of their bytes, labels and video ids."""
    digest = hashlib.sha256(np.ascontiguousarray(twin.images).tobytes())
    digest.update(twin.table.label.to_numpy(np.int64).tobytes())
    digest.update("\n".join(twin.table.video_id).encode())
    return digest.hexdigest()[:12]


def _features(images: FlowImages, subjects: list[str]) -> VideoFeatures:
    table, found = images.part(subjects)
    return VideoFeatures(table[["subject", "video_id", "label"]], found)


def task(kind: str, method: str, settings: STSTNetConfig, seed: int, data: FlowImages, *rest: Any) -> float:
    """One unit of work, run by :func:`molkit.executors.run_tasks` (one torch thread), written
    atomically where it is kept; its training seconds. ``kind`` "pretrain": ``method`` trained on
    every image of ``data`` (the twin) into the ``.pt`` ``rest[0]``; "fold": the fold of subject
    ``rest[0]`` of ``data`` (the real images), from scratch or from the pre-trained weights in the
    file ``rest[1]``, its test subject's predictions into the CSV ``rest[2]``."""
    network = NETWORKS[method]
    tic = time.perf_counter()
    if kind == "pretrain":
        model = train_cnn(network, settings, as_features(data), N_CLASSES, seed)
        seconds = time.perf_counter() - tic
        weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        save_tensors(rest[0], {"weights": weights, "seconds": seconds})
        return seconds
    subject, init, out = rest
    train = _features(data, [s for s in data.subjects if s != subject])  # as run_loso's folds
    weights = load_plain(init)["weights"] if init else None
    model = train_cnn(network, settings, train, N_CLASSES, seed, init=weights)
    seconds = time.perf_counter() - tic
    test = _features(data, [subject])
    table = test.predictions(cnn_logits(model, test.features)).assign(fold=subject, seconds=seconds)
    atomic_write_text(out, table.to_csv(index=False))
    return seconds


def fold_file(folder: Path, subject: str) -> Path:
    return folder / f"fold_{subject.replace('/', '_')}.csv"


def twin_only(
    method: str, settings: STSTNetConfig, weights: Path, real: FlowImages, subjects: list[str]
) -> pd.DataFrame:
    """The pre-trained network's predictions for the real images of ``subjects``, each under its
    subject's fold."""
    model = NETWORKS[method](N_CLASSES, settings.dropout)
    model.load_state_dict(load_plain(weights)["weights"])
    parts = []
    with task_threads(1):  # as the folds compute
        for subject in subjects:
            test = _features(real, [subject])
            parts.append(test.predictions(cnn_logits(model, test.features)).assign(fold=subject, seconds=0.0))
    return pd.concat(parts, ignore_index=True)


def per_fold(videos: pd.DataFrame) -> pd.DataFrame:
    """One row per fold: its test subject's videos, UF1, UAR and accuracy."""
    rows = []
    for fold, part in videos.groupby("fold", sort=True):
        found = summarize(part.label.to_numpy(), part.pred.to_numpy(), N_CLASSES)
        rows.append({"fold": fold, "videos": len(part), **{m: found[m] for m in ("uf1", "uar", "accuracy")}})
    return pd.DataFrame(rows)


def pooled(videos: pd.DataFrame, reference: pd.DataFrame | None) -> dict[str, Any]:
    """Each column's UF1 and UAR with its interval, the summed training seconds, and the share of
    videos predicted as ``reference`` (the real-only run of the same seed) predicts them."""
    seconds = float(videos.drop_duplicates("fold").seconds.sum())  # a fold's on each of its rows
    row: dict[str, Any] = {"videos": len(videos), "seconds": seconds}
    for key, interval in scores(videos).items():
        row[key], row[f"{key}_low"], row[f"{key}_high"] = interval.estimate, interval.low, interval.high
    if reference is not None:
        ours = videos.set_index("video_id").pred
        same = ours == reference.set_index("video_id").pred.reindex(ours.index)
        row["agrees_with_real_only"] = float(same.mean())
    return row


def signs(folds: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per variant: the folds where it scores above, below and level with ``real only``."""
    base = folds[folds.variant == REAL_ONLY].set_index(["seed", "fold"])[metric]
    rows = []
    for variant, part in folds[folds.variant != REAL_ONLY].groupby("variant", sort=False):
        d = part.set_index(["seed", "fold"])[metric] - base
        rows.append(
            {
                "variant": variant,
                "metric": metric,
                "above": (d > 0).sum(),
                "below": (d < 0).sum(),
                "level": (d == 0).sum(),
            }
        )
    return pd.DataFrame(rows)


def measure(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run what is missing; the pooled rows, the per-fold rows and the pairs of this method and twin."""
    real = read_flow_images(args.images)
    twin = features_of(args.twin_cache)
    tag = twin_tag(twin)
    settings = settings_of(args.method)
    base = args.work / f"{args.method}-{PROFILE}"
    saved = base / "settings.json"
    if saved.is_file() and json.loads(saved.read_text()) != settings.to_dict():
        raise ValueError(f"{saved}: this work folder holds runs with other settings; choose another --work")
    atomic_write_text(saved, json.dumps(settings.to_dict(), indent=2))
    twin_dir = base / f"twin-{tag}"
    atomic_write_text(
        twin_dir / "twin.json",
        json.dumps({"cache": str(args.twin_cache), "label": args.twin_label, "samples": len(twin)}, indent=2),
    )
    datasets = {s.split("/")[0] for s in real.subjects}
    subjects = [  # --folds N: each dataset's first N subjects (a quick check)
        s for d in sorted(datasets) for s in [t for t in real.subjects if t.split("/")[0] == d][: args.folds]
    ]
    print(
        f"real: {len(real)} images, {len(real.subjects)} subjects ({len(subjects)} folds); "
        f"twin {tag}: {len(twin)} images",
        flush=True,
    )
    folders = {
        (variant, seed): (base / "real-only" if variant == REAL_ONLY else twin_dir / "twin-real")
        / f"seed{seed}"
        for variant in (REAL_ONLY, TWIN_REAL)
        for seed in args.seeds
    }
    weights = {seed: twin_dir / f"pretrain-seed{seed}.pt" for seed in args.seeds}

    def folds_of(variant: str) -> list[tuple]:
        return [
            (
                "fold",
                args.method,
                settings,
                seed,
                real,
                subject,
                None if variant == REAL_ONLY else str(weights[seed]),
                str(fold_file(folders[variant, seed], subject)),
            )
            for seed in args.seeds
            for subject in subjects
            if not fold_file(folders[variant, seed], subject).is_file()
        ]

    pretraining = [
        ("pretrain", args.method, settings, seed, twin, str(path))
        for seed, path in weights.items()
        if not path.is_file()
    ]
    runs = twin_dir / "runs.json"  # every invocation's rounds that computed something: wall seconds
    spent = json.loads(runs.read_text()) if runs.is_file() else []
    for number, tasks in enumerate((pretraining + folds_of(REAL_ONLY), folds_of(TWIN_REAL)), start=1):
        if not tasks:
            continue
        tic = time.perf_counter()
        executor = {"executor": "processes", "workers": args.workers} if args.workers > 1 else {}
        run_tasks(task, tasks, progress=True, desc=f"round {number}", **executor)
        wall = time.perf_counter() - tic
        spent.append(
            {"when": time.strftime("%Y-%m-%d %H:%M"), "round": number, "tasks": len(tasks), "seconds": wall}
        )
        atomic_write_text(runs, json.dumps(spent, indent=2))
        print(f"round {number}: {len(tasks)} tasks, {wall:.0f} s wall", flush=True)

    videos = {
        key: pd.concat([pd.read_csv(fold_file(folder, s)) for s in subjects], ignore_index=True)
        for key, folder in folders.items()
    }
    for seed, path in weights.items():
        videos[TWIN_ONLY, seed] = twin_only(args.method, settings, path, real, subjects)
    pretrain_seconds = {seed: float(load_plain(path)["seconds"]) for seed, path in weights.items()}
    kept = load_plain(weights[args.seeds[0]])["weights"]["scale"].numpy()  # the fine-tunes' input scale
    own = real.images.std(axis=(0, 2, 3))  # what a run from scratch on all real images would take
    command = "python benchmarks/bench_pretrain.py " + shlex.join(sys.argv[1:])
    block = {
        "method": METHODS[args.method],
        "twin_tag": tag,
        "twin_label": args.twin_label,
        "twin_cache": str(args.twin_cache),
        "twin_samples": len(twin),
        "folds": len(subjects),
        "scale_kept": " / ".join(f"{v:.1f}" for v in kept),
        "scale_real": " / ".join(f"{v:.1f}" for v in own),
        "command": command,
        "workers": args.workers,
        "wall_seconds": sum(r["seconds"] for r in spent),
        "wall_tasks": sum(r["tasks"] for r in spent),
        "tasks": len(args.seeds) * (1 + 2 * len(subjects)),
        "written": time.strftime("%Y-%m-%d %H:%M"),
        "host": platform.node(),
    }
    rows, fold_rows = [], []
    for variant in VARIANTS:
        for seed in args.seeds:
            found = videos[variant, seed]
            reference = None if variant == REAL_ONLY else videos[REAL_ONLY, seed]
            row = {**block, "variant": variant, "seed": seed, **pooled(found, reference)}
            if variant != REAL_ONLY:
                row["pretrain_seconds"] = pretrain_seconds[seed]
            rows.append(row)
            fold_rows.append(per_fold(found).assign(variant=variant, seed=seed))
    folds = pd.concat(fold_rows, ignore_index=True)
    pairs = pd.concat(
        [
            paired_differences(folds, metric, reference=REAL_ONLY).merge(
                signs(folds, metric), on=["variant", "metric"]
            )
            for metric in ("uf1", "uar")
        ],
        ignore_index=True,
    )
    keep = {k: block[k] for k in ("method", "twin_tag", "twin_label")}
    return pd.DataFrame(rows), folds.assign(**keep), pairs.assign(**keep)


def merged(path: Path, new: pd.DataFrame) -> pd.DataFrame:
    """``new`` beside the rows of ``path`` (if any) that belong to other blocks."""
    if not path.is_file():
        return new
    old = pd.read_csv(path, dtype={"twin_tag": str})
    keys = set(map(tuple, new[BLOCK].drop_duplicates().to_numpy()))
    kept = old[[tuple(k) not in keys for k in old[BLOCK].to_numpy()]]
    return pd.concat([kept, new], ignore_index=True)


def earlier_real_only(method: str) -> pd.DataFrame:
    """The same method's ``fixed`` rows in ``real_composite.csv`` (the real composite's record)."""
    path = REPORTS / "real_composite.csv"
    if not path.is_file():
        return pd.DataFrame()
    table = pd.read_csv(path)
    return table[(table.method == method) & (table.protocol == "fixed")]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def block_text(rows: pd.DataFrame, pairs: pd.DataFrame) -> list[str]:
    """The record of one method pre-trained on one twin."""
    first = rows.iloc[0]
    table = pd.DataFrame(
        [
            [
                r.variant,
                r.seed,
                *[cell(r, f"{c}_{m}") for c in COLUMNS for m in ("uf1", "uar")],
                "" if pd.isna(r.get("agrees_with_real_only")) else f"{r.agrees_with_real_only:.0%}",
                f"{r.seconds:.0f}" if r.variant != TWIN_ONLY else "",
            ]
            for _, r in rows.iterrows()
        ],
        columns=[
            "variant",
            "seed",
            *[f"{NAMES[c]} {m.upper()}" for c in COLUMNS for m in ("uf1", "uar")],
            "same prediction as real only",
            "fold training s (summed)",
        ],
    )
    spread = pd.DataFrame(
        [
            {
                "variant": variant,
                "seeds": len(part),
                **{
                    f"{NAMES[c]} UF1 mean (range)": f"{part[f'{c}_uf1'].mean():.3f} "
                    f"({part[f'{c}_uf1'].min():.3f}-{part[f'{c}_uf1'].max():.3f})"
                    for c in COLUMNS
                },
                "Composite UAR mean": f"{part.composite_uar.mean():.3f}",
            }
            for variant, part in rows.groupby("variant", sort=False)
        ]
    )
    paired = pd.DataFrame(
        [
            {
                "variant - real only": p.variant,
                "per-fold metric": p.metric.upper(),
                "pairs": p.pairs,
                "mean": f"{p['mean']:+.3f}",
                "median [sign interval]": f"{p['median']:+.3f} [{p.low:+.3f}, {p.high:+.3f}]",
                "coverage": f"{p.coverage:.3f}",
                "sign test p": f"{p.p_sign:.3g}",
                "folds above / below / level": f"{p.above} / {p.below} / {p.level}",
            }
            for _, p in pairs.iterrows()
        ]
    )
    pretrain = rows[rows.variant == TWIN_REAL].pretrain_seconds
    seconds = rows[rows.variant != TWIN_ONLY].groupby("variant", sort=False).seconds.median()
    lines = [
        f"## {first.method}, pre-trained on: {first.twin_label}",
        "",
        f"Twin: `{first.twin_cache}` ({int(first.twin_samples)} samples, images tag {first.twin_tag}). "
        f"Written {first.written} on {first.host}. The fine-tunes' input scale (u / v / strain), kept "
        f"from pre-training: {first.scale_kept} (seed {rows.seed.min()}); the real images' own: {first.scale_real}.",
        "",
        f"    {first.command}",
        "",
        f"Times (one torch thread a task, 2-core CPU shared with other work): pre-training "
        f"{pretrain.min():.0f}-{pretrain.max():.0f} s a seed; a LOSO run's {int(first.folds)} folds, summed, median over "
        "seeds: "
        + ", ".join(f"{v} {_minutes(s)}" for v, s in seconds.items())
        + f"; wall time of the invocations that computed {int(first.wall_tasks)} of its {int(first.tasks)} tasks (pre-trainings and "
        f"folds, real-only ones included when they were missing), {first.workers} side by side: "
        f"{_minutes(float(first.wall_seconds))}.",
        "",
        to_markdown(table),
        "",
        "Over the seeds (composite UF1 mean and range):",
        "",
        to_markdown(spread),
        "",
        "Paired by fold and seed (the held-out subject's UF1 or UAR, a variant's minus real only's):",
        "",
        to_markdown(paired),
        "",
        *reading(rows, pairs),
        "",
    ]
    return lines


def reading(rows: pd.DataFrame, pairs: pd.DataFrame) -> list[str]:
    """One paragraph, computed from the numbers: does pre-training beat real-only by more than the
    spread over seeds, and if not by how much it misses; the real-only row against the record."""
    uf1 = rows.pivot(index="seed", columns="variant", values="composite_uf1")
    real, tuned, alone = uf1[REAL_ONLY], uf1[TWIN_REAL], uf1[TWIN_ONLY]
    gain = tuned - real
    spread = max(real.max() - real.min(), tuned.max() - tuned.min())
    pair = pairs[(pairs.variant == TWIN_REAL) & (pairs.metric == "uf1")].iloc[0]
    text = (
        f"Reading. Composite UF1, mean over {len(uf1)} seeds: real only {real.mean():.3f} "
        f"({real.min():.3f}-{real.max():.3f}), twin -> real {tuned.mean():.3f} ({tuned.min():.3f}-{tuned.max():.3f}), "
        f"twin only {alone.mean():.3f}. Pre-training moves it by {gain.mean():+.3f} on average "
        f"(per seed {', '.join(f'{g:+.3f}' for g in gain)}), against a spread over seeds of {spread:.3f} "
        "(the larger range of the two rows): "
    )
    if gain.mean() > spread:
        text += f"it beats real only by more than the spread, by {gain.mean() - spread:.3f}. "
    else:
        text += (
            f"it does not beat real only by more than the spread; it misses that bar by "
            f"{spread - gain.mean():.3f} UF1"
            + (" (and is below real only)" if gain.mean() < 0 else "")
            + ". "
        )
    text += (
        f"Paired by fold and seed, the held-out subject's UF1 moves by median {pair['median']:+.3f} "
        f"(sign interval {pair.low:+.3f} to {pair.high:+.3f}, {pair.coverage:.0%}; sign test p = {pair.p_sign:.2g}; "
        f"{pair.above} folds above, {pair.below} below, {pair.level} level). "
    )
    columns = []
    for column in COLUMNS[1:]:
        by_seed = rows.pivot(index="seed", columns="variant", values=f"{column}_uf1")
        moved = by_seed[TWIN_REAL] - by_seed[REAL_ONLY]
        columns.append(
            f"{NAMES[column]} {moved.mean():+.3f} ({(moved > 0).sum()} of {len(moved)} seeds above)"
        )
    text += f"Per column, UF1 twin -> real minus real only, mean over seeds: {'; '.join(columns)}. "
    agree = rows[rows.variant == TWIN_REAL].agrees_with_real_only
    text += f"The fine-tuned networks predict {agree.mean():.0%} of the videos as the real-only ones of the same seed do. "
    earlier = earlier_real_only(rows.method.iloc[0])
    if len(earlier):
        by_seed = earlier.assign(seed=earlier.seed.astype(int)).set_index("seed").composite_uf1
        common = [s for s in real.index if s in by_seed.index]
        if common:
            diff = max(abs(real[s] - by_seed[s]) for s in common)
            text += (
                f"The real-only row against `real_composite.csv`'s fixed runs of the same seeds "
                f"({', '.join(f'{by_seed[s]:.3f}' for s in common)}): "
                + ("the same numbers" if diff < 5e-4 else f"at most {diff:.3f} apart")
                + "."
            )
    return [text]


def report(frame: pd.DataFrame, pairs: pd.DataFrame) -> str:
    lines = [
        "# The twin as pre-training for real micro-expressions",
        "",
        "Written by `benchmarks/bench_pretrain.py` (issue 33, item 2). Real: the 442 public onset->apex "
        "images of the MEGC 2019 composite (68 subjects, 3 classes), LOSO over the 68 subjects; twin: a "
        "composite twin's onset->apex features through the same convention (`as_flow_images`: per-image "
        "min-max to 0..255, u, v, strain), no real data. Networks at the `paper` profile's baseline settings "
        "(molkit's loop: AdamW lr 1e-3, 300 steps of 32, one torch thread), protocol fixed (the last weights). "
        f"Variants, per training seed: **{REAL_ONLY}** (each fold from scratch on the other 67 subjects' real "
        f"images), **{TWIN_REAL}** (pre-trained on every twin image with the same settings, then each fold "
        "fine-tuned from those weights, the same steps and seed: `train_cnn(init=...)`, weights only, the "
        f"input scale kept from pre-training), **{TWIN_ONLY}** (the pre-trained network tested on each "
        "fold's subject, no real training). Cells: per-video UF1/UAR pooled over the folds, 95% bootstrap "
        "over the column's test subjects. Pairs: per fold and seed, median difference with its exact sign "
        "interval and the sign test (subjects with few videos give many level folds).",
        "",
    ]
    for _, rows in frame.groupby(BLOCK, sort=False):
        keys = rows.iloc[0][BLOCK]
        chosen = pairs[(pairs.method == keys.method) & (pairs.twin_tag == keys.twin_tag)]
        lines += block_text(rows.reset_index(drop=True), chosen.reset_index(drop=True))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True, help="the public onset->apex images")
    parser.add_argument("--twin-cache", type=Path, required=True, help="a prepared composite twin's cache")
    parser.add_argument(
        "--twin-label", required=True, help="which twin, in the record (e.g. before calibration)"
    )
    parser.add_argument(
        "--work", type=Path, required=True, help="pre-trained weights and fold predictions (reused)"
    )
    parser.add_argument("--method", default="ststnet", choices=sorted(NETWORKS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--workers", type=int, default=2, help="processes side by side (one thread each)")
    parser.add_argument("--report", type=Path, default=REPORTS, help="where pretrain.md/.csv go")
    parser.add_argument(
        "--folds", type=int, help="each dataset's first N subjects' folds only (a quick check)"
    )
    args = parser.parse_args()
    args.work, args.twin_cache = args.work.resolve(), args.twin_cache.resolve()
    rows, folds, pairs = measure(args)
    args.report.mkdir(parents=True, exist_ok=True)
    rows = merged(args.report / "pretrain.csv", rows)
    folds = merged(args.report / "pretrain_folds.csv", folds)
    pairs = merged(args.report / "pretrain_pairs.csv", pairs)
    atomic_write_text(args.report / "pretrain.csv", rows.to_csv(index=False))
    atomic_write_text(args.report / "pretrain_folds.csv", folds.to_csv(index=False))
    atomic_write_text(args.report / "pretrain_pairs.csv", pairs.to_csv(index=False))
    text = report(rows, pairs)
    atomic_write_text(args.report / "pretrain.md", text)
    print(text)


if __name__ == "__main__":
    main()
