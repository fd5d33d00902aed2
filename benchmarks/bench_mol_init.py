"""MOL from the twin (issue 33, item 3): pre-trained on one dataset's twin, then fine-tuned and
tested under LOSO on another dataset's twin, against the same LOSO trained from scratch, paired by
fold and seed. The stand-in for a user with licensed data who starts MOL from a twin checkpoint
(``molkit loso --init CHECKPOINT``).

    python benchmarks/bench_mol_init.py --work DIR [--source casme2 --source-subjects 12]
        [--target samm --target-subjects 6] [--pretrain-steps 400] [--steps 150] [--folds N]
        [--seeds 2023 ...] [--workers 2] [--report DIR]

The defaults are the short version, sized for about 25-30 minutes on a quiet 2-core CPU (MOL at
the demo profile's size: a step of 4 clips ~1-1.5 s on one thread; making and preparing the two
twins ~4-5 min; 400 + 2 x 6 x 150 = 2200 training steps on two processes ~20-28 min). More
folds, steps and seeds grow it in proportion: ``--target-subjects 29 --steps 400 --seeds 2023
2024 2025`` is about 70,000 steps, ~10-14 hours on two cores (or a GPU).

Data: the ``--source`` twin's first ``--source-subjects`` subjects (pre-training: every subject,
no test subject) and the ``--target`` twin's first ``--target-subjects`` (LOSO; ``--folds``: its
first N folds), both at the calibrated amplitude scale (``--scale``), made and prepared once in
``--work`` with the kit's preparation (one alignment per video; ``--draft-flows``: the smoke
profile's draft TV-L1, for a quick check), classes ``--classes`` (default 3: negative, positive,
surprise, which both twins have). MOL is the ``--profile``'s run (default ``demo``: kit recipe,
flow-head width 0.125, batch 4, 5 training crops), protocol fixed (the last weights are scored).

Per seed (``--seeds``: the pre-training's and both LOSO runs' training seed):

- ``twin only``: MOL trained ``--pretrain-steps`` steps on the source twin, scored as it is on
  each fold's test subject (no target data);
- ``from scratch``: LOSO on the target twin, ``--steps`` steps per fold from MOL's random draw;
- ``twin init``: the same LOSO, each fold starting from the pre-trained weights
  (``TrainConfig.init``, weights only), the same ``--steps``.

Two rounds of tasks side by side on ``--workers`` processes, one torch thread each (as LOSO folds
run: :mod:`molkit.executors`): the pre-training of every seed beside the folds from scratch, then
the folds from the pre-trained weights. Each (variant, seed, fold): per-video UF1, UAR and accuracy on the test subject, flow EPE and landmark NME against the
twin's true flow and landmarks. Pairs: a variant's value minus ``from scratch``'s on the same fold
and seed, median with its exact sign interval and the sign test
(:func:`molkit.run.ablations.paired_differences`). Pooled per-video UF1 and UAR per variant carry a
95% bootstrap over the test subjects. Everything is reused from ``--work`` on a rerun (finished
pre-training, finished folds).

Writes ``<report>/mol_init.md`` (with the command that made it and the seconds of each part),
``mol_init.csv`` (one row per variant, seed and fold) and ``mol_init_pairs.csv``; ``--report``
defaults to ``reports/benchmarks``.
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from molkit.data import Fold, PrepSettings, prepare
from molkit.data.cache import atomic_write_text
from molkit.data.tvl1 import DRAFT_EPSILON
from molkit.executors import run_tasks
from molkit.intervals import subject_bootstrap
from molkit.run.ablations import differences_sentence, paired_differences
from molkit.run.configs import loso_config_from_profile
from molkit.synthetic.twin import TwinConfig, generate_twin, holds_twin
from molkit.train.checkpoint import load_checkpoint
from molkit.train.evaluation import item_table, predict_dataset
from molkit.train.loso import (
    LosoConfig,
    LosoResult,
    all_subjects,
    chosen_folds,
    dataset_classes,
    fold_dir,
    loso_prep_settings,
    open_clips,
    run_fold,
    run_loso,
)
from molkit.train.recipes import prep_changes, recipe_label
from molkit.train.trainer import CHECKPOINT, read_log, train_fold

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "benchmarks"
SCRATCH, INIT, ONLY = "from scratch", "twin init", "twin only"
VARIANTS = (SCRATCH, INIT, ONLY)
METRICS = ("uf1", "uar", "accuracy", "epe_true", "nme_true")  # lower is better for the last two


class Twins:
    """The source and target twins, generated and prepared once in ``work``."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.config = TwinConfig() if args.scale is None else TwinConfig(amplitude_scale=args.scale)
        settings = dict(prep_changes("kit"))
        if args.draft_flows:
            settings["tvl1_epsilon"] = DRAFT_EPSILON
        self.prep = PrepSettings(**settings)
        self.seconds: dict[str, float] = {}

    def cache(self, name: str, subjects: int) -> Path:
        folder = self.args.work / f"{name}-first{subjects}-scale{self.config.amplitude_scale:g}"
        root, cache = folder / "twin", folder / ("cache_draft" if self.args.draft_flows else "cache")
        tic = time.perf_counter()
        if not holds_twin(root, name, self.config, subjects=subjects):
            generate_twin(root, name, self.config, subjects=subjects, workers=self.args.workers)
        # always: prepare reuses every video whose key matches
        prepare(name, root, cache, self.prep, workers=self.args.workers, progress=False)
        self.seconds[f"{name} twin (made and prepared)"] = time.perf_counter() - tic
        return cache


