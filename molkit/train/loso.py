"""Leave-one-subject-out runs: folds trained where the user has compute, results pooled and labelled.

``run_loso(config, caches, out_dir)`` trains and tests one fold per subject of the model
``config.method`` names (MOL, or a baseline of :mod:`molkit.baselines` on the onset->apex flow)
under a protocol (:mod:`molkit.train.protocols`), in this process, in local worker processes or
as Slurm jobs (:mod:`molkit.executors`). Each fold folder holds ``predictions.csv`` (one
row per test clip; a baseline's, one per test video) and for MOL its checkpoint and training
log; a fold with predictions is finished and skipped on a rerun. Results are pooled over folds: metrics per clip and per video (clips vote by mean
logits) from the pooled confusion matrix, per-fold and per-class tables, each row labelled with
method, protocol, profile and flow-head width, and collapse (one class predicted, classes never
recognised) reported per fold and pooled (:mod:`molkit.train.collapse`).

``caches`` is one prepared cache folder (single dataset) or a mapping ``{dataset: folder}``
(MEGC composite: use ``classes="composite"``); subjects are then named ``dataset/subject``. Or
the public onset->apex images of the real composite (:class:`~molkit.data.flow_images.FlowImages`):
the onset->apex baselines then read them instead of a cache's flows (MOL and LBP-TOP need frames).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from torch.utils.data import ConcatDataset, Dataset

from molkit.baselines import (
    OFFApexNet,
    STSTNet,
    VideoFeatures,
    cnn_logits,
    fit_lbptop,
    fit_linear,
    lbptop_logits,
    lbptop_video_features,
    linear_logits,
    train_cnn,
    train_htnet,
    video_features,
)
from molkit.baselines.config import HTNetConfig, LBPTOPConfig, LinearConfig, OFFApexNetConfig, STSTNetConfig
from molkit.baselines.htnet_regions import cache_regions, check_points, image_regions
from molkit.config import Config
from molkit.data import ClipDataset, Fold, PrepSettings, class_names, read_videos
from molkit.data.cache import atomic_write_text
from molkit.data.flow_images import FlowImages
from molkit.data.pipeline import cache_prep_settings
from molkit.executors import run_tasks
from molkit.gpu import pick_device
from molkit.metrics import METRICS, confusion_matrix, per_class, summarize_confusion
from molkit.model import MOL, MOLConfig
from molkit.train.calibration import calibrate_checkpoint
from molkit.train.checkpoint import init_weights, load_checkpoint
from molkit.train.collapse import POOLED, collapse_table, collapse_warnings
from molkit.train.config import TrainConfig
from molkit.train.evaluation import error_summary, item_table, predict_dataset, vote_videos
from molkit.train.protocols import PROTOCOLS, check_protocol, plan_folds, selection_subjects
from molkit.train.recipes import recipe_label
from molkit.train.trainer import CHECKPOINT, train_fold

PREDICTIONS, CONFIG, CLASSES, PREP = "predictions.csv", "loso.yaml", "classes.json", "prep.json"
IMAGES = "flow_images.json"  # a run on the public onset->apex images: which folder, how many
# what a LOSO run trains (``LosoConfig.method``) -> its name in tables
METHODS: dict[str, str] = {
    "mol": "MOL",
    "ststnet": "STSTNet",
    "linear": "linear (logistic regression)",
    "lbptop": "LBP-TOP (linear SVM)",
    "offapexnet": "OFF-ApexNet",
    "htnet": "HTNet",
}
Caches = str | Path | Mapping[str, str | Path] | FlowImages
IMAGE_METHODS = ("ststnet", "offapexnet", "linear", "htnet")  # what the public onset->apex images can train


def class_count(classes: str) -> int:
    """How many classes a class set has (the same for every dataset)."""
    return len(class_names(classes, "casme2"))


def dataset_classes(dataset: Dataset) -> list[str]:
    """Class names, in logit order, of a ClipDataset or a concatenation of them."""
    first = dataset.datasets[0] if isinstance(dataset, ConcatDataset) else dataset
    return list(first.classes)


@dataclasses.dataclass
class LosoConfig(Config):
    """A LOSO run: which model (``method``, one of :data:`METHODS`), protocol, class set, model,
    training, and how the data is read. ``model``/``train`` configure MOL (``model.n_classes``
    and ``train.seed``/``device`` every method); ``ststnet``/``linear``/``lbptop``/``offapexnet``/
    ``htnet`` the baselines.

    ``folds``: run only the first N folds (sorted by test subject; None: all); ``fold_subjects``:
    only the folds that test these subjects, named (a part of the data that spans its datasets,
    the same on every run; empty: ``folds`` decides). ``truth``: also
    score flow and landmarks against the synthetic ground truth when the cache holds it.
    ``profile`` only labels the results; ``data_seed`` fixes the training crops and
    ``crop_jitter`` their range (:func:`molkit.data.clips.train_offset`). The defaults are the
    released recipe; :func:`molkit.run.configs.loso_config_from_profile` builds a profile's run with a recipe of
    :mod:`molkit.train.recipes`.
    """

    method: str = "mol"
    protocol: str = "fixed"
    classes: str = "5"
    model: MOLConfig = dataclasses.field(default_factory=MOLConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    train_crops: int = 5
    crop_jitter: int = 16
    folds: int | None = None
    fold_subjects: tuple[str, ...] = ()
    eval_batch_size: int = 16
    truth: bool = True
    profile: str = "paper"
    data_seed: int = 0
    ststnet: STSTNetConfig = dataclasses.field(default_factory=STSTNetConfig)
    linear: LinearConfig = dataclasses.field(default_factory=LinearConfig)
    lbptop: LBPTOPConfig = dataclasses.field(default_factory=LBPTOPConfig)
    offapexnet: OFFApexNetConfig = dataclasses.field(default_factory=OFFApexNetConfig)
    htnet: HTNetConfig = dataclasses.field(default_factory=HTNetConfig)

    def __post_init__(self) -> None:
        check_protocol(self.protocol)
        if self.method not in METHODS:
            raise ValueError(f"LosoConfig: unknown method {self.method!r}; choose one of {sorted(METHODS)}")
        if self.train.init and self.method != "mol":
            raise ValueError(
                f"LosoConfig: train.init (--init) starts MOL from a checkpoint; {self.method_name} "
                "does not start from one"
            )
        if self.fold_subjects and self.folds is not None:
            raise ValueError("LosoConfig: give folds (the first N) or fold_subjects (named), not both")
        if self.model.n_classes != class_count(self.classes):
            raise ValueError(
                f"LosoConfig: class set {self.classes!r} has "
                f"{class_count(self.classes)} classes, the model {self.model.n_classes}"
            )

    @property
    def method_name(self) -> str:
        return METHODS[self.method]

    @property
    def flow_width(self) -> float | None:
        """MOL's flow-head width (None for the baselines, which have no flow head)."""
        return self.model.flow_width if self.method == "mol" else None

    def recipe(self, prep: PrepSettings | None = None) -> str | None:
        """MOL's training recipe as :func:`recipe_label` reads it (None for the baselines);
        ``prep``: the cache's preparation, whose alignment is part of the recipe."""
        return recipe_label(self, prep) if self.method == "mol" else None

    def describe(self, prep: PrepSettings | None = None) -> str:
        """What made a number: method (and MOL's recipe), protocol, profile, flow-head width, the
        flow a MOL is fed (``model.motion``) and its clips' span where not the whole video."""
        recipe = self.recipe(prep)
        method = self.method_name if recipe is None else f"{self.method_name} ({recipe} recipe)"
        width = "" if self.flow_width is None else f" | flow width {self.flow_width:g}"
        mol = self.method == "mol"
        fed = f" | fed {self.model.motion} flow" if mol and self.model.motion != "none" else ""
        init = f" | started from {self.train.init}" if mol and self.train.init else ""
        span = f" | clips {prep.span}" if mol and prep is not None and prep.span != "video" else ""
        return f"{method}: {PROTOCOLS[self.protocol]} | profile {self.profile}{width}{fed}{span}{init}"

    @property
    def label(self) -> str:
        return self.describe()


