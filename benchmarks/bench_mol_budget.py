"""MOL's budget curve on the twin (issue 35): is MOL below the one-flow baselines because of the
size of its run? One training run per (variant, fold, seed), evaluated at growing step budgets.

    python benchmarks/bench_mol_budget.py --work DIR run        # trains; resumable, rerun to go on
    python benchmarks/bench_mol_budget.py --work DIR baselines  # STSTNet and linear on the folds
    python benchmarks/bench_mol_budget.py --work DIR report     # mol_budget.md, .csv, .png

Data: the composite twin at ``--scale`` (made and prepared once in ``--work``, as
``benchmarks/bench_twin.py`` makes it: ``twin_cache``), MOL on the named LOSO folds ``--folds``
(default ``casme2/sub17`` and ``samm/011``: a CASME II and a SAMM subject), the ``demo`` profile's
run otherwise (kit recipe, flow-head width 0.125, batch 4, training crops, protocol fixed: the last
weights are scored). Variants (:data:`VARIANTS`): ``mol`` (the kit's recipe), ``mer-alone`` (no
flow and no landmark head, as notebook 03's ablation "no flow, no landmarks" removes them),
``full-width`` (flow-head width 1); hypothesis rows, at ``--hypothesis-budgets``: with ``--widths``
one flow-head width each, and, named in ``--variants`` (:data:`HYPOTHESES`), ``motion-tvl1`` and
``motion-truth`` (MOL given the motion: ``MOLConfig.motion``, its stem fed each frame's TV-L1 or
true flow to the next frame beside the frame).
The kit's learning rate is constant (no schedule), and each step's batch and dropout depend on
(seed, step) only, so the budget-400 point of a 6400-step run is the weights a 400-step run gives.

Each (variant, fold, seed) trains in its own folder under ``work/runs/`` with the trainer's
resumable state (``state.pt``, every ``--save-every`` steps); at each budget it writes the
weights (``weights_<steps>.pt``) and then the evaluation row (``eval_<steps>.json``), both
atomically. A rerun skips the budgets whose row exists and resumes training from the last state
(a killed run loses at most ``--save-every`` steps). Runs go side by side on ``--workers``
processes, one torch thread each (as LOSO folds run: ``molkit.executors``).

A row: train accuracy (the trainer's ``training_fit``: up to 16 training clips of each class),
held-out per-video UF1, UAR and accuracy on the fold's test subject with a 95% bootstrap interval
over its videos, flow EPE and landmark NME against the true ones, seconds per step. ``report``
pools the folds per (variant, budget, seed), puts STSTNet and linear (``baselines``: the
``paper`` profile's baseline settings, ``--baseline-seeds``) beside them, fits UF1 against log10
clips seen and says how many clips would reach STSTNet's UF1 on these folds, with a bootstrap
over (fold, seed) runs; a curve whose slope is not above zero says the budget is not the answer.

Issue 35.4's hypothesis "MOL given the motion" is built: ``MOLConfig.motion`` (``"none"`` as
released, ``"tvl1"``, ``"truth"``), whose stem reads 1 + 2 channels per frame (the frame and the flow
from it to the next frame in units of 0.5 px, zeros for the last; the cache holds both flows, the
training crops cut them with the frames), so a checkpoint says what it was fed; every caller builds
the model's input from the batch through ``molkit.model.model_input``, prediction on footage
computes TV-L1 first (and refuses ``"truth"``).
It runs as ``--variants motion-tvl1 motion-truth`` (their flow EPE measures no learned motion: the
network is given a flow, TV-L1 its target). If it reaches STSTNet's level, the bottleneck is
learning motion from frames.
The clip's frames, onset to apex against the whole video: ``--variants clips-video16
clips-onset-apex`` train on one twin drawn with ``--twin-seed`` at 16 frames a sample, half of
them from onset to apex (``TwinConfig.frame_spacing`` "apex-halves"; at 8 evenly spaced frames
a quarter of the composite's samples have fewer than 8 from onset to apex), made in ``--work``
and prepared twice: ``PrepSettings.span`` "video" (two clips of stride 2, onset to offset, as
today's 8-frame clips) and "onset-apex" (one clip of 8 frames from onset to apex). The pair is
the comparison; the 8-frame ``mol`` rows are context (another draw of the twin).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_twin import twin_cache  # noqa: E402

from molkit.data.cache import atomic_write_text, load_plain, save_tensors  # noqa: E402
from molkit.executors import run_tasks  # noqa: E402
from molkit.gpu import pick_device  # noqa: E402
from molkit.intervals import subject_bootstrap  # noqa: E402
from molkit.model import MOL  # noqa: E402
from molkit.profiles import get_profile  # noqa: E402
from molkit.run.configs import loso_config_from_profile  # noqa: E402
from molkit.synthetic import TwinConfig  # noqa: E402
from molkit.train.evaluation import error_summary, predict_dataset, vote_videos  # noqa: E402
from molkit.train.loso import (  # noqa: E402
    METHODS,
    LosoConfig,
    all_subjects,
    chosen_folds,
    load_loso,
    open_clips,
    run_loso,
)
from molkit.train.trainer import CHECKPOINT, STATE, train_fold, training_fit  # noqa: E402

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "benchmarks"
RECORD = "mol_budget"
FOLDS = ("casme2/sub17", "samm/011")
BUDGETS = (400, 1600, 6400)
# name -> (what it is, MOLConfig changes)
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "mol": ("MOL (kit recipe)", {}),
    "mer-alone": ("MOL, MER alone (no flow, no landmarks)", {"flow": False, "landmarks": False}),
    "full-width": ("MOL, flow-head width 1", {"flow_width": 1.0}),
    "motion-tvl1": ("MOL given TV-L1 flow (stem: frame + flow)", {"motion": "tvl1"}),
    "motion-truth": ("MOL given the true flow (stem: frame + flow)", {"motion": "truth"}),
    "clips-video16": ("MOL, 16-frame twin, clips over the whole video", {}),
    "clips-onset-apex": ("MOL, 16-frame twin, one clip from onset to apex", {}),
}
# hypothesis rows: run only when named, at --hypothesis-budgets
HYPOTHESES = ("motion-tvl1", "motion-truth", "clips-video16", "clips-onset-apex")
# the clips hypothesis: the twin at 16 frames, half of them onset..apex, prepared with this span
SPANS = {"clips-video16": "video", "clips-onset-apex": "onset-apex"}
SIXTEEN = {"frames": 16, "frame_spacing": "apex-halves"}
BASELINES = ("ststnet", "linear")


def variants(widths: list[float]) -> dict[str, tuple[str, dict[str, Any]]]:
    """:data:`VARIANTS` and one ``width-W`` variant per hypothesis width."""
    extra = {f"width-{w:g}": (f"MOL, flow-head width {w:g}", {"flow_width": w}) for w in widths if w != 0.125}
    return {**VARIANTS, **extra}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-")


def run_config(changes: dict[str, Any], fold: str, seed: int, steps: int, save_every: int) -> LosoConfig:
    """The demo profile's MOL run (kit recipe) on ``fold`` with the variant's model ``changes``,
    ``steps`` steps in all, seed ``seed``."""
    config = loso_config_from_profile("demo", classes="composite", fold_subjects=(fold,), folds=None)
    return config.replace(
        model=config.model.replace(**changes),
        train=config.train.replace(steps=steps, seed=seed, save_every=save_every),
        truth=True,
    )


def budget_run(
    variant: str,
    changes: dict[str, Any],
    fold: str,
    seed: int,
    budgets: tuple[int, ...],
    cache: str,
    folder: str,
    save_every: int,
) -> list[dict[str, Any]]:
    """Train one (variant, fold, seed) to each budget in turn, writing its weights and then its
    evaluation row at each; finished budgets are skipped, training resumes from ``state.pt``."""
    folder_path = Path(folder)
    folder_path.mkdir(parents=True, exist_ok=True)
    config = run_config(changes, fold, seed, max(budgets), save_every)
    saved = folder_path / "run.yaml"
    if saved.is_file() and LosoConfig.load(saved) != config:
        raise ValueError(f"{saved}: this folder holds a run with another configuration")
    atomic_write_text(saved, config.to_yaml())
    (split,) = chosen_folds(config, all_subjects(config, cache))
    train_set = open_clips(config, cache, split.train_subjects, True)
    rows = []
    for budget in sorted(budgets):
        row_path = folder_path / f"eval_{budget}.json"
        if row_path.is_file():
            rows.append(json.loads(row_path.read_text()))
            continue
        weights_path = folder_path / f"weights_{budget}.pt"
        timing: dict[str, float] = {}
        if not weights_path.is_file():
            start = _trained_steps(folder_path)
            if start > budget:
                raise RuntimeError(
                    f"{folder_path}: trained to step {start}, past budget {budget} without its weights"
                )
            tic = time.perf_counter()
            train_fold(
                config.model,
                config.train,
                train_set,
                folder_path,
                until_step=budget,
                progress=False,
                test_subject=split.test_subject,
                train_subjects=list(split.train_subjects),
                classes=config.classes,
            )
            timing = {"segment_steps": budget - start, "segment_s": time.perf_counter() - tic}
            if budget == config.train.steps:
                weights = load_plain(folder_path / CHECKPOINT)["weights"]
            else:
                state = load_plain(folder_path / STATE)
                if state["step"] != budget:
                    raise RuntimeError(f"{folder_path}: state at step {state['step']}, expected {budget}")
                weights = state["weights"]
            save_tensors(weights_path, {"step": budget, "weights": weights})
        row = evaluate(config, cache, split, load_plain(weights_path)["weights"], train_set)
        row = {
            "variant": variant,
            "fold": fold,
            "seed": seed,
            "steps": budget,
            "batch": config.train.batch_size,
            "clips_seen": budget * config.train.batch_size,
            "flow_width": config.model.flow_width,
            "recipe": config.recipe(),
            **row,
            **timing,
            "host": platform.node(),
            "date": time.strftime("%Y-%m-%d %H:%M"),
        }
        atomic_write_text(row_path, json.dumps(row, indent=1))
        print(f"{variant} {fold} seed {seed} step {budget}: UF1 {row['uf1']:.3f}", flush=True)
        rows.append(row)
    return rows


def _trained_steps(folder: Path) -> int:
    """The step the folder's training reached (0: none; the last step when finished)."""
    if (folder / CHECKPOINT).is_file():
        return load_plain(folder / CHECKPOINT)["train_config"]["steps"]
    if (folder / STATE).is_file():
        return int(load_plain(folder / STATE)["step"])
    return 0


