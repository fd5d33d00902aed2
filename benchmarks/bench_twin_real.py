"""The twin measured against the real MEGC 2019 composite's public onset->apex images.

    python benchmarks/bench_twin_real.py --images DIR --work WORK [--weights DIR] [--seed 7] [--set KEY=VALUE ...] [--easy]

Both sides are seen through one convention: the twin's onset->apex features (the kit's
preparation of a composite twin drawn with ``--seed``) become images as the public ones are
(``molkit.baselines.features.as_flow_images``: each channel min-max scaled to 0..255). Then, per
dataset column (composite, CASME II, SAMM, SMIC):

- (a) twin->real: STSTNet (three training seeds) and the linear model trained on the whole
  composite twin, tested on all 442 real samples;
- (b) real->twin: in each of the 68 LOSO folds, STSTNet and linear trained on the real images of
  the other subjects, tested on the held-out subject's twin samples (and on its real ones, the
  reference); the STSTNet authors' 68 weight files (``--weights``) on the twin;
- (c) a domain classifier (logistic regression on the images, 5-fold cross-validation grouped by
  subject): ROC AUC of twin against real; single statistics, each with its own AUC, to say what
  separates them; a figure of the class-mean u, v and strain images of both;
- (d) the easy tier (``--easy``) as the floor: its domain AUC and its model tested on real data.

Writes ``reports/benchmarks/<stem>.md``, ``.csv`` and ``.png`` (``--stem``, default ``twin_real``); the twin, its
cache and the easy tier stay in ``WORK``. Nothing is tuned here: it measures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import ndimage  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from molkit.baselines import (
    STSTNet,
    VideoFeatures,
    authors_loso,
    cnn_logits,
    fit_linear,
    linear_logits,
    train_cnn,
)  # noqa: E402
from molkit.baselines.config import LinearConfig, STSTNetConfig  # noqa: E402
from molkit.baselines.features import as_flow_images, video_features  # noqa: E402
from molkit.data import PrepSettings, prepare  # noqa: E402
from molkit.data.cache import atomic_write_text  # noqa: E402
from molkit.data.flow_images import CHANNELS, FlowImages, read_flow_images  # noqa: E402
from molkit.executors import run_tasks  # noqa: E402
from molkit.intervals import subject_bootstrap  # noqa: E402
from molkit.reports.paper_tables import NAMES, PAPER_COLUMNS, column_part  # noqa: E402
from molkit.reports.tables import to_markdown  # noqa: E402
from molkit.synthetic import SynthConfig, generate  # noqa: E402
from molkit.synthetic.command import twin_changes, twin_config  # noqa: E402
from molkit.train.loso import LosoConfig, open_clips  # noqa: E402
from molkit.train.recipes import prep_changes  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_twin import twin_cache  # noqa: E402

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "benchmarks"
COLUMNS = PAPER_COLUMNS["composite"]
CLASSES = ("negative", "positive", "surprise")
STSTNET = STSTNetConfig()  # the paper profile's baseline settings (300 steps of 32)
TRAIN_SEEDS = (0, 1, 2)


def features_of(cache: Path) -> FlowImages:
    """A prepared cache's onset->apex features in the public images' convention."""
    config = LosoConfig(classes="composite", model=LosoConfig().model.replace(n_classes=3), truth=False)
    return as_flow_images(video_features(open_clips(config, cache, None, False)), cache)


def easy_cache(work: Path, workers: int) -> Path:
    """The easy tier at the easy profile's size, laid out like CASME II (labels mapped to the
    composite's classes by the reader), prepared as the kit prepares."""
    root, cache = work / "easy", work / "easy_cache"
    if not (cache / "videos.csv").is_file():
        config = SynthConfig(subjects=16, samples_per_subject=5, frames=16, seed=0, difficulty=1 / 3)
        generate(root, config, workers=workers)
        prepare("casme2", root, cache, PrepSettings(**prep_changes("kit")), workers=workers, progress=False)
    return cache


