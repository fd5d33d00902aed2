"""The pointing game on held-out synthetic subjects: train MOL without them, attribute their
clips with every method, and compare each method with chance.

``train_without(cache_dir, out_dir, config, held_out=2)`` trains ``config``'s MOL on every
subject but the last ``held_out``; ``pointing_experiment(model, cache_dir, subjects)`` attributes the
true class of the first clip of each held-out video and returns the tables, the time each method
took, and a ``random`` row: uniform random attributions, the empirical chance level.
``loso_pointing(loso_dir, cache_dir)`` does it for every fold model of a LOSO run on its own
held-out subject, with confidence intervals per method.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import torch
from torch.utils.data import default_collate

from molkit.attribution.methods import METHODS, AttributionConfig, attribute
from molkit.attribution.pointing import pointing_game, pointing_intervals, pointing_summary
from molkit.attribution.scores import region_scores
from molkit.data import ClipDataset
from molkit.data.cache import atomic_write_text
from molkit.gpu import pick_device
from molkit.model import MOL, model_input
from molkit.train.checkpoint import load_checkpoint
from molkit.train.loso import LosoConfig, all_subjects, open_clips
from molkit.train.trainer import CHECKPOINT, train_fold

RANDOM = "random"


@dataclasses.dataclass
class PointingResult:
    """``scores``: per method, clip and region; ``games``: per method and clip; ``summary``: per
    method (rates, shares, chance levels, seconds); ``clips``/``landmarks``/``attributions``
    (per method) for overlays; ``classes``: class names by label index."""

    scores: pd.DataFrame
    games: pd.DataFrame
    summary: pd.DataFrame
    clips: torch.Tensor
    landmarks: torch.Tensor
    labels: list[str]
    attributions: dict[str, torch.Tensor]
    classes: list[str]

    def save(self, folder: str | Path) -> Path:
        """Write the three tables as CSV files into ``folder`` (atomically)."""
        folder = Path(folder)
        for name in ("scores", "games", "summary"):
            table = getattr(self, name)
            atomic_write_text(folder / f"pointing_{name}.csv", table.to_csv(index=name == "summary"))
        return folder


def train_without(
    cache_dir: str | Path,
    out_dir: str | Path,
    config: LosoConfig,
    held_out: int = 2,
    device: str = "auto",
    *,
    progress: bool = True,
) -> tuple[MOL, list[str]]:
    """MOL trained as ``config`` says (its model, training and class set; a profile's:
    :func:`molkit.run.configs.loso_config_from_profile`) on all subjects but the last
    ``held_out`` (reused when ``out_dir`` already holds it); returns the model (eval mode) and the
    held-out subjects."""
    config = config.replace(train=config.train.replace(device=device))
    subjects = all_subjects(config, cache_dir)
    if len(subjects) <= held_out:
        raise ValueError(
            f"{cache_dir}: {len(subjects)} subjects, cannot hold out {held_out} and still train on some"
        )
    train, held = subjects[:-held_out], subjects[-held_out:]
    train_fold(
        config.model,
        config.train,
        open_clips(config, cache_dir, tuple(train), True),
        out_dir,
        progress=progress,
        train_subjects=train,
        held_out_subjects=held,
    )
    model, _ = load_checkpoint(Path(out_dir) / CHECKPOINT, pick_device(device))
    return model, held


def _timed(run, device: torch.device) -> tuple[torch.Tensor, float]:
    tic = time.perf_counter()
    result = run()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return result, time.perf_counter() - tic


def pointing_experiment(
    model: MOL,
    cache_dir: str | Path,
    subjects: Sequence[str],
    methods: Sequence[str] = METHODS,
    samples: int | None = None,
    config: AttributionConfig | None = None,
    classes: str = "5",
    seed: int = 0,
) -> PointingResult:
    """Attribute the true-class logit of the first clip of every video of ``subjects`` (at most
    ``samples`` clips, spread over the videos) and play the pointing game with each method
    (``config``: default :class:`AttributionConfig`'s; a profile's:
    :func:`molkit.run.configs.attribution_config_from_profile`).

    Regions are drawn from the synthetic ground-truth landmarks; the true regions of a clip are
    those its own coded action units move (per sample on the twin, the class's on the easy tier).
    A model fed motion is attributed to the frames, its flow channels held (:func:`attribute`).
    """
    data = ClipDataset(cache_dir, subjects=list(subjects), train=False, classes=classes, with_truth=True)
    rows = data.table.index[data.table.clip_index == 0]
    if samples is not None and samples < len(rows):
        rows = rows[torch.linspace(0, len(rows) - 1, samples).round().long().numpy()]
    if len(rows) == 0:
        raise ValueError(f"{cache_dir}: no clips of subjects {list(subjects)} in class set {classes!r}")
    items = [data[int(i)] for i in rows]
    batch = default_collate(items)
    clips, landmarks, target = batch["clip"], batch["true_landmarks"].float(), batch["label"]
    inputs = model_input(batch, model.config)
    names = [f"{item['video_id']}/{item['clip_index']}" for item in items]
    truth = {name: [r for r in item["regions"].split(";") if r] for name, item in zip(names, items)}
    labels = [data.classes[int(t)] for t in target]

    config = config or AttributionConfig()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    runs = {
        method: lambda m=method: attribute(model, inputs, target, m, landmarks, config) for method in methods
    }
    runs[RANDOM] = lambda: torch.rand(clips.shape, generator=generator)
    attributions, seconds, tables = {}, {}, []
    for method, run in runs.items():
        attributions[method], seconds[method] = _timed(lambda: run().cpu(), device)
        table = region_scores(attributions[method], landmarks, samples=names, labels=labels)
        table.insert(0, "method", method)
        tables.append(table)
    scores = pd.concat(tables, ignore_index=True)
    games = pointing_game(scores, truth)
    summary = pointing_summary(games, "method")
    summary["seconds"] = pd.Series(seconds)
    summary["seconds_per_clip"] = summary["seconds"] / len(items)
    return PointingResult(scores, games, summary, clips, landmarks, labels, attributions, list(data.classes))


def loso_pointing(
    loso_dir: str | Path,
    cache_dir: str | Path,
    *,
    samples: int,
    methods: Sequence[str] = METHODS,
    config: AttributionConfig | None = None,
    classes: str = "5",
    seed: int = 0,
    device: str | torch.device = "cpu",
    confidence: float = 0.95,
) -> PointingResult:
    """The pointing game of every finished fold model of a LOSO run on its own held-out subject
    (``samples`` clips spread over the folds, at least one each). ``scores`` and ``games`` gain
    a ``fold`` column; ``summary`` is :func:`pointing_intervals` over all folds with the seconds
    spent; the clips and attributions kept for overlays are the first fold's."""
    folders = sorted(f for f in Path(loso_dir).glob("fold_*") if (f / CHECKPOINT).is_file())
    if not folders:
        raise FileNotFoundError(f"{loso_dir}: no fold with a {CHECKPOINT} (run the LOSO folds first)")
    per_fold = max(1, samples // len(folders))
    results = []
    for folder in folders:
        model, record = load_checkpoint(folder / CHECKPOINT, device)
        result = pointing_experiment(
            model, cache_dir, [record["test_subject"]], methods, per_fold, config, classes, seed
        )
        results.append((record["test_subject"], result))
    scores = pd.concat([r.scores.assign(fold=fold) for fold, r in results], ignore_index=True)
    games = pd.concat([r.games.assign(fold=fold) for fold, r in results], ignore_index=True)
    summary = pointing_intervals(games, "method", confidence)
    summary["seconds"] = sum(r.summary["seconds"] for _, r in results)
    summary["seconds_per_clip"] = summary["seconds"] / summary["n"]
    first = results[0][1]
    return PointingResult(
        scores, games, summary, first.clips, first.landmarks, first.labels, first.attributions, first.classes
    )