def evaluate(config: LosoConfig, cache: str, split, weights: dict, train_set) -> dict[str, Any]:
    """Train accuracy, and the held-out subject's per-video scores with a 95% bootstrap interval
    over its videos; clip-level flow and landmark errors against the truth."""
    device = pick_device(config.train.device)
    model = MOL(config.model)
    model.load_state_dict(weights)
    model = model.to(device)
    n_classes = config.model.n_classes
    fit = training_fit(model, train_set, n_classes, device, per_class=16)
    test = open_clips(config, cache, (split.test_subject,), False)
    clips = predict_dataset(model, test, config.eval_batch_size, device, errors=True)
    videos = vote_videos(clips)
    row: dict[str, Any] = {
        "train_accuracy": fit["accuracy"],
        "train_items": fit["items"],
        "videos": len(videos),
    }
    for metric in ("uf1", "uar", "accuracy"):
        interval = subject_bootstrap(
            videos.video_id, videos.label, videos.pred, n_classes=n_classes, metric=metric
        )
        row.update(
            {metric: interval.estimate, f"{metric}_low": interval.low, f"{metric}_high": interval.high}
        )
    row["classes_predicted"] = int(videos.pred.nunique())
    row.update(error_summary(clips))
    row["labels"] = videos.label.tolist()
    row["preds"] = videos.pred.tolist()
    return row