def _caches(caches: Caches) -> dict[str, Path]:
    """``{dataset name: folder}``; a single folder is named ``""``."""
    if isinstance(caches, (str, Path)):
        return {"": Path(caches)}
    return {name: Path(folder) for name, folder in caches.items()}


def _split(subject: str, caches: dict[str, Path]) -> tuple[str, str]:
    """(dataset name, subject within it) of a LOSO subject name."""
    if "" in caches:
        return "", subject
    name, _, plain = subject.partition("/")
    return name, plain


def open_clips(config: LosoConfig, caches: Caches, subjects: tuple[str, ...] | None, train: bool) -> Dataset:
    """The clips of ``subjects`` (None: all) with training crops when ``train``, else the test
    crop (and the synthetic truth, where the cache holds it and ``config.truth``; always for a MOL
    fed the true flow, ``model.motion`` "truth", which a cache without it refuses)."""
    caches = _caches(caches)
    wanted: dict[str, list[str] | None] = {name: None for name in caches}
    if subjects is not None:
        wanted = {}
        for subject in subjects:
            name, plain = _split(subject, caches)
            wanted.setdefault(name, []).append(plain)
    parts = []
    for name, plain in sorted(wanted.items()):
        truth = config.model.motion == "truth" or (
            config.truth and not train and bool(read_videos(caches[name]).has_truth.all())
        )
        parts.append(
            ClipDataset(
                caches[name],
                subjects=plain,
                train=train,
                crops=config.train_crops,
                classes=config.classes,
                seed=config.data_seed,
                with_truth=truth,
                jitter=config.crop_jitter,
            )
        )
    return parts[0] if len(parts) == 1 else ConcatDataset(parts)


