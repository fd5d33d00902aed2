"""Why MOL's released recipe collapses to one class, and which changes make it learn.

    python benchmarks/bench_learning.py --work DIR [--parts step0 fit rows] [--folds 2] [--steps 300]
    python benchmarks/bench_learning.py --work DIR --twin composite --fold-subjects casme2/sub17 ...

Data: the easy tier (default: the easy profile's size and difficulty), or with ``--twin NAME``
the twin of the real datasets (``--subjects N`` per dataset; ``--classes``: composite for the
composite twin), prepared twice, with per-frame alignment (released) and one alignment per video
(the per-frame cache is made only when a row needs it).

- ``step0`` (no training), released model and recipe beside the kit's, on a batch of training
  clips: each loss term, its weighted share of the total and the gradient it sends to the shared
  features (stem and F5C blocks) and to its own head; then the F5C maps the MER head reads, split
  (as rms) into what is the same for every clip, what differs between clips, what differs within
  a clip over time, what two training crops of one clip change, and what the micro-movement itself
  changes (the clip's maps minus those of a still clip made of its first frame); and what a
  one-pixel change does on its way in (normalisation, magnification) against a crop's shift.
- ``fit``: MER loss only, one fixed batch of 10 test clips (2 per class): accuracy on the batch
  along the steps, released and kit (the positive control of the test suite, measured).
- ``rows``: LOSO, the first ``--folds`` folds, every row trained from scratch on the same folds:
  the released recipe, then the kit's departures added one at a time, then the kit with each
  departure set back, then other candidates. Columns: training fit, held-out per-video UF1, UAR,
  accuracy and classes predicted, flow EPE against the true flow beside zero flow, landmark NME
  against the true landmarks beside the training mean shape, seconds.
- ``baselines``: STSTNet, the linear model and LBP-TOP on the same folds (trained as the
  ``paper`` profile trains them), as reference rows.
- ``tasks-pairs``, ``alignment-pairs``: a paired question on the rows' runs (``PAIRS``):
  notebook 03's (each task variant) or the alignment's (per-frame against one map per video):
  the variant's per-video UF1 minus the full model's, paired by named fold and seed (``--seed``
  runs rows with another training seed, named in the row), with its sign interval
  (``learning/<data>-<question>-pairs.md``).

Writes ``reports/benchmarks/learning.md`` and ``learning.csv`` (rows as they finish, each with
its ``data``: a rerun skips the rows the csv holds for that data, and with the same ``--work``
finished folds; ``--rows NAME ...`` runs those, in that order). The record keeps one section per
data: its command, step-0 and fixed-batch parts (``learning/<data>.md``) and its rows.
"""

from __future__ import annotations

import argparse
import platform
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from molkit.data import ClipDataset, PrepSettings, prepare
from molkit.data.cache import atomic_write_text, load_plain
from molkit.intervals import subject_bootstrap
from molkit.losses import joint_loss
from molkit.model import MOL, model_input
from molkit.profiles import get_profile
from molkit.run.ablations import RECORD_LABELS, differences_sentence, paired_differences
from molkit.run.configs import loso_config_from_profile
from molkit.synthetic import SynthConfig, generate
from molkit.synthetic.twin import PROBLEMS_FILE, TwinConfig, generate_twin
from molkit.train.loso import LosoConfig, LosoResult, load_loso, run_loso
from molkit.train.recipes import KIT, apply_recipe, recipe_label, with_changes
from molkit.train.references import error_references
from molkit.train.trainer import CHECKPOINT

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "benchmarks"
KIT_CHANGES = {d.field: d.kit for d in KIT}
RELEASED_CHANGES = {d.field: d.released for d in KIT}