def plan(args: argparse.Namespace) -> list[tuple]:
    """The runs: (variant, changes, fold, seed, budgets), longest first."""
    known = variants(args.widths)
    runs = []
    for name in args.variants + [f"width-{w:g}" for w in args.widths if w != 0.125]:
        budgets = {
            "full-width": tuple(args.full_width_budgets),
        }.get(
            name,
            tuple(args.hypothesis_budgets)
            if name.startswith("width-") or name in HYPOTHESES
            else tuple(args.budgets),
        )
        seeds = list(args.seeds) + (list(args.more_seeds) if name == "mol" else [])
        runs += [(name, known[name][1], fold, seed, budgets) for fold in args.folds for seed in seeds]
    return sorted(runs, key=lambda run: -max(run[4]) * step_cost(run[1]))


def step_cost(changes: dict[str, Any]) -> float:
    """A step's rough cost against the demo's (model_train_step_cpu.md: full width ~8x at batch 4;
    without the flow head less): only to start the longest runs first."""
    cost = 1 + 8 * (changes.get("flow_width", 0.125) - 0.125)
    return cost * (0.7 if changes.get("flow") is False else 1.0)


def cache_of(args: argparse.Namespace, variant: str | None = None) -> tuple[Path, str]:
    """The cache a variant trains on and what it is: ``--cache`` as given, else the composite twin
    made and prepared in ``--work``; for the clips hypothesis (:data:`SPANS`), that twin drawn at
    16 frames, half of them from onset to apex, prepared with the variant's span."""
    if variant in SPANS:
        config = TwinConfig(seed=args.twin_seed, amplitude_scale=args.scale, **SIXTEEN)
        span = SPANS[variant]
        cache, _ = twin_cache(
            args.work,
            args.scale,
            args.twin_seed,
            args.workers,
            config=config,
            name=f"sixteen-seed{args.twin_seed}",
            prep={"span": span} if span != "video" else None,
        )
        return cache, (
            f"the composite twin, amplitude scale {args.scale:g}, twin seed {args.twin_seed}, 16 frames a "
            f"sample (frame_spacing apex-halves), the kit's preparation with span {span}"
        )
    if args.cache is not None:
        return args.cache, f"the prepared cache `{args.cache}` (given with --cache)"
    cache, _ = twin_cache(args.work, args.scale, args.twin_seed, args.workers)
    return cache, (
        f"the composite twin, amplitude scale {args.scale:g}, twin seed {args.twin_seed} "
        "(`bench_twin.twin_cache`: the kit's preparation)"
    )