def check_images(config: LosoConfig, caches: Caches) -> None:
    """Refuse what the public onset->apex images cannot feed: MOL and LBP-TOP (they read frames),
    a class set other than the composite's (the images' labels are the list's three), HTNet
    without the samples' face points (:func:`molkit.baselines.htnet_regions.attach_face_points`)."""
    if not isinstance(caches, FlowImages):
        return
    if config.method not in IMAGE_METHODS:
        raise ValueError(
            f"{caches.root}: onset->apex images feed {', '.join(IMAGE_METHODS)}; {config.method_name} "
            "needs the frames (a licensed copy of the datasets, prepared with molkit prepare)"
        )
    if config.classes != "composite":
        raise ValueError(
            f"{caches.root}: onset->apex images carry the composite's labels; use classes 'composite'"
        )
    if config.method == "htnet":
        check_points(caches)


def all_subjects(config: LosoConfig, caches: Caches) -> list[str]:
    """Every subject with a video in the class set (``dataset/subject`` with several caches or
    the public images)."""
    if isinstance(caches, FlowImages):
        return caches.subjects
    names = {
        name: item_table(open_clips(config, {name: folder} if name else folder, None, False)).subject.unique()
        for name, folder in _caches(caches).items()
    }
    return sorted(f"{name}/{s}" if name else str(s) for name, found in names.items() for s in found)


def fold_dir(out_dir: str | Path, fold: Fold) -> Path:
    return Path(out_dir) / f"fold_{fold.test_subject.replace('/', '_')}"


def run_fold(
    config: LosoConfig, caches: Caches, fold: Fold, folder: str | Path, *, progress: bool = True
) -> Path:
    """Train and test one fold of ``config.method`` in ``folder``; returns its
    ``predictions.csv`` (already there: nothing to do)."""
    folder = Path(folder)
    done = folder / PREDICTIONS
    if done.exists():
        return done
    select = selection_subjects(config.protocol, fold)
    fold_predictions = _mol_fold if config.method == "mol" else _baseline_fold
    clips = fold_predictions(config, caches, fold, folder, select, progress)
    clips.insert(0, "fold", fold.test_subject)
    clips.insert(0, "protocol", config.protocol)
    atomic_write_text(done, clips.to_csv(index=False))
    return done