def as_features(images: FlowImages) -> VideoFeatures:
    return VideoFeatures(images.table[["subject", "video_id", "label"]], images.images)


def predict(method: str, train: FlowImages, test: np.ndarray, seed: int) -> np.ndarray:
    """Predicted classes of ``test`` images by ``method`` trained on ``train``."""
    if method == "linear":
        return linear_logits(fit_linear(LinearConfig(), as_features(train)), test, 3).argmax(axis=1)
    model = train_cnn(STSTNet, STSTNET, as_features(train), 3, seed)
    return cnn_logits(model, test).argmax(axis=1)


def column_scores(table: pd.DataFrame, pred: np.ndarray) -> dict[str, str]:
    """UF1 and UAR with a 95% subject bootstrap per column."""
    videos = table.assign(pred=pred)
    cells = {}
    for column in COLUMNS:
        part = column_part(videos, column, "composite")
        if not len(part):
            continue
        for metric in ("uf1", "uar"):
            i = subject_bootstrap(part.subject, part.label, part.pred, n_classes=3, metric=metric)
            cells[f"{NAMES[column]} {metric.upper()}"] = f"{i.estimate:.3f} [{i.low:.2f}, {i.high:.2f}]"
    return cells


def twin_to_real(twin: FlowImages, real: FlowImages, tier: str) -> list[dict]:
    rows = []
    for method, seeds in (("ststnet", TRAIN_SEEDS), ("linear", (0,))):
        for seed in seeds:
            pred = predict(method, twin, real.images, seed)
            rows.append(
                {
                    "part": "a",
                    "train": tier,
                    "test": "real",
                    "method": method,
                    "seed": seed,
                    **column_scores(real.table, pred),
                }
            )
    return rows


def real_fold(method: str, real: FlowImages, twin: FlowImages, subject: str) -> tuple[np.ndarray, np.ndarray]:
    """One real LOSO fold's model: its predictions on the subject's twin and real samples."""
    others = [s for s in real.subjects if s != subject]
    table, images = real.part(others)
    train = FlowImages(real.root, real.layout, table, images, [])
    twin_table, twin_images = twin.part([subject])
    real_table, real_images = real.part([subject])
    both = np.concatenate([twin_images, real_images])
    pred = predict(method, train, both, 0)
    return pred[: len(twin_table)], pred[len(twin_table) :]


def real_to_twin(
    real: FlowImages, twin: FlowImages, weights: Path | None, workers: int, *, loso: bool = True
) -> list[dict]:
    rows = []
    for method in ("ststnet", "linear") if loso else ():
        tasks = [(method, real, twin, subject) for subject in real.subjects]
        executor = {"executor": "processes", "workers": workers} if workers > 1 else {}
        found = run_tasks(real_fold, tasks, progress=False, **executor)
        twin_pred = np.concatenate([f[0] for f in found])
        real_pred = np.concatenate([f[1] for f in found])
        twin_table = pd.concat([twin.part([s])[0] for s in real.subjects], ignore_index=True)
        real_table = pd.concat([real.part([s])[0] for s in real.subjects], ignore_index=True)
        rows.append(
            {
                "part": "b",
                "train": "real (LOSO)",
                "test": "twin",
                "method": method,
                "seed": 0,
                **column_scores(twin_table, twin_pred),
            }
        )
        rows.append(
            {
                "part": "b",
                "train": "real (LOSO)",
                "test": "real",
                "method": method,
                "seed": 0,
                **column_scores(real_table, real_pred),
            }
        )
    if weights is not None:
        for name, images in (("twin", twin), ("real", real)):
            table = authors_loso(images, weights)
            rows.append(
                {
                    "part": "b",
                    "train": "real (the authors' weights)",
                    "test": name,
                    "method": "ststnet",
                    "seed": "",
                    **column_scores(table, table.pred.to_numpy()),
                }
            )
    return rows