RUN_COMMAND, DATA = (
    "run_command.txt",
    "data.json",
)  # every ``run``'s command line, and each variant's data, for the record


def run(args: argparse.Namespace) -> None:
    made = args.work / RUN_COMMAND
    said = made.read_text().splitlines() if made.is_file() else []
    command = " ".join(sys.argv[1:])
    atomic_write_text(made, "\n".join([*said, command] if command not in said else said) + "\n")
    runs = plan(args)
    caches = {name: cache_of(args, name) for name in dict.fromkeys(name for name, *_ in runs)}
    data = json.loads((args.work / DATA).read_text()) if (args.work / DATA).is_file() else {}
    atomic_write_text(
        args.work / DATA, json.dumps({**data, **{name: what for name, (_, what) in caches.items()}}, indent=1)
    )
    tasks = [
        (
            name,
            changes,
            fold,
            seed,
            budgets,
            str(caches[name][0]),
            str(run_folder(args.work, name, fold, seed)),
            args.save_every,
        )
        for name, changes, fold, seed, budgets in runs
    ]
    executor = {"executor": "processes", "workers": args.workers} if args.workers > 1 else {}
    run_tasks(budget_run, tasks, progress=False, **executor)


def run_folder(work: Path, variant: str, fold: str, seed: int) -> Path:
    return work / "runs" / variant / slug(fold) / f"seed{seed}"


def baselines(args: argparse.Namespace) -> None:
    """STSTNet and linear on the same folds (the ``paper`` profile's baseline settings)."""
    cache, _ = cache_of(args)
    for method in BASELINES:
        for seed in args.baseline_seeds if method == "ststnet" else args.baseline_seeds[:1]:
            config = loso_config_from_profile("paper", classes="composite", method=method, folds=None)
            config = config.replace(
                train=config.train.replace(seed=seed), truth=False, fold_subjects=tuple(args.folds)
            )
            run_loso(config, cache, args.work / "baselines" / f"{method}-seed{seed}", progress=False)


