"""Training one fold: AdamW on the joint loss, a per-step log, a progress bar, exact resume.

``out_dir`` receives ``log.jsonl`` (one JSON object per logged step and per selection
evaluation), ``state.pt`` while training (weights, optimiser, step, best checkpoint so far) and
``checkpoint.pt`` when done. Every step's batch and dropout draw depend on (seed, step) only, so
a fold resumed from ``state.pt`` ends with the weights an uninterrupted run would have (on CPU,
with deterministic algorithms).
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm.auto import tqdm

from molkit.data.cache import load_plain, save_tensors
from molkit.gpu import autocast, deterministic, pick_device, seed_everything
from molkit.losses import joint_loss
from molkit.model import MOL, MOLConfig, model_input
from molkit.sampling import StepBatches, class_weights, steps_per_pass
from molkit.train.checkpoint import (
    dataset_prep_settings,
    dataset_timing,
    init_weights,
    save_checkpoint,
    state_dict_cpu,
)
from molkit.train.config import TrainConfig
from molkit.train.evaluation import labels_of, predict_dataset, score
from molkit.train.input_range import dataset_range

CHECKPOINT, STATE, LOG = "checkpoint.pt", "state.pt", "log.jsonl"


def train_fold(
    model_config: MOLConfig,
    config: TrainConfig,
    train_set: Dataset,
    out_dir: str | Path,
    select_set: Dataset | None = None,
    select_metric: str = "accuracy",
    until_step: int | None = None,
    *,
    progress: bool = True,
    **record: Any,
) -> dict[str, Any] | None:
    """Train MOL on ``train_set`` and write ``out_dir/checkpoint.pt``; return its record (less
    the weights). A finished fold is not trained again.

    With ``select_set``, the model is scored on it (``select_metric`` of its clips) every
    ``config.eval_every`` steps and the best weights are kept (first best wins); without it the
    last weights are kept. ``until_step`` stops early, leaving a resumable ``state.pt`` (returns
    None). ``record`` adds plain values to the checkpoint (e.g. the fold's subjects).
    """
    out_dir = Path(out_dir)
    finished = out_dir / CHECKPOINT
    if finished.exists():
        return _finished_record(finished, model_config, config)
    if config.deterministic:
        deterministic()
    device = pick_device(config.device)
    seed_everything(config.seed)
    model = MOL(model_config)
    if config.landmark_init == "mean_shape" and model.landmark_head is not None:
        model.landmark_head.start_at(mean_shape(train_set))
    if config.init:
        init_weights(model, config.init)
    model = model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    labels = labels_of(train_set)
    weights = (
        class_weights(labels, model_config.n_classes).to(device) if config.balance == "weights" else None
    )
    every = config.eval_every or steps_per_pass(len(labels), config.batch_size)
    start, best = _resume(out_dir, model, optimizer)
    stop = min(config.steps, until_step or config.steps)
    loader = DataLoader(
        train_set,
        num_workers=config.workers,
        batch_sampler=StepBatches(
            labels, config.batch_size, config.seed, config.balance == "sampler", start, stop
        ),
    )

    bar = tqdm(total=config.steps, initial=start, disable=not progress, desc=out_dir.name, leave=False)
    tic, last = time.perf_counter(), {}
    with open(out_dir / LOG, "a") as log:
        for step, batch in zip(range(start, stop), loader):
            model.train()
            torch.manual_seed(config.seed * 1_000_003 + step)
            for group in optimizer.param_groups:
                group["lr"] = config.learning_rate(step)
            batch = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
            with autocast(device, enabled=config.amp):
                losses = joint_loss(model(model_input(batch, model_config)), batch, config.loss, weights)
            optimizer.zero_grad(set_to_none=True)
            losses["total"].backward()
            optimizer.step()
            done = step + 1
            bar.update()
            if done % config.log_every == 0 or done == config.steps:
                last = {k: v.item() for k, v in losses.items()}
                bar.set_postfix(loss=f"{last['total']:.3f}")
                _write(log, {"step": done, **last, "seconds": time.perf_counter() - tic})
            if select_set is not None and (done % every == 0 or done == config.steps):
                scores = score(
                    predict_dataset(model, select_set, config.batch_size, device), model_config.n_classes
                )
                _write(log, {"step": done, "event": "select", **scores})
                if best is None or scores[select_metric] > best["score"]:
                    best = {"score": scores[select_metric], "step": done, "weights": state_dict_cpu(model)}
            if done % config.save_every == 0 and done < config.steps:
                _save_state(out_dir, done, model, optimizer, best)
    bar.close()
    if stop < config.steps:
        _save_state(out_dir, stop, model, optimizer, best)
        return None
    chosen = (
        best if best is not None else {"score": None, "step": config.steps, "weights": state_dict_cpu(model)}
    )
    model.load_state_dict(chosen["weights"])
    fit = training_fit(model, train_set, model_config.n_classes, device)
    with open(out_dir / LOG, "a") as log:
        _write(log, {"step": config.steps, "event": "training_fit", **fit})
    if fit["collapsed"]:
        warnings.warn(
            f"{out_dir}: {fit['collapsed']} (classes predicted: {fit['classes_predicted']} "
            f"of {model_config.n_classes} on {fit['items']} training clips)",
            stacklevel=2,
        )
    metrics = {
        "selected_step": chosen["step"],
        "select_metric": select_metric,
        "select_score": chosen["score"],
        "final_losses": last,
        "device": str(device),
        "training_fit": fit,
    }
    save_checkpoint(
        finished,
        chosen["weights"],
        model_config,
        config,
        metrics,
        prep_settings=dataset_prep_settings(train_set),
        clip_timing=dataset_timing(train_set),
        input_range=dataset_range(train_set, model_config.magnification),
        **record,
    )
    (out_dir / STATE).unlink(missing_ok=True)
    return _finished_record(finished, model_config, config)


def training_fit(
    model: MOL,
    dataset: Dataset,
    n_classes: int,
    device: torch.device | str = "cpu",
    per_class: int = 8,
) -> dict[str, Any]:
    """How the trained model does on its own training clips: up to ``per_class`` items of each
    class (evenly spread), their accuracy, recall per class (None for a class without clips), the
    number of classes predicted, and ``collapsed``: why it looks collapsed (one class for every
    clip, or a class never predicted), else ``""``."""
    labels = labels_of(dataset)
    picks = [
        int(i)
        for c in range(n_classes)
        for i in np.flatnonzero(labels == c)[
            np.linspace(0, (labels == c).sum() - 1, min(per_class, (labels == c).sum())).astype(int)
        ]
    ]
    table = predict_dataset(model, Subset(dataset, picks), batch_size=16, device=device)
    recall = [
        float((table.pred[table.label == c] == c).mean()) if (table.label == c).any() else None
        for c in range(n_classes)
    ]
    predicted = sorted(int(c) for c in table.pred.unique())
    never = [c for c, r in enumerate(recall) if r == 0]
    collapsed = (
        "predicts one class for every training clip"
        if len(predicted) == 1
        else f"never predicts class {', '.join(map(str, never))} on its training clips"
        if never
        else ""
    )
    return {
        "items": len(table),
        "accuracy": float((table.pred == table.label).mean()),
        "recall": recall,
        "classes_predicted": len(predicted),
        "collapsed": collapsed,
    }


def mean_shape(dataset: Dataset, items: int = 64) -> torch.Tensor:
    """Mean landmarks ``[68, 2]`` of the predicted frames (2..T) over up to ``items`` items spread
    evenly through ``dataset`` (training crops included, so it is the mean where they put it)."""
    picks = torch.linspace(0, len(dataset) - 1, min(items, len(dataset))).round().long().unique()
    return torch.stack([dataset[int(i)]["landmarks"][1:].float() for i in picks]).mean(dim=(0, 1))


def _save_state(
    out_dir: Path,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    best: dict[str, Any] | None,
) -> None:
    save_tensors(
        out_dir / STATE,
        {"step": step, "weights": state_dict_cpu(model), "optimizer": optimizer.state_dict(), "best": best},
    )


def _write(log, entry: dict[str, Any]) -> None:
    log.write(json.dumps(entry) + "\n")
    log.flush()


def _resume(
    out_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer
) -> tuple[int, dict[str, Any] | None]:
    """Load ``state.pt`` when present and cut the log back to its step; (start step, best)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    state_path, log_path = out_dir / STATE, out_dir / LOG
    if not state_path.exists():
        log_path.unlink(missing_ok=True)
        return 0, None
    state = load_plain(state_path)
    model.load_state_dict(state["weights"])
    optimizer.load_state_dict(state["optimizer"])
    if log_path.exists():
        kept = [
            line
            for line in log_path.read_text().splitlines()
            if line and json.loads(line)["step"] <= state["step"]
        ]
        log_path.write_text("".join(line + "\n" for line in kept))
    return state["step"], state["best"]


def _finished_record(path: Path, model_config: MOLConfig, config: TrainConfig) -> dict[str, Any]:
    record = load_plain(path)
    record.pop("weights")
    if (record["model_config"], record["train_config"]) != (model_config.to_dict(), config.to_dict()):
        raise ValueError(
            f"{path} was trained with another configuration; remove it or choose another output folder"
        )
    return record


def read_log(out_dir: str | Path) -> list[dict[str, Any]]:
    """The per-step log of a fold folder (training steps and selection evaluations)."""
    path = Path(out_dir) / LOG
    return [json.loads(line) for line in path.read_text().splitlines() if line]