def statistics(images: np.ndarray) -> pd.DataFrame:
    """Per image, named statistics of the 0..255 images (u, v, strain)."""
    u, v, strain = (images[:, i].astype(np.float64) for i in range(3))
    lap = lambda x: np.abs(ndimage.laplace(x, mode="nearest")).mean()  # noqa: E731
    return pd.DataFrame(
        {
            "u level (median of u)": np.median(u, axis=(1, 2)),
            "v level (median of v)": np.median(v, axis=(1, 2)),
            "noise: mean |Laplacian| of u and v": [0.5 * (lap(a) + lap(b)) for a, b in zip(u, v)],
            "strain level (median)": np.median(strain, axis=(1, 2)),
            "extent: share of strain above 128": (strain > 128).mean(axis=(1, 2)),
            "eye band strain (rows 6-12) over the rest": strain[:, 6:13].mean(axis=(1, 2))
            / (strain.mean(axis=(1, 2)) + 1e-6),
            "border strain (outer 2 px) over the rest": (
                strain.mean(axis=(1, 2)) - strain[:, 2:-2, 2:-2].mean(axis=(1, 2)) * (24 * 24) / (28 * 28)
            )
            / (strain.mean(axis=(1, 2)) + 1e-6),
            "u spread (std)": u.std(axis=(1, 2)),
            "v spread (std)": v.std(axis=(1, 2)),
        }
    )


def domain(real: FlowImages, other: FlowImages, tier: str) -> tuple[list[dict], pd.DataFrame]:
    """AUC of a classifier telling ``other`` from real, overall and per column, and per statistic."""
    x = np.concatenate([other.images, real.images]).reshape(len(other) + len(real), -1)
    y = np.r_[np.ones(len(other)), np.zeros(len(real))]
    groups = np.r_[other.table.subject, real.table.subject]
    score = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000)).fit(
            x[train], y[train]
        )
        score[test] = model.predict_proba(x[test])[:, 1]
    datasets = np.r_[other.table.video_id.str.split("/").str[0], real.table.video_id.str.split("/").str[0]]
    rows = [
        {
            "part": "c",
            "train": tier,
            "test": "domain",
            "method": "logistic regression on the images",
            "AUC composite": f"{roc_auc_score(y, score):.3f}",
        }
    ]
    for column in COLUMNS[1:]:
        keep = datasets == column
        if len(np.unique(y[keep])) == 2:
            rows[0][f"AUC {NAMES[column]}"] = f"{roc_auc_score(y[keep], score[keep]):.3f}"
    stats_other, stats_real = statistics(other.images), statistics(real.images)
    table = []
    for name in stats_other.columns:
        a, b = stats_other[name].to_numpy(), stats_real[name].to_numpy()
        auc = roc_auc_score(np.r_[np.ones(len(a)), np.zeros(len(b))], np.r_[a, b])
        table.append(
            {
                "statistic": name,
                f"{tier} median": f"{np.median(a):.3g}",
                "real median": f"{np.median(b):.3g}",
                "AUC alone": f"{max(auc, 1 - auc):.3f}",
            }
        )
    return rows, pd.DataFrame(table)