def eval_rows(work: Path) -> pd.DataFrame:
    rows = [json.loads(p.read_text()) for p in sorted((work / "runs").glob("*/*/seed*/eval_*.json"))]
    return pd.DataFrame(rows)


def baseline_rows(work: Path, folds: list[str]) -> pd.DataFrame:
    """One row per baseline run and fold (``fold``: a subject) and pooled over the folds (``all``)."""
    rows = []
    for folder in sorted((work / "baselines").glob("*-seed*")):
        result = load_loso(folder)
        videos = result.videos[result.videos.fold.isin(folds)]
        method, seed = folder.name.rsplit("-seed", 1)
        for fold, part in [*videos.groupby("fold"), ("all", videos)]:
            interval = subject_bootstrap(
                part.video_id, part.label, part.pred, n_classes=result.n_classes, metric="uf1"
            )
            rows.append(
                {
                    "method": METHODS[method],
                    "seed": int(seed),
                    "fold": fold,
                    "videos": len(part),
                    "uf1": interval.estimate,
                    "uf1_low": interval.low,
                    "uf1_high": interval.high,
                }
            )
    return pd.DataFrame(rows)


def pooled(rows: pd.DataFrame, n_classes: int = 3) -> pd.DataFrame:
    """Per (variant, steps, seed): the folds' videos pooled (UF1 with a bootstrap over videos),
    the mean train accuracy and the mean of the per-fold UF1."""
    out = []
    for (variant, steps, seed), part in rows.groupby(["variant", "steps", "seed"]):
        labels = np.concatenate(part.labels.to_numpy())
        preds = np.concatenate(part.preds.to_numpy())
        ids = np.concatenate(
            [[f"{f}/{i}" for i in range(len(lab))] for f, lab in zip(part.fold, part.labels)]
        )
        interval = subject_bootstrap(ids, labels, preds, n_classes=n_classes, metric="uf1")
        out.append(
            {
                "variant": variant,
                "steps": steps,
                "seed": seed,
                "clips_seen": int(part.clips_seen.iloc[0]),
                "folds": len(part),
                "videos": len(labels),
                "train_accuracy": part.train_accuracy.mean(),
                "uf1": interval.estimate,
                "uf1_low": interval.low,
                "uf1_high": interval.high,
                "uf1_fold_mean": part.uf1.mean(),
                "s_per_step": (part.segment_s.sum() / part.segment_steps.sum())
                if "segment_s" in part and part.segment_steps.sum() > 0
                else float("nan"),
            }
        )
    return pd.DataFrame(out)


def projection(
    rows: pd.DataFrame, base: pd.DataFrame, draws: int = 2000, seed: int = 0
) -> dict[str, Any] | None:
    """Fit the mean over folds of per-fold UF1 against log10 clips seen on the ``mol`` runs;
    the clips at which the fit reaches STSTNet's mean per-fold UF1 on the same folds; a bootstrap
    over (fold, seed) runs (STSTNet's target recomputed on each draw's folds)."""
    mol = rows[rows.variant == "mol"]
    target = base[(base.method == METHODS["ststnet"]) & (base.fold != "all")].groupby("fold").uf1.mean()
    if mol.steps.nunique() < 2 or target.empty:
        return None
    units = [part for _, part in mol.groupby(["fold", "seed"])]

    def fit(parts: list[pd.DataFrame]) -> tuple[float, float, float]:
        table = pd.concat(parts)
        x, y = np.log10(table.clips_seen.to_numpy(float)), table.uf1.to_numpy(float)
        slope, intercept = np.polyfit(x, y, 1)
        goal = float(target.reindex(table.fold.unique()).mean())
        reach = 10 ** ((goal - intercept) / slope) if slope > 0 else float("inf")
        return slope, intercept, reach

    slope, intercept, reach = fit(units)
    rng = np.random.default_rng(seed)
    sampled = [fit([units[i] for i in rng.integers(0, len(units), len(units))]) for _ in range(draws)]
    curves = mol.groupby(["seed", "clips_seen"]).uf1.mean().unstack("clips_seen").dropna()
    peaks = {  # seed -> (clips at its best mean per-fold UF1, that UF1, UF1 at the largest budget)
        seed: (int(curve.idxmax()), curve.max(), curve.iloc[-1]) for seed, curve in curves.iterrows()
    }
    slopes = np.array([s for s, _, _ in sampled])
    reaches = np.array([r for _, _, r in sampled])  # inf: a draw whose fit never gets there
    return {
        "slope": slope,
        "intercept": intercept,
        "reach": reach,
        "target": float(target.mean()),
        "slope_low": float(np.quantile(slopes, 0.025)),
        "slope_high": float(np.quantile(slopes, 0.975)),
        "reach_low": float(np.quantile(reaches, 0.025, method="inverted_cdf")),
        "reach_high": float(np.quantile(reaches, 0.975, method="inverted_cdf")),
        "flat_share": float((slopes <= 0).mean()),
        "units": len(units),
        "draws": draws,
        "peaks": peaks,
        "largest": int(curves.columns.max()) if len(curves) else 0,
    }


