"""The MEGC 2019 twin: a synthetic copy of CASME II, SAMM and SMIC-HS, sample for sample from
the owners' coding sheets (:mod:`.twin_table`), laid out like the real copies (:mod:`.layout`).

Each sample keeps its subject, sample name, emotion, coded action units (:mod:`.codes`: laterality,
intensity) and onset/apex/offset frame numbers at the dataset's frame rate; each real subject gets
one synthetic identity, at the dataset's face size. Only the frames the methods read are rendered
(``TwinConfig.frames``, 8 by default: the onset, the apex, the offset and frames evenly between, at
their real frame numbers; ``TwinConfig.frame_spacing`` ``"apex-halves"``: half of them from onset to
apex, half from apex to offset), so a folder's frame numbers have gaps that the readers name. Nuisances
are :class:`TwinConfig` fields, each with its source or reason.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import shutil
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
import threadpoolctl

from molkit.config import Config
from molkit.data.manifest import DATASETS
from molkit.data.problems import KEPT, Problem, write_problems
from molkit.data.truth import CONFIG_FILE, TRUTH_DIR, Motion, has_ground_truth
from molkit.synthetic.action_units import (
    ACTION_UNITS,
    Bump,
    FaceGeometry,
    blink_bumps,
    eye_opening,
    regions_of,
)
from molkit.synthetic.codes import ASYMMETRIC_WEAK_SIDE, INTENSITY, Code, parse_codes
from molkit.synthetic.faces import EXTENT_PX, Face, face_width, make_subject, source_faces
from molkit.synthetic.generate import _streams
from molkit.synthetic.layout import LAYOUTS
from molkit.synthetic.motion import assemble, curve_at, grown_radii, head_track
from molkit.synthetic.render import render_frame
from molkit.synthetic.truth import save_sample_truth, write_atomic
from molkit.synthetic.twin_table import twin_info, twin_samples

TWINS = (*DATASETS, "composite")
COMPOSITE_FOLDERS = {"casme2": "CASME2", "samm": "SAMM", "smic": "SMIC"}
PROBLEMS_FILE = "twin_problems.csv"
MAX_APEX_CROP_PX = 6.0  # as the easy tier: larger movements would cover most of the face
_UNSIDED = {"L": "left", "R": "right", "T": "bottom", "B": "top"}  # the bumps a code leaves out
FRAME_SPACINGS = ("even", "apex-halves")  # TwinConfig.frame_spacing


@dataclasses.dataclass
class TwinConfig(Config):
    """What the twin draws. Movement sizes are in pixels of the aligned 128 px face crop (what
    the methods see), so they mean the same at every dataset's face size.

    - ``amplitude_px``: apex displacement range of an unmarked action-unit code (FACS intensity
      letters scale it, :data:`molkit.synthetic.codes.INTENSITY`); the easy tier's CASME II-like
      reading, 0.5-2 px.
    - ``amplitude_scale``: the one global knob, set once by calibration to 2.0: the kit's STSTNet
      then reaches UF1 0.817 on the composite twin's CASME II column (published on the real data:
      0.838; at 1.0 it reached 0.690); ``reports/benchmarks/twin.md``.
    - ``subject_intensity_sd``: each subject's own expressivity, a log-normal factor per subject
      (subjects differ; the kit's choice, 0.35: a factor of about 0.5 to 2 across subjects).
    - ``head_shift_px``/``head_rotation_deg``: residual head motion after per-video alignment,
      a 0.5-4 Hz drift (participants were asked to keep still; the kit's estimate).
    - ``blink_rate_per_min``: spontaneous blinks, 17 per minute at rest (Bentivoglio et al., Mov.
      Disord. 1997), each lasting ``blink_duration_s`` (100-400 ms); the lid travels 30-50% of the
      eye opening (the skin model cannot close an eye without folding).
    - ``illumination_drift``: a linear gain change over a clip, up to this fraction.
    - ``flicker``: frame-to-frame gain jitter; ``noise_std``: sensor noise in grey levels.
    - ``jpeg_quality``: compression of the JPEG datasets (CASME II, SAMM); SMIC-HS frames are BMP.
    - ``frames``: frames rendered per sample (at least 8, a clip).
    - ``frame_spacing``: where they are (:func:`frame_numbers`): ``"even"`` from onset to offset,
      or ``"apex-halves"``: half from onset to apex, half after it. Reason: a clip of onset..apex
      alone (``PrepSettings.span`` ``"onset-apex"``) needs frames there; on the owners' sheets'
      timings, 16 frames ``"even"`` put fewer than 8 from onset to apex (both included) in 103 of
      the composite's 442 samples (median 8), ``"apex-halves"`` in 2 (onset..apex shorter than 8
      frames). Left out of ``to_dict`` (so of ``ground_truth/config.json``) at ``"even"``: earlier
      twins stay as written.
    - ``au_extent``: multiplies every action unit's patch of skin (its bumps' half-axes, before
      they grow with the movement's size). Measured reason: on the real composite's public images
      the class means are broad bands and arcs where the twin's are compact spots
      (``reports/benchmarks/twin_real.png``). The real-data calibration's trials
      (``twin_calibration_real.md``) move this and the nuisance fields above with ``molkit synth
      --twin-set KEY=VALUE``; the defaults stay those of ``twin_real.md`` unless the held-out check
      meets its targets.
    """

    seed: int = 0
    amplitude_px: tuple[float, float] = (0.5, 2.0)
    amplitude_scale: float = 2.0  # calibrated (reports/benchmarks/twin.md)
    subject_intensity_sd: float = 0.35
    head_shift_px: float = 0.5
    head_rotation_deg: float = 0.3
    blink_rate_per_min: float = 17.0
    blink_duration_s: tuple[float, float] = (0.1, 0.4)
    illumination_drift: float = 0.02
    flicker: float = 0.005
    noise_std: float = 2.0
    jpeg_quality: int = 90
    frames: int = 8
    frame_spacing: str = "even"
    au_extent: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """The fields, ``frame_spacing`` only where it is not ``"even"``."""
        plain = super().to_dict()
        if self.frame_spacing == FRAME_SPACINGS[0]:
            del plain["frame_spacing"]
        return plain

    def validate(self) -> None:
        if self.au_extent <= 0:
            raise ValueError(f"TwinConfig: au_extent must be positive (got {self.au_extent})")
        if self.frames < 8:
            raise ValueError(f"TwinConfig: frames must be at least 8, a clip (got {self.frames})")
        if self.frame_spacing not in FRAME_SPACINGS:
            raise ValueError(
                f"TwinConfig: frame_spacing must be one of {FRAME_SPACINGS} (got {self.frame_spacing!r})"
            )
        if not 0 < self.amplitude_px[0] <= self.amplitude_px[1] or self.amplitude_scale <= 0:
            raise ValueError(
                f"TwinConfig: amplitude_px must be 0 < low <= high and amplitude_scale positive "
                f"(got {self.amplitude_px}, {self.amplitude_scale})"
            )


@dataclasses.dataclass
class TwinReport:
    """What :func:`generate_twin` wrote."""

    root: Path
    name: str
    samples: int
    subjects: int
    problems: list[Problem]
    seconds: float
    kept: int = 0  # samples an interrupted run of this very twin had finished

    def summary(self) -> str:
        kept = f" ({self.kept} kept from an earlier run)" if self.kept else ""
        return (
            f"{self.root}: {self.name} twin, {self.samples} samples{kept} of {self.subjects} subjects, "
            f"{len(self.problems)} problems ({PROBLEMS_FILE}) in {self.seconds:.1f} s"
        )


def frame_numbers(onset: int, apex: int, offset: int, count: int, *, spacing: str = "even") -> list[int]:
    """``count`` frame numbers from ``onset`` to ``offset`` (widened to ``count`` frames when
    shorter), evenly spaced, the one nearest the apex moved onto it. ``spacing="apex-halves"``:
    ``count // 2`` evenly from onset to apex (fewer where onset..apex holds fewer frames), the
    rest evenly after the apex to the offset (widened so that there are ``count`` in all)."""
    if spacing == "apex-halves":
        rising = sorted({int(round(x)) for x in np.linspace(onset, apex, count // 2)})
        falling = count - len(rising)
        offset = max(offset, apex + falling)
        return rising + [int(round(x)) for x in np.linspace(apex, offset, falling + 1)[1:]]
    offset = max(offset, onset + count - 1)
    numbers = [int(round(x)) for x in np.linspace(onset, offset, count)]
    nearest = int(np.argmin([abs(n - apex) for n in numbers[1:]])) + 1 if apex != onset else 0
    numbers[nearest] = apex
    return sorted(set(numbers))


def _timing(row: dict, rng: np.random.Generator, where: str, problems: list[Problem]) -> tuple[int, int, int]:
    """Onset, apex and offset frame numbers; what the sheet lacks or holds out of order is drawn
    or mended, and named."""
    dataset, video_id = row["dataset"], f"{row['dataset']}/{row['subject']}/{row['sample']}"
    onset, apex, offset = (None if pd.isna(row[c]) else int(row[c]) for c in ("onset", "apex", "offset"))
    fps = int(row["fps"])

    def said(message: str) -> None:
        problems.append(Problem(dataset, video_id, "twin_timing", where, message, KEPT))

    if onset is None or offset is None or offset <= onset:
        duration = int(round(rng.uniform(0.2, 0.5) * fps))
        onset = onset if onset is not None else 1
        offset = onset + duration
        said(f"no usable onset/offset; drawn: {onset}..{offset}")
    if apex is None or not onset <= apex <= offset:
        why = "not coded" if apex is None else f"{apex} outside onset..offset {onset}..{offset}"
        apex = (onset + offset) // 2
        if dataset != "smic":  # SMIC codes no apex: its middle frame is the convention, not a problem
            said(f"apex {why}; the twin's apex is the middle frame {apex}")
    return onset, apex, offset


def _smic_codes() -> dict[str, list[str]]:
    """Action-unit fields of the shipped CASME II and SAMM composite samples per composite label:
    what an SMIC sample's code is drawn from."""
    composite, _ = twin_samples("composite")
    coded = composite[(composite.dataset != "smic") & composite.action_units.notna()]
    return {label: list(part.action_units) for label, part in coded.groupby("label_composite")}


def _specs(
    name: str,
    table: pd.DataFrame,
    config: TwinConfig,
    subjects: int | None,
    datasets: tuple[str, ...],
    problems: list[Problem],
) -> list[dict]:
    """One rendering spec per sample: where it goes, its timing, codes, seeds."""
    drawn_codes = _smic_codes()
    specs = []
    for dataset in datasets:
        part = table[table.dataset == dataset]
        order = list(dict.fromkeys(part.subject))
        keep = set(order[:subjects] if subjects else order)
        layout = LAYOUTS[dataset]
        for k, row in enumerate(part.to_dict("records")):
            if row["subject"] not in keep:
                continue
            subject_index, sample_index = order.index(row["subject"]), k
            class_rng = _streams(config.seed, DATASETS.index(dataset), subject_index, sample_index)[0]
            emotion = row.get("label_composite") if dataset == "smic" else row["emotion"]
            emotion = emotion or row["emotion"]
            folder = layout.folder(row["subject"], row["sample"], emotion)
            prefix = f"{COMPOSITE_FOLDERS[dataset]}/" if name == "composite" else ""
            where = f"twin_samples.csv {dataset}/{row['subject']}/{row['sample']}"
            onset, apex, offset = _timing(row, class_rng, where, problems)
            field = row["action_units"]
            if dataset == "smic":
                pool = drawn_codes[emotion]
                field = pool[int(class_rng.integers(len(pool)))]
            codes, notes = parse_codes(None if pd.isna(field) else field)
            video_id = f"{dataset}/{row['subject']}/{row['sample']}"
            problems += [Problem(dataset, video_id, "twin_action_units", where, note, KEPT) for note in notes]
            specs.append(
                {
                    "dataset": dataset,
                    "subject": row["subject"],
                    "sample": row["sample"],
                    "emotion": emotion,
                    "label_composite": row.get("label_composite"),
                    "action_units": field if not pd.isna(field) else "",
                    "codes": codes,
                    "onset": onset,
                    "apex": apex,
                    "offset": offset,
                    "fps": int(row["fps"]),
                    "numbers": frame_numbers(
                        onset, apex, offset, config.frames, spacing=config.frame_spacing
                    ),
                    "folder": prefix + folder,
                    "copy": prefix,
                    "seeds": (DATASETS.index(dataset), subject_index, sample_index),
                }
            )
    return specs


def _canvas(dataset: str) -> tuple[int, int, float]:
    """Frame height and width around a face of the dataset's size, and the feature extent that
    gives a face that wide (the frames are the face's surroundings, not the camera's whole frame)."""
    face_w, face_h = twin_info()["capture"][dataset]["face"]
    ratio = np.mean([face_width(f.landmarks) for f in source_faces()]) / EXTENT_PX
    return int(round(1.6 * face_h)), int(round(1.6 * face_w)), face_w / ratio


def subject_face(config: TwinConfig, dataset: str, subject_index: int) -> Face:
    """The synthetic identity standing for one real subject."""
    height, width, extent = _canvas(dataset)
    rng = _streams(config.seed, DATASETS.index(dataset), subject_index)[0]
    return make_subject(rng, height, width, extent=extent)


def _subject_factor(config: TwinConfig, dataset: str, subject_index: int) -> float:
    rng = _streams(config.seed, DATASETS.index(dataset), subject_index)[1]
    return float(np.exp(rng.normal(0.0, config.subject_intensity_sd)))


def code_bumps(
    geometry: FaceGeometry, codes: tuple[Code, ...], rng: np.random.Generator
) -> tuple[list[Bump], list[float]]:
    """The bumps the codes move and each one's size factor (intensity; an asymmetric code's
    weaker side, drawn)."""
    bumps, factors = [], []
    for code in codes:
        weak = ("left", "right")[int(rng.integers(2))] if code.side == "A" else None
        for bump in ACTION_UNITS[code.au].place(geometry):
            if code.side in _UNSIDED and bump.part == _UNSIDED[code.side]:
                continue
            bumps.append(bump)
            factors.append(INTENSITY[code.intensity] * (ASYMMETRIC_WEAK_SIDE if bump.part == weak else 1.0))
    return bumps, factors


def frame_times(spec: dict) -> np.ndarray:
    """Seconds of the sample's rendered frames from its first one."""
    return (np.array(spec["numbers"], np.float64) - spec["numbers"][0]) / spec["fps"]


def plan_twin_motion(spec: dict, face: Face, config: TwinConfig, subject_factor: float) -> Motion:
    """The sample's motion at its rendered frames' times."""
    class_rng, nuisance_rng, _, _ = _streams(config.seed, *spec["seeds"])
    geometry = FaceGeometry(face.landmarks.astype(np.float64))
    times = frame_times(spec)
    onset, apex, offset = ((spec[k] - spec["numbers"][0]) / spec["fps"] for k in ("onset", "apex", "offset"))
    low, high = config.amplitude_px
    peak = min(class_rng.uniform(low, high) * config.amplitude_scale * subject_factor, MAX_APEX_CROP_PX)
    bumps, factors = code_bumps(geometry, spec["codes"], class_rng)
    jitter = class_rng.uniform(0.85, 1.15, len(bumps))
    vectors = np.array([b.vector * peak * face.crop_scale * f * j for b, f, j in zip(bumps, factors, jitter)])
    curve = curve_at(times, onset, apex, offset)

    blinks = blink_bumps(geometry)
    travel = nuisance_rng.uniform(0.3, 0.5) * eye_opening(geometry)
    duration = nuisance_rng.uniform(*config.blink_duration_s)
    span = times[-1] + duration
    blinking = nuisance_rng.random() < 1.0 - np.exp(-config.blink_rate_per_min / 60.0 * span)
    start = nuisance_rng.uniform(-duration, times[-1])
    blink = curve_at(times, start, start + duration / 2, start + duration) * blinking
    blink_arrays = (
        np.array([b.centre for b in blinks]),
        np.array([b.radii for b in blinks]),
        np.array([b.vector * travel * blinking for b in blinks]),
    )
    centres = np.array([b.centre for b in bumps]).reshape(-1, 2)
    radii = (
        grown_radii(
            centres,
            np.array([b.radii for b in bumps]).reshape(-1, 2) * config.au_extent,
            vectors.reshape(-1, 2),
            blink_arrays,
        )
        if bumps
        else centres
    )
    head = head_track(nuisance_rng, times, config.head_shift_px * face.crop_scale, config.head_rotation_deg)
    return assemble(
        geometry,
        (centres, radii, vectors.reshape(-1, 2), np.repeat(curve[:, None], len(bumps), axis=1)),
        (blink_arrays[0], blink_arrays[1], np.array([b.vector * travel for b in blinks]), blink),
        head,
        f"{spec['dataset']}/{spec['subject']}/{spec['sample']} ({peak:.2f} px)",
    )


def _gains(rng: np.random.Generator, times: np.ndarray, config: TwinConfig) -> np.ndarray:
    """Per-frame brightness gains: a linear drift over the clip plus jitter around 1."""
    ramp = times / max(float(times[-1]), 1e-9)
    return (
        1.0
        + rng.uniform(-1, 1) * config.illumination_drift * ramp
        + config.flicker * rng.normal(0, 1, len(times))
    )


def _encode(image: np.ndarray, dataset: str, quality: int) -> bytes:
    capture = twin_info()["capture"][dataset]
    if not capture["colour"]:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    elif image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if capture["format"] == "jpg" else []
    ok, data = cv2.imencode(f".{capture['format']}", image, params)
    if not ok:
        raise RuntimeError("OpenCV could not encode a frame")
    return data.tobytes()


def _render_subject(root: Path, config: TwinConfig, specs: list[dict]) -> None:
    """Write the frames and ground truth of one subject's samples, with one BLAS thread: its
    matrix products are small, and the bytes are the same with any number of threads."""
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        _render_samples(root, config, specs)


def _render_samples(root: Path, config: TwinConfig, specs: list[dict]) -> None:
    dataset, subject_index = specs[0]["dataset"], specs[0]["seeds"][1]
    face = subject_face(config, dataset, subject_index)
    factor = _subject_factor(config, dataset, subject_index)
    layout = LAYOUTS[dataset]
    for spec in specs:
        motion = plan_twin_motion(spec, face, config, factor)
        _, _, photometry_rng, noise_rng = _streams(config.seed, *spec["seeds"])
        times = frame_times(spec)
        gains = _gains(photometry_rng, times, config)
        for t, number in enumerate(spec["numbers"]):
            frame = render_frame(face.image, motion, t, gains[t], config.noise_std, noise_rng)
            name = layout.frame_name(spec["subject"], number)
            write_atomic(root / spec["folder"] / name, _encode(frame, dataset, config.jpeg_quality))
        landmarks = np.stack(
            [motion.forward(t, face.landmarks.astype(np.float64)) for t in range(len(times))]
        )
        aus = tuple(dict.fromkeys(c.au for c in spec["codes"]))
        numbers = spec["numbers"]
        description = {
            "emotion": spec["emotion"],
            "three_class": spec["label_composite"],
            "action_units": [c.text for c in spec["codes"]],
            "regions": regions_of(aus),
            "onset": numbers.index(spec["onset"]) if spec["onset"] in numbers else 0,
            "apex": numbers.index(spec["apex"]),
            "offset": numbers.index(spec["offset"]) if spec["offset"] in numbers else len(numbers) - 1,
        }
        height, width = face.image.shape[:2]
        save_sample_truth(
            root, spec["folder"], motion, landmarks, motion.class_support(height, width), description
        )


def _finished(out: Path, record: str, specs: list[dict]) -> set[str]:
    """The samples an earlier run of this very twin (same ``config.json``) wrote whole in ``out``:
    a sample's ground truth is written after its frames."""
    if not _recorded(out, record):
        return set()
    return {s["folder"] for s in specs if (out / TRUTH_DIR / f"{s['folder']}.npz").is_file()}


def _clear(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not has_ground_truth(out):
            raise FileExistsError(f"{out}: not empty and not a synthetic set; choose an empty folder")
        for path in out.iterdir():
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def generate_twin(
    out_dir: str | Path,
    name: str,
    config: TwinConfig | None = None,
    *,
    subjects: int | None = None,
    datasets: tuple[str, ...] | None = None,
    sheets: str | Path | None = None,
    workers: int = 0,
) -> TwinReport:
    """Write the ``name`` twin (``casme2``, ``samm``, ``smic`` or ``composite``) into ``out_dir``.

    A dataset's twin is laid out as its real copy (sheet and folders); the composite twin holds
    the MEGC 2019 list's 442 samples in ``CASME2/``, ``SAMM/`` and ``SMIC/``. Ground truth goes
    to ``out_dir/ground_truth/`` (keyed by the folder a reader reports), the problems found to
    ``ground_truth/twin_problems.csv``. ``subjects`` keeps the first N subjects of each dataset;
    ``datasets`` keeps only these datasets' samples (a composite's CASME II part, for instance);
    ``sheets`` builds it from a folder holding the owners' sheets instead of the shipped table.
    An interrupted run resumes: where ``out_dir`` holds this very twin's ``config.json``, the
    samples whose ground truth is written are kept and only the rest are rendered (the same bytes
    as one uninterrupted run)."""
    start = time.perf_counter()
    if name not in TWINS:
        raise ValueError(f"unknown twin {name!r}; choose one of {list(TWINS)}")
    config = config or TwinConfig()
    config.validate()
    datasets = tuple(datasets or DATASETS)
    if unknown := sorted(set(datasets) - set(DATASETS)):
        raise ValueError(f"datasets: unknown {unknown}; choose from {list(DATASETS)}")
    table, problems = twin_samples(name, sheets)
    specs = _specs(name, table, config, subjects, datasets, problems)
    if not specs:
        raise ValueError(f"the {name} twin holds no sample of {', '.join(datasets)}")
    out = Path(out_dir)
    record = twin_record(name, config, subjects, datasets)
    if not (kept := _finished(out, record, specs)):
        _clear(out)
        write_atomic(out / TRUTH_DIR / CONFIG_FILE, record.encode())
    groups: dict[tuple, list[dict]] = {}
    for spec in specs:
        groups.setdefault((spec["dataset"], spec["subject"]), []).append(spec)
    jobs = [job for group in groups.values() if (job := [s for s in group if s["folder"] not in kept])]
    workers = min(workers or os.cpu_count() or 1, max(len(jobs), 1))
    if workers == 1:
        for job in jobs:
            _render_subject(out, config, job)
    else:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            list(pool.map(_render_subject, [out] * len(jobs), [config] * len(jobs), jobs))
    for (dataset, copy), part in pd.DataFrame(specs).groupby(["dataset", "copy"], sort=False):
        LAYOUTS[dataset].write_sheet(out / copy, [specs[i] for i in part.index])
    write_problems(problems, out / TRUTH_DIR / PROBLEMS_FILE)
    seconds = time.perf_counter() - start
    return TwinReport(out, name, len(specs), len(groups), problems, seconds, kept=len(kept))


def twin_record(
    name: str, config: TwinConfig, subjects: int | None, datasets: tuple[str, ...] = DATASETS
) -> str:
    """What ``ground_truth/config.json`` holds for a twin: its name, subjects and datasets kept,
    and config."""
    record = {"twin": name, "subjects": subjects, "datasets": list(datasets), **config.to_dict()}
    return pd.Series(record).to_json(indent=1)


def holds_twin(
    root: str | Path,
    name: str,
    config: TwinConfig,
    *,
    subjects: int | None = None,
    datasets: tuple[str, ...] = DATASETS,
) -> bool:
    """Whether ``root`` holds this very twin, complete (its problems table is written last)."""
    root = Path(root)
    return (root / TRUTH_DIR / PROBLEMS_FILE).is_file() and _recorded(
        root, twin_record(name, config, subjects, datasets)
    )


def _recorded(root: Path, record: str) -> bool:
    """Whether ``root``'s ``config.json`` is ``record`` (:func:`twin_record`)."""
    config = root / TRUTH_DIR / CONFIG_FILE
    return config.is_file() and config.read_text() == record