def class_means_figure(real: FlowImages, twin: FlowImages, path: Path) -> None:
    fig, axes = plt.subplots(6, 3, figsize=(6.5, 13))
    for c, name in enumerate(CLASSES):
        for k, channel in enumerate(CHANNELS):
            for j, (label, images) in enumerate((("real", real), ("twin", twin))):
                ax = axes[2 * k + j, c]
                mean = images.images[images.table.label.to_numpy() == c, k].mean(axis=0)
                ax.imshow(mean, cmap="gray", vmin=0, vmax=255)
                ax.set_xticks([]), ax.set_yticks([])
                if c == 0:
                    ax.set_ylabel(f"{label} {channel}")
                if k == 0 and j == 0:
                    ax.set_title(name)
    fig.suptitle("Class-mean onset->apex images (0..255), real against twin")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--weights", type=Path, help="the STSTNet authors' 68 weight files")
    parser.add_argument("--seed", type=int, default=7, help="the twin's seed (not one used for calibrating)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a TwinConfig field changed from the defaults (repeatable), e.g. the twin before calibration",
    )
    parser.add_argument("--stem", default="twin_real", help="the record's name in reports/benchmarks")
    parser.add_argument(
        "--skip-loso", action="store_true", help="(b): the authors' weights only, not the 68-fold real LOSO"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--easy", action="store_true", help="also the easy tier, as the floor")
    args = parser.parse_args()
    start = time.perf_counter()
    real = read_flow_images(args.images)
    changes = twin_changes(args.set)
    config = twin_config(args.seed, changes)
    # the defaults' twin is bench_twin.py's own (same folder), so its LOSO runs share the cache
    label = "-".join(f"{k}{v}" for k, v in changes.items())
    cache, _ = twin_cache(
        args.work,
        config.amplitude_scale,
        args.seed,
        args.workers,
        config=config,
        name=f"{label}-seed{args.seed}" if label else None,
    )
    twin = features_of(cache)
    print(f"twin: {len(twin)} samples with an onset->apex flow; real: {len(real)}", flush=True)
    rows = twin_to_real(twin, real, "twin")
    print(pd.DataFrame(rows).to_string(), flush=True)
    rows += real_to_twin(real, twin, args.weights, args.workers, loso=not args.skip_loso)
    domain_rows, stats = domain(real, twin, "twin")
    rows += domain_rows
    tables = {"twin": stats}
    if args.easy:
        easy = features_of(easy_cache(args.work, args.workers))
        rows += twin_to_real(easy, real, "easy tier")
        easy_rows, tables["easy tier"] = domain(real, easy, "easy tier")
        rows += easy_rows
    frame = pd.DataFrame(rows).fillna("")
    atomic_write_text(REPORTS / f"{args.stem}.csv", frame.to_csv(index=False))
    class_means_figure(real, twin, REPORTS / f"{args.stem}.png")
    lines = [
        "# The twin against the real composite's public onset->apex images",
        "",
        f"Written by `benchmarks/bench_twin_real.py` (a 2-core CPU, {time.perf_counter() - start:.0f} s). "
        f"Twin: the composite twin, seed {args.seed}, `TwinConfig` defaults"
        + (f" changed by {', '.join(args.set)}" if args.set else "")
        + ", the kit's preparation; real: the 442 public images. Both through one convention "
        "(`as_flow_images`: per-image min-max to 0..255, channels u, v, strain). STSTNet and linear at "
        "the `paper` profile's baseline settings. Intervals: 95% bootstrap over the column's test subjects.",
        "",
        "    python benchmarks/bench_twin_real.py --images DIR --work WORK --weights STSTNet_Weights "
        f"--seed {args.seed} --stem {args.stem}"
        + "".join(f" --set {item}" for item in args.set)
        + (" --skip-loso" if args.skip_loso else "")
        + (" --easy" if args.easy else ""),
        "",
    ]
    for part, title in (
        ("a", "(a) trained on synthetic data, tested on the real images"),
        ("b", "(b) trained on real images (LOSO), tested on the twin"),
        ("c", "(c) telling synthetic from real: a domain classifier's ROC AUC (0.5: indistinguishable)"),
    ):
        chosen = frame[frame.part == part].drop(columns="part")
        chosen = chosen.loc[:, (chosen != "").any()]
        lines += [f"## {title}", "", to_markdown(chosen), ""]
    for tier, table in tables.items():
        lines += [
            f"What separates {tier} from real, one statistic at a time (AUC alone: 0.5 none, 1 complete):",
            "",
            to_markdown(table),
            "",
        ]
    lines += [
        f"Class-mean images: `{args.stem}.png` (rows: real and twin u, v, strain; columns: classes).",
        "",
    ]
    atomic_write_text(REPORTS / f"{args.stem}.md", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