def figure(rows: pd.DataFrame, base: pd.DataFrame, fit: dict[str, Any] | None, names: dict[str, str]):
    """Mean per-fold UF1 against clips seen (the projection's quantity): each variant's mean over
    its (fold, seed) runs, each run a faint dot; the baselines' mean per-fold UF1 as lines."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for variant, part in rows.groupby("variant", sort=False):
        mean = part.groupby("clips_seen").uf1.mean()
        (line,) = ax.plot(mean.index, mean.to_numpy(), marker="o", label=names.get(variant, variant))
        ax.scatter(part.clips_seen, part.uf1, color=line.get_color(), alpha=0.3, s=12)
    per_fold = base[base.fold != "all"].groupby("method").uf1.mean()
    for (method, value), style in zip(per_fold.items(), ("--", ":", "-.")):
        ax.axhline(value, color="black", ls=style, lw=1, label=f"{method} ({value:.2f})")
    paper = get_profile("paper")
    paper_clips = paper.steps * paper.batch_size
    if fit is not None and np.isfinite(fit["reach"]):
        # drawn to the reach or to 4x the paper profile's clips, whichever is nearer: a far reach
        # would crowd the measured budgets into a corner, so the label says it
        end = max(rows.clips_seen.max(), min(fit["reach"], 4 * paper_clips))
        x = np.logspace(np.log10(rows.clips_seen.min()), np.log10(end), 50)
        ax.plot(
            x,
            fit["intercept"] + fit["slope"] * np.log10(x),
            color="grey",
            lw=1,
            label=f"fit (MOL): STSTNet's level at {fit['reach']:.1e} clips",
        )
    ax.axvline(paper_clips, color="grey", ls=":", lw=1)
    ax.text(
        paper_clips,
        0.03,
        f"paper profile's clips per fold ({paper_clips:,}) ",
        fontsize=7,
        color="grey",
        rotation=90,
        ha="right",
        va="bottom",
    )
    ax.set_xscale("log")
    ticks = sorted(rows.clips_seen.unique().tolist())
    ax.set_xticks(ticks, [f"{t:,}" for t in ticks], fontsize=8)
    ax.xaxis.set_minor_locator(plt.NullLocator())  # the budgets only, no crowded minor labels
    ax.set_xlabel("clips seen (steps x batch)")
    ax.set_ylabel("held-out per-video UF1, mean over folds")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def report(args: argparse.Namespace) -> None:
    from molkit.plots import save_figure

    rows = eval_rows(args.work)
    if rows.empty:
        raise SystemExit(f"{args.work}: no evaluation row yet (run first)")
    base = (
        baseline_rows(args.work, list(args.folds))
        if (args.work / "baselines").is_dir()
        else pd.DataFrame(columns=["method", "seed", "fold", "videos", "uf1", "uf1_low", "uf1_high"])
    )
    order = {name: i for i, name in enumerate(variants(args.widths))}
    table = pooled(rows)
    table = table.sort_values(
        ["variant", "steps", "seed"], key=lambda c: c.map(order) if c.name == "variant" else c
    )
    fit = projection(rows, base)
    names = {name: what for name, (what, _) in variants(args.widths).items()}
    out = args.out or REPORTS
    atomic_write_text(
        out / f"{RECORD}.csv",
        rows.drop(columns=["labels", "preds"])
        .sort_values(["variant", "fold", "seed", "steps"])
        .to_csv(index=False),
    )
    atomic_write_text(out / f"{RECORD}_baselines.csv", base.to_csv(index=False))
    save_figure(
        figure(rows.sort_values("variant", key=lambda c: c.map(order)), base, fit, names),
        out / f"{RECORD}.png",
    )
    folds = sorted(rows.fold.unique())
    made = args.work / RUN_COMMAND
    commands = made.read_text().splitlines() if made.is_file() else ["--work DIR run"]
    said = json.loads((args.work / DATA).read_text()) if (args.work / DATA).is_file() else {}
    by_data: dict[str, list[str]] = {}
    for variant in table.variant.unique():
        by_data.setdefault(said.get(variant, "(not recorded)"), []).append(variant)
    data = "; ".join(f"{what} ({', '.join(names)})" for what, names in by_data.items())
    lines = [
        "# MOL's budget curve on the twin, beside STSTNet and linear",
        "",
        "The runs: "
        + "; ".join(f"`python benchmarks/bench_mol_budget.py {command}`" for command in commands)
        + f" (rerun, each resumes its runs), then `... baselines` and `... report`. Data: {data}; folds "
        f"{', '.join(folds)} (test subject held out, every other subject of the composite trains). MOL: the "
        "`demo` profile's run (kit recipe, batch 4, training crops, protocol fixed: last weights), one "
        "training run per (variant, fold, seed) scored at each budget. Intervals: 95% bootstrap over the "
        "held-out videos (folds pooled). Train accuracy: up to 16 training clips per class.",
        "",
        "| variant | steps | clips seen | seed | folds | videos | train acc | per-video UF1 [95%] | mean per-fold UF1 | s/step |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
        *(
            f"| {names.get(r.variant, r.variant)} | {r.steps} | {r.clips_seen} | {r.seed} | {r.folds} | "
            f"{r.videos} | {r.train_accuracy:.2f} | {r.uf1:.3f} [{r.uf1_low:.2f}, {r.uf1_high:.2f}] | "
            f"{r.uf1_fold_mean:.3f} | {r.s_per_step:.2f} |"
            for r in table.itertuples()
        ),
        "",
    ]
    if not base.empty:
        lines += [
            "Baselines on the same folds (the `paper` profile's baseline settings): per-video UF1 of each "
            "fold, and of the folds pooled with its 95% bootstrap over the videos.",
            "",
            f"| method | seed | {' | '.join(folds)} | pooled [95%] |",
            "|---|---:|" + "---:|" * len(folds) + "---|",
            *(baseline_line(part, folds) for _, part in base.groupby(["method", "seed"], sort=False)),
            "",
        ]
    lines += projection_lines(fit)
    lines += [
        "",
        f"Figure: `{RECORD}.png` (mean per-fold UF1, the fit's quantity, each (fold, seed) run a dot; the "
        "baselines' mean per-fold UF1 as lines); every row per fold: "
        f"`{RECORD}.csv` (the baselines': `{RECORD}_baselines.csv`).",
        *args.note,
    ]
    atomic_write_text(out / f"{RECORD}.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


def baseline_line(part: pd.DataFrame, folds: list[str]) -> str:
    by_fold = part.set_index("fold")
    cells = [f"{by_fold.uf1[f]:.3f}" if f in by_fold.index else "–" for f in folds]
    pooled_row = by_fold.loc["all"]
    return (
        f"| {part.method.iloc[0]} | {part.seed.iloc[0]} | {' | '.join(cells)} | "
        f"{pooled_row.uf1:.3f} [{pooled_row.uf1_low:.2f}, {pooled_row.uf1_high:.2f}] |"
    )


def projection_lines(fit: dict[str, Any] | None) -> list[str]:
    if fit is None:
        return ["No projection: it needs MOL at two budgets or more and STSTNet on the same folds."]
    paper = get_profile("paper")
    paper_clips = paper.steps * paper.batch_size
    head = (
        f"Projection: the mean per-fold UF1 of the `mol` runs fitted against log10 clips seen "
        f"({fit['units']} (fold, seed) runs): slope {fit['slope']:+.3f} per tenfold clips "
        f"[{fit['slope_low']:+.3f}, {fit['slope_high']:+.3f}] (bootstrap over the runs, {fit['draws']} draws). "
    )
    if fit["slope_low"] <= 0:
        shape = "includes zero" if fit["slope_high"] > 0 else "is below zero"
        verdict = (
            f"The slope's interval {shape} ({fit['flat_share']:.0%} of draws flat or falling): "
            "the curve does not rise beyond its spread, so a larger budget is not shown to be the answer."
        ) + (
            f" The point fit would reach STSTNet's {fit['target']:.3f} at {fit['reach']:,.0f} clips "
            f"({fit['reach'] / paper_clips:,.0f} times the `paper` profile's {paper_clips:,} clips per fold)."
            if np.isfinite(fit["reach"])
            else ""
        )
    else:
        verdict = (
            f"It reaches STSTNet's mean per-fold UF1 on these folds ({fit['target']:.3f}) at "
            f"{fit['reach']:,.0f} clips seen [{fit['reach_low']:,.0f}, {fit['reach_high']:,.0f}], against the "
            f"`paper` profile's {paper_clips:,} clips per fold ({paper.steps} steps of {paper.batch_size}, "
            "full width)."
        )
    return [head + verdict + peak_sentence(fit["peaks"], fit["largest"])]


def peak_sentence(peaks: dict[int, tuple[int, float, float]], largest: int) -> str:
    """What a line in log clips hides: every seed's curve at its best at one budget below the
    largest, and lower at the largest."""
    at = {clips for clips, _, _ in peaks.values()}
    if len(at) != 1 or at == {largest}:
        return ""
    (best_clips,) = at
    seeds = ", ".join(str(seed) for seed in peaks)
    drops = " and ".join(f"{best - end:.2f}" for _, best, end in peaks.values())
    return (
        f" Every seed's curve ({seeds}) is at its best at {best_clips:,} clips and falls by {drops} at "
        f"{largest:,}: a line in log clips does not describe it, and its slope averages a rise and a fall."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="twin, cache, runs and baselines")
    parser.add_argument("--scale", type=float, default=2.0, help="the twin's amplitude scale (twin.md: 2)")
    parser.add_argument("--twin-seed", type=int, default=0, help="the twin's draw (bench_twin's --seed)")
    parser.add_argument("--workers", type=int, default=2, help="runs side by side (one thread each)")
    parser.add_argument(
        "--cache", type=Path, help="a prepared composite twin to use as it is (default: made in --work)"
    )
    parser.add_argument("--folds", nargs="+", default=list(FOLDS))
    parser.add_argument(
        "--variants",
        nargs="+",
        default=[name for name in VARIANTS if name not in HYPOTHESES],
        choices=list(VARIANTS),
    )
    parser.add_argument("--budgets", type=int, nargs="+", default=list(BUDGETS))
    parser.add_argument("--full-width-budgets", type=int, nargs="+", default=[1600])
    parser.add_argument(
        "--widths", type=float, nargs="*", default=[], help="hypothesis rows: flow-head widths"
    )
    parser.add_argument("--hypothesis-budgets", type=int, nargs="+", default=[1600])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2023], help="every variant's seeds")
    parser.add_argument("--more-seeds", type=int, nargs="*", default=[2024], help="MOL's further seeds")
    parser.add_argument("--baseline-seeds", type=int, nargs="+", default=[2023, 2024, 2025])
    parser.add_argument("--save-every", type=int, default=200, help="steps between resumable states")
    parser.add_argument("--out", type=Path, help="where report writes (default reports/benchmarks)")
    parser.add_argument("--note", nargs="*", default=[], help="lines appended to the record")
    parser.add_argument("command", choices=("run", "baselines", "report"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    {"run": run, "baselines": baselines, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