def _rows() -> list[tuple[str, dict[str, Any]]]:
    """(name, every departure's value): released, the kit's departures added one at a time, the
    kit with each set back, then other candidates on top of the kit."""
    rows, current = [("released", dict(RELEASED_CHANGES))], dict(RELEASED_CHANGES)
    for departure in KIT:
        current = {**current, departure.field: departure.kit}
        rows.append((f"+ {departure.describe(departure.kit)}", dict(current)))
    rows[-1] = ("kit", rows[-1][1])
    for departure in KIT[:-1]:
        rows.append(
            (
                f"kit, {departure.describe(departure.released)} (released)",
                {**KIT_CHANGES, departure.field: departure.released},
            )
        )
    rows += [
        ("kit, no flow", {**KIT_CHANGES, "model.flow": False}),
        ("kit, no landmarks", {**KIT_CHANGES, "model.landmarks": False}),
        (
            "kit, MER only (no flow, no landmarks)",
            {**KIT_CHANGES, "model.flow": False, "model.landmarks": False},
        ),
        ("kit, dropout 0", {**KIT_CHANGES, "model.dropout": 0.0}),
        (
            "kit, lr 1e-3, warm-up 40, cosine",
            {**KIT_CHANGES, "train.lr": 1e-3, "train.warmup_steps": 40, "train.schedule": "cosine"},
        ),
    ]
    return rows


class Data:
    """The benchmark's data (easy tier or twin) and its caches, one per alignment, each made on
    first use and reused when already in ``work``."""

    def __init__(self, work: Path, source: SynthConfig | tuple[str, int | None, TwinConfig]):
        self.work, self.source = work, source
        if isinstance(source, SynthConfig):
            self.reader, self.root = "casme2", work / "synthetic"
            self.label = f"easy tier, difficulty {Fraction(source.difficulty).limit_denominator(12)}"
        else:
            name, subjects, twin = source
            self.reader, self.root = name, work / "twin"
            part = f"first {subjects} subjects of each dataset" if subjects else "every subject"
            self.label = f"{name} twin ({part}), amplitude scale {twin.amplitude_scale:g}"

    def __getitem__(self, alignment: str) -> Path:
        if isinstance(self.source, SynthConfig):
            if not (self.root / "ground_truth").is_dir():
                generate(self.root, self.source)
        elif not (self.root / "ground_truth" / PROBLEMS_FILE).is_file():  # written last
            name, subjects, twin = self.source
            generate_twin(self.root, name, twin, subjects=subjects)
        cache = self.work / f"cache_{alignment}"
        if not (cache / "videos.csv").is_file():
            prepare(self.reader, self.root, cache, PrepSettings(alignment=alignment), progress=False)
        return cache


