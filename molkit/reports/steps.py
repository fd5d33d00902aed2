"""The pipeline steps the numbered notebooks share, each a short composition of molkit calls, so
that a notebook cell is one line and the same step means the same thing in every notebook."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from tqdm.auto import tqdm

from molkit.attribution import AttributionConfig, attribute, region_scores
from molkit.data import ClipDataset, PrepReport, prepare
from molkit.data.cache import atomic_write_text
from molkit.reports.context import NotebookRun
from molkit.synthetic import SynthConfig, generate, has_ground_truth
from molkit.train.checkpoint import load_checkpoint
from molkit.train.loso import LosoConfig, run_loso
from molkit.train.trainer import CHECKPOINT, LOG, read_log


def data_source(run: NotebookRun) -> tuple[str, Path]:
    """(reader, root) of the run's data: the user's copy, or the synthetic benchmark (laid out
    like CASME II), generated into the work folder at the profile's size and the run's seed."""
    if run.data_root is not None:
        return ("casme2" if run.dataset == "synthetic" else run.dataset), run.data_root
    p = run.profile
    config = SynthConfig(subjects=p.synthetic_subjects, samples_per_subject=p.synthetic_samples_per_subject,
                         frames=p.synthetic_frames, seed=run.seed)
    return "casme2", generate(run.path("synthetic"), config, workers=p.workers)


def prepare_data(run: NotebookRun, progress: bool = True) -> PrepReport:
    """Read and prepare the run's data into ``work/cache`` (reused when already there) and hand
    the reader, data root and cache on to the later notebooks."""
    reader, root = data_source(run)
    report = prepare(reader, root, run.path("cache"), workers=run.profile.workers, progress=progress)
    run.remember(reader=reader, data_root=root, cache=report.cache_dir)
    return report


def loso_config(run: NotebookRun, **changes: Any) -> LosoConfig:
    """The LOSO run the profile describes, with the run's class set, protocol, seed and device,
    scored against the ground truth when the data has one. ``changes`` replace fields."""
    base = LosoConfig.from_profile(run.profile, classes=run.classes, protocol=run.protocol)
    return base.replace(
        train=base.train.replace(seed=run.seed, device=run.device), data_seed=run.seed,
        truth=has_ground_truth(run.recall("data_root")),
    ).replace(**changes)


def loso_folder(run: NotebookRun, kind: str, name: str, config: LosoConfig) -> Path:
    """``work/<kind>/<name>-<config hash>``: one folder per configuration, so that a rerun with
    the same configuration reuses its finished folds and a changed one starts afresh."""
    key = hashlib.sha256(config.to_json().encode()).hexdigest()[:8]
    return run.path(kind, f"{name}-{key}")


def training_logs(loso_dir: str | Path) -> pd.DataFrame:
    """The training steps of every fold of a LOSO folder, one row per logged step, with ``fold``
    (selection evaluations left out)."""
    frames = [pd.DataFrame(read_log(folder)).assign(fold=folder.name.removeprefix("fold_"))
              for folder in sorted(Path(loso_dir).glob("fold_*")) if (folder / LOG).is_file()]
    logs = pd.concat(frames, ignore_index=True)
    return logs[logs["event"].isna()] if "event" in logs else logs


def held_out_example(run: NotebookRun, loso_dir: str | Path, fold: int = 0) -> dict[str, Any]:
    """The clip that moves most among the test clips of a finished fold, as numpy arrays, with
    what that fold's model (which never saw the subject) predicts for it."""
    model, record = load_checkpoint(finished_folds(loso_dir)[fold] / CHECKPOINT, run.torch_device)
    truth = has_ground_truth(run.recall("data_root"))
    clips = ClipDataset(run.recall("cache"), subjects=[record["test_subject"]], train=False,
                        classes=run.classes, with_truth=truth)
    item = max((clips[i] for i in range(len(clips))), key=lambda it: float(it["flow"].abs().mean()))
    with torch.no_grad():
        output = model(item["clip"][None].to(run.torch_device))
    example = {"subject": record["test_subject"], "video_id": item["video_id"],
               "label": clips.classes[int(item["label"])],
               "predicted": clips.classes[int(output.logits.argmax())],
               "frames": item["clip"][0].numpy(),
               "tvl1_flow": item["flow"].permute(0, 2, 3, 1).numpy(),
               "dlib_landmarks": item["landmarks"].numpy()}
    if output.flow is not None:
        example["predicted_flow"] = output.flow[0].float().cpu().permute(0, 2, 3, 1).numpy()
    if output.landmarks is not None:
        example["predicted_landmarks"] = output.landmarks[0].float().cpu().numpy()
    if truth:
        example["true_flow"] = item["true_flow"].permute(0, 2, 3, 1).numpy()
        example["true_landmarks"] = item["true_landmarks"].numpy()
    return example