def _mol_fold(
    config: LosoConfig, caches: Caches, fold: Fold, folder: Path, select: tuple[str, ...], progress: bool
) -> pd.DataFrame:
    """MOL trained into ``folder/checkpoint.pt``; its predictions for the test subject's clips."""
    train_set = open_clips(config, caches, fold.train_subjects, True)
    train_fold(
        config.model,
        config.train,
        train_set,
        folder,
        select_set=open_clips(config, caches, select, False) if select else None,
        progress=progress,
        protocol=config.protocol,
        test_subject=fold.test_subject,
        train_subjects=list(fold.train_subjects),
        select_subjects=list(select),
        classes=config.classes,
        class_names=dataset_classes(train_set),
    )
    device = pick_device(config.train.device)
    if config.protocol == "inner-val":
        _calibrate(config, caches, select, folder / CHECKPOINT, device)
    model, _ = load_checkpoint(folder / CHECKPOINT, device)
    return predict_dataset(
        model,
        open_clips(config, caches, (fold.test_subject,), False),
        config.eval_batch_size,
        device,
        errors=True,
    )


def _calibrate(
    config: LosoConfig, caches: Caches, subjects: tuple[str, ...], checkpoint: Path, device
) -> None:
    """Fit the fold's temperature on its inner-validation subject's clips, into its checkpoint."""
    calibrate_checkpoint(
        checkpoint, open_clips(config, caches, subjects, False), config.eval_batch_size, str(device)
    )


def _baseline_fold(
    config: LosoConfig, caches: Caches, fold: Fold, folder: Path, select: tuple[str, ...], progress: bool
) -> pd.DataFrame:
    """A baseline trained on the training subjects' videos (the onset->apex baselines leave out
    videos without one; LBP-TOP reads every video's frames); its predictions for the test
    subject's videos, one row each."""

    def features(subjects: tuple[str, ...]):
        if isinstance(caches, FlowImages) and config.method == "htnet":
            return image_regions(caches, subjects, config.htnet.rows_from_x)
        if isinstance(caches, FlowImages):
            table, images = caches.part(subjects)
            return VideoFeatures(table[["subject", "video_id", "label"]], images)
        clips = open_clips(config, caches, subjects, False)
        if config.method == "htnet":  # the regions around the cache's landmarks
            return cache_regions(clips, config.htnet.rows_from_x)
        return (
            lbptop_video_features(clips, config.lbptop)
            if config.method == "lbptop"
            else video_features(clips)
        )

    train, test = features(fold.train_subjects), features((fold.test_subject,))
    if not len(train):
        raise ValueError(
            f"{_where(caches)}: no video of fold {fold.test_subject}'s training subjects can feed the "
            f"{config.method_name} baseline (the onset->apex baselines need a coded onset and "
            "apex; see problems.csv)"
        )
    n_classes = config.model.n_classes
    if config.method == "linear":  # nothing to select: inner-val only holds its subject out
        return test.predictions(linear_logits(fit_linear(config.linear, train), test.features, n_classes))
    if config.method == "lbptop":  # likewise
        return test.predictions(lbptop_logits(fit_lbptop(config.lbptop, train), test.features, n_classes))
    chosen, seed, device = features(select) if select else None, config.train.seed, config.train.device
    if config.method == "htnet":
        model = train_htnet(config.htnet, train, n_classes, seed, device=device, select=chosen)
    else:
        network, settings = (
            (OFFApexNet, config.offapexnet) if config.method == "offapexnet" else (STSTNet, config.ststnet)
        )
        model = train_cnn(network, settings, train, n_classes, seed, device=device, select=chosen)
    return test.predictions(cnn_logits(model, test.features))