def data_tag(args: argparse.Namespace) -> str:
    """The part of a run's folder that names its data (amplitude scale, flows, class set)."""
    scale = "calibrated" if args.scale is None else f"scale{args.scale:g}"
    return f"{scale}{'-draft' if args.draft_flows else ''}-classes{args.classes}"


def base_config(args: argparse.Namespace) -> LosoConfig:
    config = loso_config_from_profile(args.profile, classes=args.classes)
    return config.replace(
        protocol="fixed",
        fold_subjects=(),
        folds=args.folds,
        train=config.train.replace(steps=args.steps, init=None),
    )


def task(kind: str, config: LosoConfig, data: str, folder: str, fold: Fold | None = None) -> float:
    """One unit of work, run by :func:`molkit.executors.run_tasks` on one torch thread: the
    pre-training (``kind`` "pretrain": MOL on every subject of ``data``, ``config.train`` as given)
    or one LOSO fold (``kind`` "fold"); each is reused when finished. Its wall seconds."""
    tic = time.perf_counter()
    if kind == "pretrain":
        train_set = open_clips(config, data, None, True)
        train_fold(
            config.model,
            config.train,
            train_set,
            folder,
            progress=False,
            protocol="fixed",
            train_subjects=sorted(item_table(train_set).subject.unique()),
            classes=config.classes,
            class_names=dataset_classes(train_set),
        )
    else:
        run_fold(config, data, fold, folder, progress=False)
    return time.perf_counter() - tic


def twin_only(config: LosoConfig, target: Path, checkpoint: Path) -> LosoResult:
    """The pre-trained model scored on each fold's test subject, as a LOSO result."""
    model, _ = load_checkpoint(checkpoint)
    parts = []
    for fold in chosen_folds(config, all_subjects(config, target)):
        clips = open_clips(config, target, (fold.test_subject,), False)
        table = predict_dataset(model, clips, config.eval_batch_size, errors=True)
        parts.append(table.assign(protocol=config.protocol, fold=fold.test_subject))
    classes = dataset_classes(open_clips(config, target, None, False))
    return LosoResult(config, pd.concat(parts, ignore_index=True), classes, loso_prep_settings(target))