def step0(cache: Path, base: LosoConfig, batch_size: int = 8) -> list[str]:
    """The released and the kit model at initialisation on one batch of training clips."""
    lines = [
        "### At step 0",
        "",
        "One batch of training clips (training crops), released model and "
        "recipe beside the kit's; gradient norms are over the parameters named.",
        "",
        "| recipe | term | value | weighted | share of total | grad to stem+F5C | grad to its head |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    anatomy = [
        "",
        "F5C maps the MER head reads (block A, every frame of the batch), rms of each part; "
        "`movement` is what the clips' own motion changes (maps minus those of a still clip "
        "made of each clip's first frame), `crop` what a second training crop of the same "
        "clip changes.",
        "",
        "| recipe | total | same for every clip | between clips | within a clip over time "
        "| crop | movement | movement / crop |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("released", "kit"):
        config = apply_recipe(base, name)
        data = ClipDataset(cache, train=True, crops=2, jitter=config.crop_jitter, classes=config.classes)
        picks = torch.linspace(0, len(data) - 2, batch_size).long().tolist()
        picks = [p - p % 2 for p in picks]  # crop 0 of a clip; p + 1 is its crop 1
        batch = {k: torch.stack([data[p][k] for p in picks]) for k in ("clip", "flow", "landmarks", "label")}
        other = torch.stack([data[p + 1]["clip"] for p in picks])
        torch.manual_seed(0)
        model = MOL(config.model).train()
        losses = joint_loss(model(model_input(batch, config.model)), batch, config.train.loss)
        weights = config.train.loss
        shared = [*model.stem.parameters(), *model.block_a.parameters(), *model.block_b.parameters()]
        heads = {"mer": model.mer_head, "flow": model.flow_head, "landmarks": model.landmark_head}
        for term in ("mer", "flow", "landmarks"):
            weighted = getattr(weights, term) * losses[term]
            grads = torch.autograd.grad(
                weighted, shared + list(heads[term].parameters()), retain_graph=True, allow_unused=True
            )
            norm = [
                torch.sqrt(sum((g**2).sum() for g in part if g is not None)).item()
                for part in (grads[: len(shared)], grads[len(shared) :])
            ]
            lines.append(
                f"| {name} | {term} | {losses[term].item():.4g} | {weighted.item():.4g} | "
                f"{(weighted / losses['total']).item():.1%} | {norm[0]:.3g} | {norm[1]:.3g} |"
            )
        anatomy.append(_anatomy(model, batch["clip"], other, name))
    return lines + anatomy + ["", *_one_pixel(base)]


@torch.no_grad()
def _anatomy(model: MOL, clip: torch.Tensor, other_crop: torch.Tensor, name: str) -> str:
    model.eval()

    def maps(x: torch.Tensor) -> torch.Tensor:
        from molkit.model.mol import magnify

        x = magnify(x, model.config.magnification)
        b, _, t, h, w = x.shape
        return model.block_a(model.stem(x.transpose(1, 2).reshape(b * t, 1, h, w))).reshape(b, t, -1)

    f = maps(clip)
    still = maps(clip[:, :, :1].expand_as(clip).contiguous())
    rms = lambda x: x.pow(2).mean().sqrt().item()  # noqa: E731
    const = f.mean(dim=(0, 1), keepdim=True)
    parts = [
        rms(f),
        rms(const),
        rms(f.mean(1, keepdim=True) - const),
        rms(f - f.mean(1, keepdim=True)),
        rms(maps(other_crop) - f),
        rms(f - still),
    ]
    return f"| {name} | " + " | ".join(f"{v:.4f}" for v in parts) + f" | {parts[5] / parts[4]:.3f} |"


def _one_pixel(base: LosoConfig) -> list[str]:
    """A one-pixel, 10-grey-level change from frame 5 on, in a flat 128 px clip: how large it is in
    the network's input after normalisation and magnification, beside what shifting the crop by
    one pixel changes in a face clip."""
    from molkit.data.clips import normalise
    from molkit.model.mol import magnify

    clip = torch.full((8, 128, 128), 128.0)
    clip[4:, 64, 64] += 10.0
    lines = [
        "A one-pixel change of 10 grey levels from frame 5 on, at the centre of a flat clip, "
        "after each recipe's input processing (normalisation, then magnification):",
        "",
        "| recipe | size of the change in the network's input |",
        "|---|---:|",
    ]
    for name in ("released", "kit"):
        config = apply_recipe(base, name)
        x = magnify(normalise(clip)[None, None], config.model.magnification)[0, 0]
        lines.append(f"| {name} | {float(x[7, 64, 64] - x[0, 64, 64]):.3f} |")
    return lines


def fit(cache: Path, base: LosoConfig, steps: int) -> list[str]:
    """MER loss only, a fixed batch of 2 test clips per class: batch accuracy along the steps."""
    data = ClipDataset(cache, train=False, classes=base.classes)
    table = data.table.drop_duplicates("video_id")
    picks = [int(i) for c in range(len(data.classes)) for i in table.index[table.label == c][:2]]
    batch = {k: torch.stack([data[p][k] for p in picks]) for k in ("clip", "flow", "landmarks", "label")}
    lines = [
        "### Fitting a fixed batch",
        "",
        f"MER loss only, {len(picks)} test clips (2 per class), full "
        f"batch, {steps} steps; accuracy on the batch (eval mode) every {steps // 10} steps.",
        "",
        "| recipe | accuracy along the run | seconds |",
        "|---|---|---:|",
    ]
    for name in ("released", "kit"):
        config = apply_recipe(base, name)
        torch.manual_seed(0)
        model = MOL(config.model.replace(flow=False, landmarks=False))
        inputs = model_input(batch, model.config)
        optimiser = torch.optim.AdamW(
            model.parameters(), lr=config.train.lr, weight_decay=config.train.weight_decay
        )
        trace, tic = [], time.perf_counter()
        for step in range(1, steps + 1):
            model.train()
            loss = joint_loss(model(inputs), batch, config.train.loss)["total"]
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if step % (steps // 10) == 0:
                with torch.no_grad():
                    logits = model.eval()(inputs).logits
                trace.append(f"{(logits.argmax(1) == batch['label']).float().mean().item():.1f}")
        lines.append(f"| {name} | {' '.join(trace)} | {time.perf_counter() - tic:.0f} |")
    return lines


def run_row(name: str, values: dict[str, Any], base: LosoConfig, data: Data, out: Path) -> dict[str, Any]:
    """One LOSO run of the recipe ``values`` describe; its row, with 95% intervals for per-video
    UF1 and UAR from a bootstrap over the test subjects."""
    alignment = values["prep.alignment"]
    config = with_changes(base, {k: v for k, v in values.items() if k != "prep.alignment"})
    cache = data[alignment]
    tic = time.perf_counter()
    result = run_loso(config, cache, out, executor="processes", workers=2, progress=False)
    seconds = time.perf_counter() - tic
    clip = result.summary.set_index("level").loc["clip"]
    references = error_references(config, cache).set_index("predictor")
    fits = [
        load_plain(path)["metrics"]["training_fit"]["accuracy"]
        for path in sorted(out.glob(f"fold_*/{CHECKPOINT}"))
    ]
    return {
        "data": data.label,
        "row": name,
        "recipe": recipe_label(config, PrepSettings(alignment=alignment)),
        "folds": len(fits),
        "steps": config.train.steps,
        "batch": config.train.batch_size,
        "train_accuracy": sum(fits) / len(fits),
        **held_out(result),
        "epe_true": clip.get("epe_true", float("nan")),
        "epe_zero_flow": references.loc["zero flow", "epe_true"],
        "nme_true": clip.get("nme_true", float("nan")),
        "nme_mean_shape": references.loc["training mean shape", "nme_true"],
        "seconds": seconds,
    }


TITLES = {
    "learning": "What makes MOL learn: the diagnosis",
    "ablations_twin": "The auxiliary tasks on the twin: MOL with and without flow and landmarks, paired by fold",
    "calibration_twin": "MOL under the inner-val protocol on the twin: the run behind calibration.md",
}
# the paired questions (``--parts tasks-pairs alignment-pairs``), each a set of variants as rows
# of this record, the first the reference. "tasks": notebook 03's question (its csv is what the
# ``demo`` profile's notebook 03 shows); "alignment": the kit's one departure the twin questioned.
PAIRS = {
    "tasks": {
        "full": "kit",
        "no flow": "kit, no flow",
        "no landmarks": "kit, no landmarks",
        "no flow, no landmarks": "kit, MER only (no flow, no landmarks)",
    },
    "alignment": {"full": "kit", "alignment frame (released)": "kit, alignment frame (released)"},
}
PAIRS_TITLES = {
    "tasks": "The auxiliary tasks, paired by fold",
    "alignment": "Per-frame alignment against one map per video, paired by seed and fold",
}


def seeded(name: str, seed: int, default: int) -> str:
    """A row's name in the record: a seed other than the profile's is part of it."""
    return name if seed == default else f"{name} · seed {seed}"


def row_folder(work: Path, name: str) -> Path:
    return work / "runs" / name.replace(" ", "_").replace(",", "").replace("/", "-")


def paired_section(work: Path, base: LosoConfig, label: str, name: str, question: str) -> list[str]:
    """A paired question on this record's runs: each variant's per-video UF1 on a named fold
    minus the full model's on the same fold and seed (every seed the rows were run with), with
    the sign interval of the median difference (:func:`molkit.run.ablations.paired_differences`).
    Writes ``<name>_pairs.csv`` ("tasks") or ``<name>_<question>_pairs.csv`` and returns the
    record's section."""
    folds, per_fold = base.fold_subjects, []
    for variant, row in PAIRS[question].items():
        other_seeds = row_folder(work, f"{row} · seed ").name + "*"
        runs = [row_folder(work, row), *sorted((work / "runs").glob(other_seeds))]
        for run in (r for r in runs if (r / "loso.yaml").is_file()):
            result = load_loso(run)
            table = result.per_fold[(result.per_fold.level == "video") & result.per_fold.fold.isin(folds)]
            per_fold.append(table.assign(variant=variant, seed=result.config.train.seed))
    per_fold = pd.concat(per_fold, ignore_index=True)
    pairs = paired_differences(per_fold, "uf1")
    seeds = " ".join(str(s) for s in sorted(per_fold.seed.unique()))
    made = dict(zip(RECORD_LABELS, (label, "kit", " ".join(folds), base.train.steps, seeds)))
    csv = f"{name}_pairs.csv" if question == "tasks" else f"{name}_{question}_pairs.csv"
    atomic_write_text(REPORTS / csv, pairs.assign(**made).to_csv(index=False))
    return [
        f"### {PAIRS_TITLES[question]}",
        "",
        f"Each variant's per-video UF1 on a fold minus the full model's (kit recipe) on the same "
        f"fold and seed (seeds {seeds}): one pair per named fold and seed; median with its exact "
        f"sign interval (`{csv}`).",
        "",
        "| variant | pairs | mean | median [interval] | coverage | sign test p |",
        "|---|---:|---:|---|---:|---:|",
        *(
            f"| {r.variant} | {r.pairs} | {r.mean:+.3f} | {r.median:+.3f} [{r.low:+.3f}, {r.high:+.3f}] | "
            f"{r.coverage:.3f} | {r.p_sign:.3f} |"
            for r in pairs.itertuples()
        ),
        "",
        differences_sentence(pairs),
    ]


def held_out(result: LosoResult) -> dict[str, Any]:
    """Per-video held-out scores of a LOSO result, UF1 and UAR with their 95% bootstrap over the
    test subjects, and how many classes it predicts."""
    videos, n = result.videos, len(result.class_names)
    video = result.summary.set_index("level").loc["video"]
    scores: dict[str, Any] = {}
    for metric in ("uf1", "uar"):
        interval = subject_bootstrap(videos.subject, videos.label, videos.pred, n_classes=n, metric=metric)
        scores |= {metric: video[metric], f"{metric}_low": interval.low, f"{metric}_high": interval.high}
    return {
        **scores,
        "accuracy": video["accuracy"],
        "videos": len(videos),
        "classes_predicted": int(videos.pred.nunique()),
        "min_recall": float(result.per_class[result.per_class.level == "video"].recall.min()),
    }


def baseline_row(method: str, base: LosoConfig, data: Data, out: Path) -> dict[str, Any]:
    """A baseline on the same folds, trained as the ``paper`` profile trains it (their steps do
    not depend on the profile's size), as a reference row: how far the same data lets a method go."""
    config = loso_config_from_profile("paper", classes=base.classes, method=method)
    config = config.replace(
        train=config.train.replace(seed=base.train.seed),
        truth=False,
        folds=base.folds,
        fold_subjects=base.fold_subjects,
    )
    tic = time.perf_counter()
    result = run_loso(config, data["video"], out, progress=False)
    nan = float("nan")
    return {
        "data": data.label,
        "row": f"reference: {result.config.method_name}",
        "recipe": "paper profile (baseline)",
        "folds": result.videos.subject.nunique(),
        "steps": config.ststnet.steps if method == "ststnet" else nan,
        "batch": nan,
        "train_accuracy": nan,
        **held_out(result),
        **dict.fromkeys(("epe_true", "epe_zero_flow", "nme_true", "nme_mean_shape"), nan),
        "seconds": time.perf_counter() - tic,
    }


def _number(value: float, digits: int) -> str:
    return "–" if pd.isna(value) else f"{value:.{digits}f}"


def _pair(value: float, reference: float, digits: int) -> str:
    """A measured error beside its reference predictor's, or a dash where the row has none."""
    return "–" if pd.isna(value) else f"{value:.{digits}f} ({reference:.{digits}f})"


def _interval(low: float, high: float) -> str:
    return "" if pd.isna(low) else f" [{low:.2f}, {high:.2f}]"


def rows_table(table: pd.DataFrame) -> list[str]:
    lines = [
        "| row | recipe | folds x steps | train acc | UF1 [95%] | UAR [95%] | acc | videos | classes "
        "predicted | min recall | EPE true (zero flow) | NME true (mean shape) | s |",
        "|---|---|---|---:|---|---|---:|---:|---:|---:|---|---|---:|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.row} | {r.recipe} | {r.folds:.0f}{'' if pd.isna(r.steps) else f' x {r.steps:.0f}'} | "
            f"{_number(r.train_accuracy, 2)} | "
            f"{r.uf1:.3f}{_interval(r.uf1_low, r.uf1_high)} | {r.uar:.3f}{_interval(r.uar_low, r.uar_high)} | "
            f"{r.accuracy:.3f} | {r.videos:.0f} | {r.classes_predicted:.0f} | {r.min_recall:.2f} | "
            f"{_pair(r.epe_true, r.epe_zero_flow, 4)} | {_pair(r.nme_true, r.nme_mean_shape, 4)} "
            f"| {r.seconds:.0f} |"
        )
    return lines


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.split(",")[0]).strip("-")


def record(table: pd.DataFrame, name: str) -> str:
    """The whole record: per data, its parts (``learning/<data>.md``) and its rows."""
    title = TITLES.get(name, TITLES["learning"])
    lines = [
        f"# {title}",
        "",
        "One section per data: the easy tier (every class one fixed movement, the kit's positive "
        "control) and the twin of the real datasets (overlapping action units, head motion, "
        "blinks, subjects that differ). Intervals: 95% bootstrap over the test subjects (few "
        "subjects: wide). Rows run before the intervals were added show none. A row named `· seed N` "
        "was trained with another seed than the profile's; one named `· earlier preparation`, on "
        "an earlier preparation of the same data (before 165b723's face detection, 2026-12-01): "
        "read it against that preparation's `kit · earlier preparation`, not the kit's row. s: wall "
        "seconds of the run that finished the row (a resumed row counts only its last part; the "
        "machine was often shared).",
        "",
    ]
    for label, rows in table.groupby("data", sort=False):
        lines += [f"## {label}", ""]
        parts = REPORTS / name / f"{_slug(label)}.md"
        if parts.is_file():
            lines += [parts.read_text().rstrip(), ""]
        lines += ["### One row per recipe", "", *rows_table(rows), ""]
        for question in PAIRS:
            pairs = REPORTS / name / f"{_slug(label)}-{question}-pairs.md"
            if pairs.is_file():
                lines += [pairs.read_text().rstrip(), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="data, caches and runs (reused)")
    parser.add_argument("--parts", nargs="+", default=["step0", "fit", "rows"])
    parser.add_argument("--profile", default="easy", help="size, difficulty, steps and batch (default easy)")
    parser.add_argument("--difficulty", type=lambda text: float(Fraction(text)))
    parser.add_argument("--twin", help="the twin of a dataset (casme2, samm, smic, composite) instead")
    parser.add_argument("--subjects", type=int, help="the twin's first N subjects of each dataset")
    parser.add_argument("--scale", type=float, help="the twin's amplitude scale (default: calibrated)")
    parser.add_argument("--classes", default="5", help="class set (composite for the composite twin)")
    parser.add_argument(
        "--folds", type=int, help="the first N folds (default 2); with --fold-subjects, the first N of them"
    )
    parser.add_argument(
        "--fold-subjects", nargs="*", default=(), help="named folds (default: the first --folds)"
    )
    parser.add_argument(
        "--protocol", default="fixed", help="inner-val: each fold's temperature too (bench_predict --loso)"
    )
    parser.add_argument("--steps", type=int, help="training steps per fold (default: the profile's)")
    parser.add_argument("--fit-steps", type=int, default=60)
    parser.add_argument("--seed", type=int, help="training seed (default: the profile's); rows name it")
    parser.add_argument("--rows", nargs="*", help="row names to run, in this order (default: all)")
    parser.add_argument("--name", default="learning", help="record name in reports/benchmarks/")
    args = parser.parse_args()
    profile = get_profile(args.profile)
    if args.twin:
        twin = TwinConfig() if args.scale is None else TwinConfig(amplitude_scale=args.scale)
        data = Data(args.work, (args.twin, args.subjects, twin))
        described = f"--twin {args.twin}" + (f" --subjects {args.subjects}" if args.subjects else "")
    else:
        difficulty = args.difficulty or profile.synthetic_difficulty
        synth = SynthConfig(
            subjects=profile.synthetic_subjects,
            frames=profile.synthetic_frames,
            samples_per_subject=profile.synthetic_samples_per_subject,
            difficulty=difficulty,
        )
        data = Data(args.work, synth)
        described = f"--difficulty {difficulty:g}"
    named = tuple(args.fold_subjects)
    folds = args.folds if args.folds is not None or named else 2
    # the folds as a profile names them (molkit.run.configs.fold_choice): MOL's, on this data
    profile = profile.replace(fold_subjects=named, folds=folds)
    base = loso_config_from_profile(profile, classes=args.classes, recipe="released", own_data=True)
    default_seed = base.train.seed
    seed = default_seed if args.seed is None else args.seed
    base = base.replace(
        protocol=args.protocol, train=base.train.replace(steps=args.steps or profile.steps, seed=seed)
    )
    chosen = " ".join(base.fold_subjects) if base.fold_subjects else f"the first {base.folds}"
    header = [
        f"`python benchmarks/bench_learning.py --work DIR --profile {profile.name} {described} "
        f"--classes {args.classes} --steps {base.train.steps} --protocol {base.protocol} "
        f"--parts {' '.join(args.parts)}`; "
        f"folds: {chosen}; MOL with flow-head width {base.model.flow_width}, batch "
        f"{base.train.batch_size}, protocol {base.protocol}. CPU ({platform.machine()}), torch "
        f"{torch.__version__}.",
        "",
    ]
    body: list[str] = []
    if "step0" in args.parts:
        body += step0(data["video"], base) + [""]
    if "fit" in args.parts:
        body += fit(data["video"], base, args.fit_steps) + [""]
    fragment = REPORTS / args.name / f"{_slug(data.label)}.md"
    if body or not fragment.is_file():  # the command, and the step-0 and fit parts when run
        atomic_write_text(fragment, "\n".join(header + body))
    csv = REPORTS / f"{args.name}.csv"
    done = pd.read_csv(csv) if csv.is_file() else pd.DataFrame({"data": [], "row": []})

    def record_row(row: dict[str, Any]) -> None:
        nonlocal done
        print(row, flush=True)
        keep = done[(done.row != row["row"]) | (done.data != data.label)]
        done = pd.concat([keep, pd.DataFrame([row])], ignore_index=True)
        atomic_write_text(csv, done.to_csv(index=False))

    if "rows" in args.parts:
        rows = dict(_rows())
        here = set(done.row[done.data == data.label])
        for name in args.rows or [n for n in rows if seeded(n, seed, default_seed) not in here]:
            row = seeded(name, seed, default_seed)
            record_row(run_row(row, rows[name], base, data, row_folder(args.work, row)))
    for question in [q for q in PAIRS if f"{q}-pairs" in args.parts]:
        lines = paired_section(args.work, base, data.label, args.name, question)
        atomic_write_text(REPORTS / args.name / f"{_slug(data.label)}-{question}-pairs.md", "\n".join(lines))
    if "baselines" in args.parts:
        for method in ("ststnet", "linear", "lbptop"):
            record_row(baseline_row(method, base, data, args.work / "baselines" / method))
    text = record(done, args.name)
    atomic_write_text(REPORTS / f"{args.name}.md", text + "\n")
    print(text)


if __name__ == "__main__":
    main()
