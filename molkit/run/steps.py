"""The pipeline steps the numbered notebooks share, each a short composition of molkit calls, so
that a notebook cell is one line and the same step means the same thing in every notebook."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch.utils.data import default_collate

from molkit.attribution import attribute, region_scores
from molkit.data import ClipDataset, PrepReport, PrepSettings, prepare, read_dataset, read_videos, tvl1
from molkit.data.cache import atomic_write_text
from molkit.data.flow_images import ENV as FLOW_IMAGES_ENV
from molkit.data.flow_images import SOURCE as FLOW_IMAGES_SOURCE
from molkit.data.flow_images import FlowImages, read_flow_images
from molkit.data.problems import summary_lines
from molkit.data.truth import CONFIG_FILE, TRUTH_DIR
from molkit.model import model_input
from molkit.profiles import Profile
from molkit.reports.index import CLAIMS_FOLDER, FIGURES_FOLDER, REAL_NOTE, REAL_TITLE, SOURCE_SUFFIX
from molkit.reports.paper_tables import NAMES, run_tables
from molkit.reports.tables import export_table
from molkit.reports.verdict import Claim
from molkit.run.configs import attribution_config_from_profile, loso_config_from_profile
from molkit.run.context import NotebookRun
from molkit.synthetic import SynthConfig, generate, has_ground_truth
from molkit.synthetic.twin import TwinConfig, generate_twin, holds_twin
from molkit.train.checkpoint import load_checkpoint
from molkit.train.loso import METHODS, LosoConfig, LosoResult, images_record, load_loso, run_loso
from molkit.train.recipes import RECIPES, prep_changes
from molkit.train.trainer import CHECKPOINT, LOG, read_log

TWINS_BY_CLASSES = {"5": "casme2", "3": "composite", "composite": "composite"}
CLASS_SET_TITLES = {"5": "CASME II in five classes", "3": "three classes", "composite": "MEGC 2019 composite"}
BASELINES = ("ststnet", "linear", "lbptop")  # notebook 02's, on every fold
# the real composite's public onset->apex images (molkit.data.flow_images): what the numbers are
# on, the baselines of MOL's comparison table that they can train (the profile's
# ``real_baselines`` run), and the STSTNet authors' own weights on them, as their README reports
REAL_TIER = "real MEGC 2019 composite (public onset->apex images)"
REAL_BASELINES = ("ststnet", "offapexnet", "linear")
REAL_KEY = "real_loso_dirs"  # notebook 02 hands its runs on the real images to notebook 05 under it
AUTHORS_WEIGHTS = {
    "method": "STSTNet, the authors' weights (their README)",
    "Composite UF1": "0.7209",
    "Composite UAR": "0.725",
    "source": "github.com/christy1206/STSTNet, README (their 68 released fold weights on these images)",
}
MOL_NEEDS_FRAMES = (
    "MOL's row needs a licensed copy of the datasets (CASME II, SAMM, SMIC): it trains on the "
    "videos' frames, and the public images hold one onset->apex flow per sample (LBP-TOP's too)."
)


def extra_class_sets(run: NotebookRun) -> list[str]:
    """The class sets whose paper table the run adds from the baselines alone, each on its own
    twin (the profile's ``extra_classes``; only where the run generates the twin, and only those
    whose twin is not the run's own)."""
    if run.dataset != "twin" or run.data_root is not None:
        return []
    own = TWINS_BY_CLASSES[run.classes]
    return [c for c in run.profile.extra_classes if TWINS_BY_CLASSES[c] != own]


def handover_key(run: NotebookRun, name: str, classes: str | None = None) -> str:
    """The name a notebook remembers ``name`` (``cache``, ``data_root``...) under: plain for the
    run's class set, ``name_<classes>`` for an extra one (:func:`extra_class_sets`)."""
    return name if classes in (None, run.classes) else f"{name}_{classes}"


def data_source(run: NotebookRun, classes: str | None = None) -> tuple[str, Path]:
    """(reader, root) of the run's data in ``classes`` (default: the run's): the user's copy, or
    generated into the work folder at the profile's size and the run's seed: the easy tier (laid
    out like CASME II) or the twin (the composite's for classes "3" and "composite", CASME II's
    for "5"; an extra class set's in ``twin_<dataset>``; reused when the work folder already
    holds it)."""
    classes = classes or run.classes
    reader = {"synthetic": "casme2", "twin": TWINS_BY_CLASSES[classes]}.get(run.dataset, run.dataset)
    if run.data_root is not None:
        return reader, run.data_root
    p = run.profile
    if run.dataset == "twin":
        folder = "twin" if classes == run.classes else f"twin_{reader}"
        root, config = run.work / folder, TwinConfig(seed=run.seed)
        if not holds_twin(root, reader, config, subjects=p.twin_subjects):
            generate_twin(root, reader, config, subjects=p.twin_subjects, workers=p.workers)
        return reader, root
    config = SynthConfig(
        subjects=p.synthetic_subjects,
        samples_per_subject=p.synthetic_samples_per_subject,
        frames=p.synthetic_frames,
        seed=run.seed,
        difficulty=p.synthetic_difficulty,
    )
    return "casme2", generate(run.path("synthetic"), config, workers=p.workers)


def prep_epsilon(profile: Profile) -> float:
    """The TV-L1 stopping threshold a profile prepares with (:mod:`molkit.data.tvl1`)."""
    return tvl1.DRAFT_EPSILON if profile.draft_flows else tvl1.EPSILON


def prepare_data(run: NotebookRun, classes: str | None = None, *, progress: bool = True) -> PrepReport:
    """Read and prepare the run's data (in ``classes``, default the run's) into ``work/cache``
    (``work/cache_<classes>`` for an extra class set; reused when already there) and hand the
    reader, data root and cache on to the later notebooks (:func:`handover_key`)."""
    reader, root = data_source(run, classes)
    settings = PrepSettings(**prep_changes(run.profile.recipes[0]), tvl1_epsilon=prep_epsilon(run.profile))
    cache = run.path(handover_key(run, "cache", classes))
    report = prepare(reader, root, cache, settings, workers=run.profile.workers, progress=progress)
    run.remember(
        **{
            handover_key(run, name, classes): value
            for name, value in (("reader", reader), ("data_root", root), ("cache", report.cache_dir))
        }
    )
    return report


def loso_config(run: NotebookRun, recipe: str | None = None, **changes: Any) -> LosoConfig:
    """The LOSO run the profile describes (:func:`molkit.run.configs.loso_config_from_profile`),
    trained with ``recipe`` (default: the profile's), with the run's class set, protocol, seed and
    device, scored against the ground truth when the data has one. Its folds are
    :func:`molkit.run.configs.fold_choice`'s: MOL on the profile's named folds when it names some
    (``folds=N``: the first N of them), in the run's own class set; the baselines, and MOL in an
    extra class set, on the profile's ``folds`` (``folds=N``: the first N). ``changes`` replace
    fields."""
    classes = changes.pop("classes", None) or run.classes
    base = loso_config_from_profile(
        run.profile,
        classes=classes,
        recipe=recipe or run.profile.recipes[0],
        own_data=classes == run.classes,
        protocol=run.protocol,
        **{k: changes.pop(k) for k in ("method", "folds") if k in changes},
    )
    return base.replace(
        train=base.train.replace(seed=run.seed, device=run.device),
        data_seed=run.seed,
        truth=has_ground_truth(run.recall(handover_key(run, "data_root", classes))),
    ).replace(**changes)


def mol_recipes(run: NotebookRun, classes: str | None = None) -> tuple[str, ...]:
    """MOL's recipes that notebook 02 trains in ``classes`` (default: the run's): the profile's,
    in an extra class set only where the profile says so (``mol_in_extra_classes``)."""
    own = classes in (None, run.classes)
    return run.profile.recipes if own or run.profile.mol_in_extra_classes else ()


def recipes_not_run(run: NotebookRun, classes: str | None = None) -> list[str]:
    """MOL's recipes that the profile leaves out of notebook 02 in ``classes``, as the tables name
    them."""
    ran = mol_recipes(run, classes)
    return [f"MOL ({recipe} recipe)" for recipe in RECIPES if recipe not in ran]


def loso_folder(run: NotebookRun, kind: str, name: str, config: LosoConfig) -> Path:
    """``work/<kind>/<name>-<config hash>``: one folder per configuration, so that a rerun with
    the same configuration reuses its finished folds and a changed one starts afresh."""
    key = hashlib.sha256(config.to_json().encode()).hexdigest()[:8]
    return run.path(kind, f"{name}-{key}")


def fold_executor(run: NotebookRun) -> dict[str, Any]:
    """How to run independent folds: side by side in the profile's ``fold_workers`` processes
    (one thread each) on a CPU, else one after another in this process."""
    workers = run.profile.fold_workers
    if run.torch_device.type == "cpu" and workers > 1:
        return {"executor": "processes", "workers": workers}
    return {"executor": "inprocess"}


def run_method(run: NotebookRun, config: LosoConfig, *, progress: bool = True) -> tuple[LosoResult, Path]:
    """A LOSO run of ``config`` (MOL or a baseline) in its own folder (:func:`loso_folder`: MOL's
    is ``work/loso/main-<protocol>-<hash>``), its tables saved beside its folds; MOL's folds run
    as :func:`fold_executor` says."""
    name = "main" if config.method == "mol" else config.method
    folder = loso_folder(run, "loso", f"{name}-{config.protocol}", config)
    executor = fold_executor(run) if config.method == "mol" else {}
    cache = run.recall(handover_key(run, "cache", config.classes))
    result = run_loso(config, cache, folder, progress=progress, **executor)
    result.save(folder)
    return result, folder


def run_mol(
    run: NotebookRun, classes: str | None = None, *, progress: bool = True
) -> list[tuple[LosoResult, Path]]:
    """MOL's LOSO runs in ``classes`` (default: the run's), one per recipe of :func:`mol_recipes`,
    the main recipe's first."""
    return [
        run_method(run, loso_config(run, recipe=r, classes=classes), progress=progress)
        for r in mol_recipes(run, classes)
    ]


def run_baselines(
    run: NotebookRun, classes: str | None = None, *, progress: bool = True
) -> list[tuple[LosoResult, Path]]:
    """The baselines (:data:`BASELINES`) on every fold of the run's data in ``classes`` (default:
    the run's); none when no video has a usable onset and apex (notebook 01's problems table
    names them)."""
    if not read_videos(run.recall(handover_key(run, "cache", classes))).apex_flow.any():
        return []
    return [
        run_method(run, loso_config(run, method=m, classes=classes), progress=progress) for m in BASELINES
    ]


def export_results(run: NotebookRun, classes: str | None = None) -> dict[str, tuple[pd.DataFrame, str]]:
    """The paper-shaped tables (:func:`molkit.reports.paper_tables.run_tables`) of the LOSO runs
    notebook 02 remembered in ``classes`` (default: the run's), exported to ``work/tables/``
    (``results``, ``results_named_folds``; ``results_<classes>`` for an extra class set), each
    with its caption; keyed by their heading."""
    folders = run.recall(handover_key(run, "loso_dirs", classes))
    if not folders:
        return {}
    reader, root = (run.recall(handover_key(run, name, classes)) for name in ("reader", "data_root"))
    tables = run_tables(
        [load_loso(folder) for folder in folders],
        data_label(run, classes),
        read_dataset(reader, root).table,
        not_run=recipes_not_run(run, classes),
    )
    stem = handover_key(run, "results", classes)
    exported = {}
    for name, (table, caption) in tables.items():
        export_table(
            table,
            run.path("tables", stem if name == "all folds" else f"{stem}_named_folds"),
            digits=3,
            caption=caption,
        )
        heading = name if stem == "results" else f"{CLASS_SET_TITLES[classes]}, {name}"
        exported[heading] = (table, caption)
    return exported


def data_label(run: NotebookRun, classes: str | None = None) -> str:
    """What the numbers are on (in ``classes``, default the run's), starting with its tier:
    ``twin``, ``easy tier`` (with its difficulty) or the dataset's name for a real copy."""
    root = Path(run.recall(handover_key(run, "data_root", classes)))
    if not has_ground_truth(root):
        return run.dataset
    record = json.loads((root / TRUTH_DIR / CONFIG_FILE).read_text())
    if "twin" in record:
        each = " of each dataset" if record["twin"] == "composite" else ""
        part = f", first {record['subjects']} subjects{each}" if record["subjects"] else ""
        return f"twin of {record['twin']}{part}"
    difficulty = Fraction(record["difficulty"]).limit_denominator(12)  # 1/3, 1, 2
    return f"easy tier, difficulty {difficulty}"


def save_claim(run: NotebookRun, number: int, claim: Claim) -> Path:
    """Write the verdict on claim ``number`` (``molkit.reports.verdict.CLAIMS``) for the front page:
    ``<number>.txt`` (the sentence), ``<number>.csv`` (the numbers) and, for numbers not from this
    run, ``<number>.source.txt`` (where they come from; a stale one is removed). Returns the
    sentence's file."""
    stem = run.work / CLAIMS_FOLDER.relative_to("work") / str(number)
    atomic_write_text(stem.with_suffix(".csv"), claim.numbers.to_csv(index=False))
    source = stem.with_suffix(SOURCE_SUFFIX)
    if claim.source:
        atomic_write_text(source, claim.source + "\n")
    else:
        source.unlink(missing_ok=True)
    return atomic_write_text(stem.with_suffix(".txt"), claim.sentence + "\n")


def figure_path(run: NotebookRun, name: str) -> Path:
    """Where a front-page figure (``ablations``, ``pointing``...) goes: ``work/figures/NAME.png``."""
    return run.work / FIGURES_FOLDER.relative_to("work") / f"{name}.png"


def figure_source(run: NotebookRun, name: str, source: str) -> Path:
    """Say where a front-page figure that this run did not compute comes from (its caption
    quotes it)."""
    return atomic_write_text(figure_path(run, name).with_suffix(SOURCE_SUFFIX), source)


def training_logs(loso_dir: str | Path) -> pd.DataFrame:
    """The training steps of every fold of a LOSO folder, one row per logged step, with ``fold``
    (selection evaluations left out)."""
    frames = [
        pd.DataFrame(read_log(folder)).assign(fold=folder.name.removeprefix("fold_"))
        for folder in sorted(Path(loso_dir).glob("fold_*"))
        if (folder / LOG).is_file()
    ]
    logs = pd.concat(frames, ignore_index=True)
    return logs[logs["event"].isna()] if "event" in logs else logs


def held_out_example(run: NotebookRun, loso_dir: str | Path, fold: int = 0) -> dict[str, Any]:
    """The clip that moves most among the test clips of a finished fold, as numpy arrays, with
    what that fold's model (which never saw the subject) predicts for it."""
    model, record = load_checkpoint(finished_folds(loso_dir)[fold] / CHECKPOINT, run.torch_device)
    truth = has_ground_truth(run.recall("data_root"))
    clips = ClipDataset(
        run.recall("cache"),
        subjects=[record["test_subject"]],
        train=False,
        classes=run.classes,
        with_truth=truth,
    )
    item = max((clips[i] for i in range(len(clips))), key=lambda it: float(it["flow"].abs().mean()))
    with torch.no_grad():
        output = model(model_input(default_collate([item]), model.config).to(run.torch_device))
    example = {
        "subject": record["test_subject"],
        "video_id": item["video_id"],
        "label": clips.classes[int(item["label"])],
        "predicted": clips.classes[int(output.logits.argmax())],
        "frames": item["clip"][0].numpy(),
        "tvl1_flow": item["flow"].permute(0, 2, 3, 1).numpy(),
        "dlib_landmarks": item["landmarks"].numpy(),
    }
    if output.flow is not None:
        example["predicted_flow"] = output.flow[0].float().cpu().permute(0, 2, 3, 1).numpy()
    if output.landmarks is not None:
        example["predicted_landmarks"] = output.landmarks[0].float().cpu().numpy()
    if truth:
        example["true_flow"] = item["true_flow"].permute(0, 2, 3, 1).numpy()
        example["true_landmarks"] = item["true_landmarks"].numpy()
    return example


def finished_folds(loso_dir: str | Path) -> list[Path]:
    """The fold folders of a LOSO run that hold a checkpoint, in order."""
    return sorted(f for f in Path(loso_dir).glob("fold_*") if (f / CHECKPOINT).is_file())


def held_out_attribution(run: NotebookRun, loso_dir: str | Path, method: str = "ig") -> pd.DataFrame:
    """Region scores of ``method`` for the test clips (first clip of each video, at most the
    profile's ``attribution_samples``) of the first fold, attributed by that fold's model, with
    the regions drawn from dlib's landmarks: the region analysis for data without ground truth."""
    model, record = load_checkpoint(finished_folds(loso_dir)[0] / CHECKPOINT, run.torch_device)
    clips = ClipDataset(
        run.recall("cache"),
        subjects=[record["test_subject"]],
        train=False,
        classes=run.classes,
        with_truth=model.config.motion == "truth",
    )
    rows = clips.table.index[clips.table.clip_index == 0][: run.profile.attribution_samples]
    items = [clips[int(i)] for i in rows]
    batch = default_collate(items)
    landmarks, target = batch["landmarks"].float(), batch["label"]
    attributions = attribute(
        model,
        model_input(batch, model.config),
        target,
        method,
        landmarks,
        attribution_config_from_profile(run.profile),
    )
    return region_scores(
        attributions,
        landmarks,
        samples=[item["video_id"] for item in items],
        labels=[clips.classes[int(t)] for t in target],
    )


def no_real_images_line() -> str:
    """The one line a run without the real composite's public images says in their place."""
    return (
        "Not in this run: give molkit reproduce --flow-images DIR (or set "
        f"${FLOW_IMAGES_ENV}) to train the baselines on the real composite; the images are "
        f"{FLOW_IMAGES_SOURCE}."
    )


def real_images(run: NotebookRun) -> FlowImages | None:
    """The real MEGC 2019 composite's public onset->apex images of the run (``run.flow_images``:
    the notebooks' ``flow_images``, else ``$MOLKIT_FLOW_IMAGES``), read and matched to the
    official list; None when the run has none."""
    return read_flow_images(run.flow_images) if run.flow_images is not None else None


def describe_real(images: FlowImages | None) -> str:
    """What was read: images per dataset and subjects, then the problems grouped by kind (or,
    without images, :func:`no_real_images_line`)."""
    if images is None:
        return no_real_images_line()
    counts = images.table.groupby("dataset").size()
    lines = [
        f"{len(images)} onset->apex images ({images.layout} layout) of {len(images.subjects)} "
        "subjects: " + ", ".join(f"{NAMES[d]} {n}" for d, n in counts.items()),
        f"{len(images.problems)} problems, by kind:" if images.problems else "no problems",
        *summary_lines(images.problems),
    ]
    return "\n".join(lines)


def real_loso_config(run: NotebookRun, method: str) -> LosoConfig:
    """A baseline on the real images: the profile's settings, the composite's classes, the run's
    protocol, seed and device, every subject's fold."""
    base = loso_config_from_profile(
        run.profile, classes="composite", protocol=run.protocol, method=method, folds=None
    )
    return base.replace(
        train=base.train.replace(seed=run.seed, device=run.device), data_seed=run.seed, truth=False
    )


def run_real_baselines(
    run: NotebookRun, images: FlowImages | None, *, progress: bool = True
) -> list[tuple[LosoResult, Path]]:
    """The profile's ``real_baselines`` under LOSO over every subject of the real images, each in
    ``work/loso_real/<method>-<protocol>-<hash>`` (the hash covers the configuration and the
    images read, so a rerun reuses finished folds), with its tables saved; handed on to notebook
    05 (:data:`REAL_KEY`; none without images). Folds run side by side as :func:`fold_executor`
    says (each on one thread; the linear model's fit on one BLAS thread too:
    :mod:`molkit.baselines.linear`)."""
    runs = []
    for method in run.profile.real_baselines if images is not None else ():
        config = real_loso_config(run, method)
        record = json.dumps(images_record(images), sort_keys=True)
        key = hashlib.sha256((config.to_json() + record).encode()).hexdigest()[:8]
        folder = run.path("loso_real", f"{method}-{config.protocol}-{key}")
        result = run_loso(config, images, folder, progress=progress, **fold_executor(run))
        result.save(folder)
        runs.append((result, folder))
    run.remember(**{REAL_KEY: [str(folder) for _, folder in runs]})
    return runs


def real_result_line(result: LosoResult) -> str:
    """One line per run on the real images: its label, pooled per-video UF1 and UAR, videos and
    subjects."""
    video = result.summary.set_index("level").loc["video"]
    subjects = result.videos.subject.nunique()
    return (
        f"{result.label} | seed {result.config.train.seed}: UF1 {video['uf1']:.3f}, "
        f"UAR {video['uar']:.3f} over {int(video['n'])} videos of {subjects} subjects"
    )


def export_real_results(run: NotebookRun) -> dict[str, tuple[pd.DataFrame, str]]:
    """The paper-shaped table of notebook 02's runs on the real images
    (:func:`run_real_baselines`) beside the references, the published rows and the STSTNet
    authors' weights (:data:`AUTHORS_WEIGHTS`), exported to ``work/tables/results_real``; its
    caption names the tier, protocol, profile, seed, the baselines not run and what MOL's row
    needs (:data:`MOL_NEEDS_FRAMES`). Without runs, ``work/front/real.txt`` holds
    :func:`no_real_images_line` for the front page instead, and nothing is returned."""
    folders = run.recall(REAL_KEY, [])
    stem = run.path("tables", "results_real")
    note = run.work / REAL_NOTE.relative_to("work")
    if not folders:
        for old in stem.parent.glob(f"{stem.name}.*"):
            old.unlink()
        atomic_write_text(note, no_real_images_line() + "\n")
        return {}
    note.unlink(missing_ok=True)
    results = [load_loso(folder) for folder in folders]
    ran = {r.config.method for r in results}
    tables = run_tables(
        results,
        REAL_TIER,
        None,
        not_run=[METHODS[m] for m in REAL_BASELINES if m not in ran],
        published=[AUTHORS_WEIGHTS],
    )
    table, caption = tables["all folds"]
    subjects = max(r.videos.subject.nunique() for r in results)
    seeds = sorted({r.config.train.seed for r in results})
    caption = (
        f"{caption} Seed {', '.join(map(str, seeds))}; LOSO over the {subjects} subjects of the "
        f"images. {MOL_NEEDS_FRAMES}"
    )
    export_table(table, stem, digits=3, caption=caption)
    return {REAL_TITLE: (table, caption)}