def per_fold(result: LosoResult, variant: str, seed: int) -> pd.DataFrame:
    """One row per fold: per-video scores and per-clip errors against the truth."""
    table = result.per_fold
    video = table[table.level == "video"].set_index("fold")[["n", "uf1", "uar", "accuracy"]]
    clip = table[table.level == "clip"].set_index("fold")
    errors = clip[[c for c in ("epe_true", "nme_true") if c in clip.columns]]
    rows = video.rename(columns={"n": "videos"}).join(errors).reset_index()
    return rows.assign(variant=variant, seed=seed)


def pooled(result: LosoResult, variant: str, seed: int, seconds: float) -> dict[str, Any]:
    """Per-video UF1 and UAR pooled over the folds, with a 95% bootstrap over the test subjects."""
    videos, n = result.videos, len(result.class_names)
    row: dict[str, Any] = {"variant": variant, "seed": seed, "videos": len(videos)}
    for metric in ("uf1", "uar"):
        interval = subject_bootstrap(videos.subject, videos.label, videos.pred, n_classes=n, metric=metric)
        row |= {metric: interval.estimate, f"{metric}_low": interval.low, f"{metric}_high": interval.high}
    clip = result.summary.set_index("level").loc["clip"]
    row |= {
        "accuracy": result.summary.set_index("level").loc["video", "accuracy"],
        "classes_predicted": int(videos.pred.nunique()),
        "epe_true": clip.get("epe_true", float("nan")),
        "nme_true": clip.get("nme_true", float("nan")),
        "seconds": seconds,
    }
    return row


def _number(value: float, digits: int = 3) -> str:
    return "–" if pd.isna(value) else f"{value:.{digits}f}"