def run_loso(
    config: LosoConfig,
    caches: Caches,
    out_dir: str | Path,
    executor: str = "inprocess",
    workers: int | None = None,
    slurm: dict[str, Any] | None = None,
    *,
    progress: bool = True,
) -> LosoResult:
    """Run every unfinished fold of ``config`` with ``executor`` and pool the results.

    ``executor``: ``"inprocess"``, ``"processes"`` (``workers`` local processes, one per GPU when
    there are several), ``"slurm"`` (submitit; ``slurm`` holds its parameters, e.g.
    ``{"slurm_partition": "gpu", "timeout_min": 120}``) or ``"submitit-local"``.
    """
    check_images(config, caches)
    if config.method == "mol" and config.train.init:  # refused before any fold starts
        init_weights(MOL(config.model), config.train.init)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = out_dir / CONFIG
    if saved.exists() and LosoConfig.load(saved) != config:
        raise ValueError(
            f"{saved}: this folder holds a LOSO run with another configuration; choose another output folder"
        )
    atomic_write_text(saved, config.to_yaml())
    prep = loso_prep_settings(caches)
    if prep is not None:
        atomic_write_text(out_dir / PREP, prep.to_json())
    if isinstance(caches, FlowImages):
        classes = class_names(config.classes, "casme2")
        atomic_write_text(out_dir / IMAGES, json.dumps(images_record(caches), indent=2))
    else:
        classes = dataset_classes(open_clips(config, caches, None, False))
    atomic_write_text(out_dir / CLASSES, json.dumps(classes))
    folds = chosen_folds(config, all_subjects(config, caches))
    tasks = [
        (config, caches, fold, fold_dir(out_dir, fold))
        for fold in folds
        if not (fold_dir(out_dir, fold) / PREDICTIONS).exists()
    ]
    fold_progress = progress and executor == "inprocess"
    run_tasks(
        functools.partial(run_fold, progress=fold_progress),
        tasks,
        executor,
        workers=workers,
        slurm=slurm,
        folder=out_dir / "jobs",
        progress=progress,
    )
    return load_loso(out_dir)


def chosen_folds(config: LosoConfig, subjects: list[str]) -> list[Fold]:
    """The folds ``config`` runs: the named ``fold_subjects`` (each must be in the data), else
    the first ``folds``, else all."""
    folds = plan_folds(config.protocol, subjects)
    if not config.fold_subjects:
        return folds[: config.folds]
    by_subject = {fold.test_subject: fold for fold in folds}
    missing = [s for s in config.fold_subjects if s not in by_subject]
    if missing:
        raise LookupError(f"fold_subjects {missing} are not subjects of the data (it has {len(folds)})")
    return [by_subject[s] for s in config.fold_subjects]


def load_loso(out_dir: str | Path) -> LosoResult:
    """The pooled result of the finished folds in ``out_dir``."""
    out_dir = Path(out_dir)
    config = LosoConfig.load(out_dir / CONFIG)
    files = sorted(out_dir.glob(f"fold_*/{PREDICTIONS}"))
    if not files:
        raise FileNotFoundError(f"{out_dir}: no finished fold ({PREDICTIONS}) yet")
    clips = pd.concat(
        [pd.read_csv(f, dtype={"subject": str, "fold": str, "video_id": str}) for f in files],
        ignore_index=True,
    )
    prep = PrepSettings.load(out_dir / PREP) if (out_dir / PREP).is_file() else None
    return LosoResult(config, clips, json.loads((out_dir / CLASSES).read_text()), prep)


def images_record(images: FlowImages) -> dict[str, Any]:
    """What a run on the public images read: folder, layout, images per dataset, problems."""
    return {
        "root": str(images.root),
        "layout": images.layout,
        "images": images.table.groupby("dataset").size().to_dict(),
        "problems": len(images.problems),
    }


def _where(caches: Caches) -> str:
    return str(caches.root) if isinstance(caches, FlowImages) else str(caches)


def loso_prep_settings(caches: Caches) -> PrepSettings | None:
    """How the cache(s) were prepared; None when one does not say or they differ (or the run
    reads the public images, which no molkit preparation made)."""
    if isinstance(caches, FlowImages):
        return None
    found = [cache_prep_settings(folder) for folder in _caches(caches).values()]
    return found[0] if all(s is not None and s == found[0] for s in found) else None