# The ablations of notebook 03: model changes from the full model (CCC as released, k = 4).
ABLATIONS: dict[str, dict[str, Any]] = {
    "full": {},
    "no flow": {"flow": False},
    "no landmarks": {"landmarks": False},
    "no flow, no landmarks": {"flow": False, "landmarks": False},
    "CCC paper reading": {"ccc": "paper"},
    "no CCC": {"ccc": "none"},
    "k=2": {"neighbours": 2},
    "k=8": {"neighbours": 8},
}


def ablation_variants(run: NotebookRun) -> dict[str, dict[str, Any]]:
    """The variants the profile runs (``ablation_variants``; empty: all of :data:`ABLATIONS`)."""
    names = run.profile.ablation_variants or tuple(ABLATIONS)
    unknown = sorted(set(names) - set(ABLATIONS))
    if unknown:
        raise ValueError(f"profile {run.profile.name}: unknown ablations {unknown}; known: {list(ABLATIONS)}")
    return {name: ABLATIONS[name] for name in names}


def run_ablations(run: NotebookRun, progress: bool = True) -> pd.DataFrame:
    """The profile's variants under each of its seeds (``ablation_seeds``) on the same folds (the
    first ``ablation_folds``) with ``ablation_steps`` steps and the run's protocol: one row of
    pooled per-video metrics each, also written to ``work/ablations/ablations.csv``. Finished
    runs are reused."""
    p = run.profile
    variants = ablation_variants(run)
    base = loso_config(run, folds=p.ablation_folds)
    rows = []
    tasks = [(name, seed) for name in variants for seed in p.ablation_seeds]
    for name, seed in tqdm(tasks, desc="ablations", disable=not progress):
        config = base.replace(model=base.model.replace(**variants[name]),
                              train=base.train.replace(steps=p.ablation_steps, seed=seed))
        folder = loso_folder(run, "ablations", re.sub(r"[^a-z0-9]+", "-", name.lower()), config)
        result = run_loso(config, run.recall("cache"), folder, progress=False)
        video = result.summary.set_index("level").loc["video"]
        rows.append({"variant": name, "seed": seed, "folds": result.clips["fold"].nunique(),
                     "steps": p.ablation_steps, **video.to_dict()})
    table = pd.DataFrame(rows)
    atomic_write_text(run.path("ablations", "ablations.csv"), table.to_csv(index=False))
    return table


def ablation_spread(table: pd.DataFrame, metrics: tuple[str, ...] = ("uf1", "uar", "accuracy")) -> pd.DataFrame:
    """Mean, standard deviation, minimum and maximum over seeds of each metric, per variant."""
    spread = table.groupby("variant", sort=False)[list(metrics)].agg(["mean", "std", "min", "max"])
    spread.insert(0, ("seeds", ""), table.groupby("variant", sort=False)["seed"].nunique())
    return spread


def finished_folds(loso_dir: str | Path) -> list[Path]:
    """The fold folders of a LOSO run that hold a checkpoint, in order."""
    return sorted(f for f in Path(loso_dir).glob("fold_*") if (f / CHECKPOINT).is_file())


def held_out_attribution(run: NotebookRun, loso_dir: str | Path, method: str = "ig") -> pd.DataFrame:
    """Region scores of ``method`` for the test clips (first clip of each video, at most the
    profile's ``attribution_samples``) of the first fold, attributed by that fold's model, with
    the regions drawn from dlib's landmarks: the region analysis for data without ground truth."""
    model, record = load_checkpoint(finished_folds(loso_dir)[0] / CHECKPOINT, run.torch_device)
    clips = ClipDataset(run.recall("cache"), subjects=[record["test_subject"]], train=False, classes=run.classes)
    rows = clips.table.index[clips.table.clip_index == 0][:run.profile.attribution_samples]
    items = [clips[int(i)] for i in rows]
    batch = torch.stack([item["clip"] for item in items])
    landmarks = torch.stack([item["landmarks"] for item in items]).float()
    target = torch.stack([item["label"] for item in items])
    attributions = attribute(model, batch, target, method, landmarks, AttributionConfig.from_profile(run.profile))
    return region_scores(attributions, landmarks, samples=[item["video_id"] for item in items],
                         labels=[clips.classes[int(t)] for t in target])