def record(
    args: argparse.Namespace,
    config: LosoConfig,
    twins: Twins,
    counts: dict[str, int],
    pools: pd.DataFrame,
    pairs: pd.DataFrame,
    seconds: dict[str, float],
) -> str:
    command = "python benchmarks/bench_mol_init.py " + shlex.join(sys.argv[1:])
    folds = pools.attrs["folds"]
    lines = [
        f"# MOL from the twin: pre-trained on {args.source}'s twin, fine-tuned under LOSO on {args.target}'s",
        "",
        f"`{command}`",
        "",
        f"Issue 33, item 3: the stand-in for a user who starts MOL from a twin checkpoint "
        f"(`molkit loso --init CHECKPOINT`). Data: {args.source}'s twin, first {args.source_subjects} "
        f"subjects ({counts['source']} videos in classes {config.classes}: pre-training, every subject), "
        f"and {args.target}'s twin, first {args.target_subjects} subjects ({counts['target']} videos; "
        f"LOSO folds {', '.join(folds)}), amplitude scale {twins.config.amplitude_scale:g}, "
        f"{'draft TV-L1 (smoke profile), ' if args.draft_flows else ''}one alignment per video. MOL: "
        f"profile {config.profile}, {recipe_label(config, twins.prep)} recipe, flow-head width "
        f"{config.model.flow_width:g}, batch {config.train.batch_size}, {config.train_crops} training "
        f"crops, protocol fixed; pre-training {args.pretrain_steps} steps, each LOSO fold "
        f"{args.steps} steps; {args.workers} tasks side by side, one torch thread each; seeds {' '.join(map(str, args.seeds))}. CPU ({platform.machine()}), torch "
        f"{torch.__version__}.",
        "",
        f"Variants: **{SCRATCH}** (each fold from MOL's random draw), **{INIT}** (each fold from the "
        f"pre-trained weights, weights only, the same steps), **{ONLY}** (the pre-trained model scored "
        "as it is on each fold's test subject: no target data).",
        "",
        "## Pooled over the folds",
        "",
        "Per-video UF1 and UAR with a 95% bootstrap over the test subjects (few subjects: wide); "
        "EPE and NME against the twin's true flow (px) and landmarks (inter-ocular), per clip; s: "
        "training seconds of the folds, summed (twin only: its scoring).",
        "",
        "| variant | seed | videos | UF1 [95%] | UAR [95%] | acc | classes predicted | EPE true | NME true | s |",
        "|---|---:|---:|---|---|---:|---:|---:|---:|---:|",
        *(
            f"| {r.variant} | {r.seed} | {r.videos} | {r.uf1:.3f} [{r.uf1_low:.2f}, {r.uf1_high:.2f}] | "
            f"{r.uar:.3f} [{r.uar_low:.2f}, {r.uar_high:.2f}] | {r.accuracy:.3f} | {r.classes_predicted} | "
            f"{_number(r.epe_true, 4)} | {_number(r.nme_true, 4)} | {r.seconds:.0f} |"
            for r in pools.itertuples()
        ),
        "",
        "## Paired by fold and seed",
        "",
        f"A variant's value on a fold minus {SCRATCH}'s on the same fold and seed; median with its "
        "exact sign interval (`mol_init_pairs.csv`; per fold: `mol_init.csv`). For EPE and NME a "
        "negative difference is better.",
        "",
        "| variant | metric | pairs | mean | median [interval] | coverage | sign test p |",
        "|---|---|---:|---:|---|---:|---:|",
        *(
            f"| {r.variant} | {r.metric} | {r.pairs} | {r.mean:+.4f} | {r.median:+.4f} "
            f"[{r.low:+.4f}, {r.high:+.4f}] | {r.coverage:.3f} | {r.p_sign:.3f} |"
            for r in pairs.itertuples()
        ),
        "",
        differences_sentence(pairs[pairs.metric == "uf1"], reference=SCRATCH),
        "",
        "Seconds: " + "; ".join(f"{name} {value:.0f}" for name, value in seconds.items()) + ".",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="twins, caches and runs (reused)")
    parser.add_argument("--source", default="casme2", help="the pre-training twin (default casme2)")
    parser.add_argument("--source-subjects", type=int, default=12)
    parser.add_argument("--target", default="samm", help="the LOSO twin (default samm)")
    parser.add_argument("--target-subjects", type=int, default=6)
    parser.add_argument("--scale", type=float, help="the twins' amplitude scale (default: calibrated)")
    parser.add_argument("--classes", default="3", help="class set both twins share (default 3)")
    parser.add_argument("--profile", default="demo", help="MOL's run: width, batch, crops, recipe")
    parser.add_argument("--pretrain-steps", type=int, default=400)
    parser.add_argument("--steps", type=int, default=150, help="steps per LOSO fold, both variants")
    parser.add_argument("--folds", type=int, help="the target's first N folds (default: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[2023])
    parser.add_argument("--workers", type=int, default=2, help="processes side by side")
    parser.add_argument("--draft-flows", action="store_true", help="draft TV-L1 (a quick check)")
    parser.add_argument("--report", type=Path, default=REPORTS, help="where mol_init.md/.csv go")
    args = parser.parse_args()
    args.work = args.work.resolve()
    twins = Twins(args)
    source = twins.cache(args.source, args.source_subjects)
    target = twins.cache(args.target, args.target_subjects)
    config = base_config(args)
    seconds = dict(twins.seconds)
    counts = {
        "source": len(item_table(open_clips(config, source, None, False)).video_id.unique()),
        "target": len(item_table(open_clips(config, target, None, False)).video_id.unique()),
    }
    folds = chosen_folds(config, all_subjects(config, target))
    runs = args.work / data_tag(args)
    loso = runs / "loso" / f"{config.profile}-{args.target}-first{args.target_subjects}-{args.steps}steps"
    pretrained = {
        seed: runs
        / "pretrain"
        / f"{config.profile}-{args.source}-first{args.source_subjects}-{args.pretrain_steps}steps-seed{seed}"
        for seed in args.seeds
    }
    configs = {
        (SCRATCH, seed): (config.replace(train=config.train.replace(seed=seed)), loso / f"scratch-seed{seed}")
        for seed in args.seeds
    }
    configs |= {
        (INIT, seed): (
            configs[SCRATCH, seed][0].replace(
                train=config.train.replace(seed=seed, init=str(pretrained[seed] / CHECKPOINT))
            ),
            loso / f"init-{pretrained[seed].name}",
        )
        for seed in args.seeds
    }

    def fold_tasks(variant: str) -> list[tuple]:
        return [
            ("fold", run, str(target), str(fold_dir(folder, fold)), fold)
            for (name, _), (run, folder) in configs.items()
            if name == variant
            for fold in folds
        ]

    # two rounds on the workers: the pre-training beside the LOSO from scratch, then the LOSO
    # from the pre-trained weights (the folds of every seed in one pool)
    pretraining = [
        (
            "pretrain",
            config.replace(train=config.train.replace(seed=seed, steps=args.pretrain_steps)),
            str(source),
            str(folder),
        )
        for seed, folder in pretrained.items()
    ]
    for number, tasks in enumerate((pretraining + fold_tasks(SCRATCH), fold_tasks(INIT)), start=1):
        tic = time.perf_counter()
        spent = run_tasks(task, tasks, "processes", workers=args.workers, progress=False)
        seconds[f"round {number} (wall)"] = time.perf_counter() - tic
        for (kind, run, *_), value in zip(tasks, spent):
            name = f"pre-training, seed {run.train.seed}" if kind == "pretrain" else "LOSO folds"
            key = name if kind == "pretrain" else f"{name}, round {number} (summed)"
            seconds[key] = seconds.get(key, 0.0) + value
    per_folds: list[pd.DataFrame] = []
    pools: list[dict[str, Any]] = []
    for (variant, seed), (run, folder) in configs.items():
        result = run_loso(run, target, folder, progress=False)  # every fold done: pools them
        spent = sum(fold_seconds(folder, fold) for fold in folds)
        per_folds.append(per_fold(result, variant, seed))
        pools.append(pooled(result, variant, seed, spent))
        print(result, flush=True)
    for seed, folder in pretrained.items():
        tic = time.perf_counter()
        result = twin_only(configs[SCRATCH, seed][0], target, folder / CHECKPOINT)
        per_folds.append(per_fold(result, ONLY, seed))
        pools.append(pooled(result, ONLY, seed, time.perf_counter() - tic))
        print(f"{ONLY}, seed {seed}: {result}", flush=True)
    table = pd.concat(per_folds, ignore_index=True)
    pairs = pd.concat(
        [
            paired_differences(table, metric, reference=SCRATCH)
            for metric in METRICS
            if metric in table.columns and table[metric].notna().any()
        ],
        ignore_index=True,
    )
    made = {
        "source": f"{args.source} twin, first {args.source_subjects}",
        "target": f"{args.target} twin, first {args.target_subjects}",
        "pretrain_steps": args.pretrain_steps,
        "steps": args.steps,
        "profile": config.profile,
    }
    summary = pd.DataFrame(pools).sort_values(["seed", "variant"], kind="stable")
    summary.attrs["folds"] = [fold.test_subject for fold in folds]
    args.report.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.report / "mol_init.csv", table.assign(**made).to_csv(index=False))
    atomic_write_text(args.report / "mol_init_pairs.csv", pairs.assign(**made).to_csv(index=False))
    text = record(args, config, twins, counts, summary, pairs, seconds)
    atomic_write_text(args.report / "mol_init.md", text)
    print(text)


def fold_seconds(folder: Path, fold: Fold) -> float:
    """A finished fold's training seconds, from its log (the last logged step)."""
    steps = [entry for entry in read_log(fold_dir(folder, fold)) if "seconds" in entry]
    return steps[-1]["seconds"] if steps else float("nan")


if __name__ == "__main__":
    main()