@dataclasses.dataclass
class LosoResult:
    """Pooled predictions of a LOSO run and the tables read off them."""

    config: LosoConfig
    clips: pd.DataFrame
    class_names: list[str]
    prep: PrepSettings | None = None  # the cache's preparation, when the run recorded it

    @property
    def label(self) -> str:
        return self.config.describe(self.prep)

    @property
    def n_classes(self) -> int:
        return self.config.model.n_classes

    @functools.cached_property
    def videos(self) -> pd.DataFrame:
        return vote_videos(self.clips)

    def table(self, level: str) -> pd.DataFrame:
        """Predictions per ``"clip"`` or per ``"video"``."""
        if level not in ("clip", "video"):
            raise ValueError(f"level must be 'clip' or 'video', not {level!r}")
        return self.clips if level == "clip" else self.videos

    def confusion(self, level: str = "video") -> np.ndarray:
        """Confusion matrix pooled over folds (rows: truth, columns: prediction)."""
        table = self.table(level)
        return confusion_matrix(table["label"], table["pred"], self.n_classes)

    def _labels(self) -> dict[str, Any]:
        return {
            "method": self.config.method_name,
            "recipe": self.config.recipe(self.prep),
            "protocol": self.config.protocol,
            "profile": self.config.profile,
            "flow_width": self.config.flow_width,
        }

    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        """Pooled metrics per level (clip, video); the clip row adds the mean flow EPE and
        landmark NME against each reference."""
        return pd.DataFrame(
            [
                {
                    **self._labels(),
                    "level": level,
                    "n": len(self.table(level)),
                    **summarize_confusion(self.confusion(level)),
                    **(error_summary(self.clips) if level == "clip" else {}),
                }
                for level in ("clip", "video")
            ]
        )

    @functools.cached_property
    def per_fold(self) -> pd.DataFrame:
        """Metrics of each fold on its own, per level (UF1/UAR of one subject are noisy)."""
        rows = []
        for level in ("clip", "video"):
            for fold, table in self.table(level).groupby("fold", sort=True):
                cm = confusion_matrix(table["label"], table["pred"], self.n_classes)
                rows.append(
                    {
                        **self._labels(),
                        "level": level,
                        "fold": fold,
                        "n": len(table),
                        **summarize_confusion(cm),
                        **(error_summary(table) if level == "clip" else {}),
                    }
                )
        return pd.DataFrame(rows)

    @functools.cached_property
    def per_class(self) -> pd.DataFrame:
        """Support, recall, precision and F1 of every class, per level, pooled over folds."""
        rows = []
        for level in ("clip", "video"):
            scores = per_class(self.confusion(level))
            for c, name in enumerate(self.class_names):
                rows.append(
                    {
                        **self._labels(),
                        "level": level,
                        "class": name,
                        **{k: v[c].item() for k, v in scores.items()},
                    }
                )
        return pd.DataFrame(rows)

    @functools.cached_property
    def collapse(self) -> pd.DataFrame:
        """Per fold and pooled, per video: the classes predicted, whether one class was predicted
        for videos of several, and the classes never recognised (:mod:`molkit.train.collapse`)."""
        return collapse_table(self.videos, self.class_names)

    @property
    def collapsed_folds(self) -> int:
        """How many folds predicted one class for videos of several classes."""
        folds = self.collapse[self.collapse["fold"] != POOLED]
        return int(folds["single_class"].sum())

    @property
    def warnings(self) -> list[str]:
        """Collapse, in plain sentences (empty when every fold predicted several classes and
        every class was recognised at least once)."""
        return collapse_warnings(self.collapse, self.config.method_name)

    def save(self, out_dir: str | Path) -> None:
        """Write ``summary.csv``, ``per_fold.csv``, ``per_class.csv`` and ``collapse.csv``."""
        for name in ("summary", "per_fold", "per_class", "collapse"):
            atomic_write_text(Path(out_dir) / f"{name}.csv", getattr(self, name).to_csv(index=False))

    def __str__(self) -> str:
        video = self.summary.set_index("level").loc["video"]
        return (
            f"{self.label}: per video "
            + ", ".join(f"{m} {video[m]:.3f}" for m in METRICS)
            + f" ({int(video['n'])} videos)"
            + "".join(f"\nWARNING: {w}" for w in self.warnings)
        )
