"""Write a synthetic micro-expression set laid out like CASME II, with its ground truth."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import shutil
from pathlib import Path

import numpy as np
import threadpoolctl

from molkit.config import Config
from molkit.data.truth import CONFIG_FILE, TRUTH_DIR, has_ground_truth
from molkit.synthetic.action_units import EMOTIONS, THREE_CLASS
from molkit.synthetic.faces import Face, make_subject
from molkit.synthetic.motion import Nuisances, draw_expression, plan_motion
from molkit.synthetic.render import encode_jpeg, flicker_gains, render_frame
from molkit.synthetic.sheet import SHEET_NAME, action_unit_field, write_coding_sheet
from molkit.synthetic.truth import save_sample_truth, write_atomic

MAX_APEX_PX = 6.0  # largest apex displacement (crop px) a set may ask for


@dataclasses.dataclass
class SynthConfig(Config):
    """Size, randomness and difficulty of a synthetic set.

    ``amplitude_px`` is the range of the largest skin displacement at the apex, in pixels of
    the aligned 128 px face crop, at difficulty 1 (the kit's reading of CASME II's subtle
    movements); ``difficulty`` divides it: 1/3 is obvious (1.5-6 px), 0.5 clear (1-4 px), 2 half
    as subtle again. Larger movements move larger patches of skin (see :mod:`.motion`); past
    ``MAX_APEX_PX`` they would cover most of the face, so that is refused. Every class has the same
    nuisances; set them to 0 for a clean set. Fields that :class:`~molkit.synthetic.twin.TwinConfig`
    also has (``amplitude_px``, ``head_shift_px``, ``head_rotation_deg``, ``flicker``,
    ``noise_std``, ``jpeg_quality``) mean the same there.
    """

    subjects: int = 12
    samples_per_subject: int = 10
    frames: int = 40
    seed: int = 0
    difficulty: float = 1.0
    height: int = 192
    width: int = 160
    amplitude_px: tuple[float, float] = (0.5, 2.0)
    blink_probability: float = 0.5
    head_shift_px: float = 0.3
    head_rotation_deg: float = 0.15
    flicker: float = 0.01
    noise_std: float = 2.0
    jpeg_quality: int = 98

    def validate(self) -> None:
        problems = [
            f"{name} must be at least {low} (got {getattr(self, name)})"
            for name, low in (
                ("subjects", 1),
                ("samples_per_subject", 1),
                ("frames", 12),
                ("height", 64),
                ("width", 64),
            )
            if getattr(self, name) < low
        ]
        if self.difficulty <= 0:
            problems.append(f"difficulty must be positive (got {self.difficulty})")
        elif not 0 < self.amplitude_px[0] <= self.amplitude_px[1]:
            problems.append(f"amplitude_px must be 0 < low <= high (got {self.amplitude_px})")
        elif self.amplitude_px[1] / self.difficulty > MAX_APEX_PX + 1e-9:
            problems.append(
                f"amplitude_px {self.amplitude_px[1]} px / difficulty "
                f"{self.difficulty:g} exceeds {MAX_APEX_PX:g} px, where the action units "
                f"would cover most of the face (lowest difficulty: "
                f"{self.amplitude_px[1] / MAX_APEX_PX:.3g})"
            )
        if problems:
            raise ValueError("SynthConfig: " + "; ".join(problems))


@dataclasses.dataclass(frozen=True)
class _Task:
    subject: int  # 1-based
    sample: int  # 1-based
    emotion: str
    face: Face


def _streams(seed: int, *path: int) -> list[np.random.Generator]:
    """Four independent generators for one node of the seed tree."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence([seed, *path]).spawn(4)]


def sample_name(subject: int, sample: int) -> str:
    return f"sub{subject:02d}/EP{sample:02d}_01"


def _render_sample(root: Path, config: SynthConfig, task: _Task) -> tuple:
    """Write one sample's frames and ground truth; return its coding-sheet row. One BLAS thread:
    the motion's matrix products are small, and the bytes the same with any number of threads."""
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        return _render_frames(root, config, task)


def _render_frames(root: Path, config: SynthConfig, task: _Task) -> tuple:
    class_rng, nuisance_rng, photometry_rng, noise_rng = _streams(config.seed, task.subject, task.sample)
    low, high = config.amplitude_px
    peak_px = class_rng.uniform(low, high) / config.difficulty * task.face.crop_scale
    expression = draw_expression(class_rng, task.emotion, config.frames, peak_px)
    nuisances = Nuisances(config.blink_probability, config.head_shift_px, config.head_rotation_deg)
    motion = plan_motion(expression, task.face.landmarks, nuisances, class_rng, nuisance_rng)
    gains = flicker_gains(photometry_rng, config.frames, config.flicker)
    name = sample_name(task.subject, task.sample)
    for t in range(config.frames):
        frame = render_frame(task.face.image, motion, t, gains[t], config.noise_std, noise_rng)
        write_atomic(root / name / f"img{t + 1}.jpg", encode_jpeg(frame, config.jpeg_quality))
    landmarks = np.stack(
        [motion.forward(t, task.face.landmarks.astype(np.float64)) for t in range(config.frames)]
    )
    description = {
        "emotion": task.emotion,
        "three_class": THREE_CLASS.get(task.emotion),
        "action_units": expression.action_units,
        "regions": expression.regions,
        "onset": expression.onset,
        "apex": expression.apex,
        "offset": expression.offset,
    }
    save_sample_truth(
        root, name, motion, landmarks, motion.class_support(config.height, config.width), description
    )
    return (
        task.subject,
        name.split("/")[1],
        expression.onset + 1,
        expression.apex + 1,
        expression.offset + 1,
        action_unit_field(expression.action_units),
        task.emotion,
    )


def _tasks(config: SynthConfig) -> list[_Task]:
    """Subjects (faces) and the emotion of each sample: every class in turn, in a shuffled order."""
    tasks = []
    for subject in range(1, config.subjects + 1):
        face_rng, label_rng, _, _ = _streams(config.seed, subject)
        face = make_subject(face_rng, config.height, config.width)
        order = label_rng.permutation(len(EMOTIONS))
        tasks += [
            _Task(subject, k + 1, EMOTIONS[order[k % len(EMOTIONS)]], face)
            for k in range(config.samples_per_subject)
        ]
    return tasks


def _clear_previous(out: Path) -> None:
    """Empty a folder that holds an earlier synthetic set; refuse any other non-empty folder."""
    if not out.exists() or not any(out.iterdir()):
        return
    if not has_ground_truth(out):
        raise FileExistsError(f"{out}: not empty and not a synthetic set; choose an empty folder")
    for path in out.iterdir():
        if path.is_dir() and (path.name.startswith("sub") or path.name == TRUTH_DIR):
            shutil.rmtree(path)
        elif path.name == SHEET_NAME:
            path.unlink()


def generate(
    out_dir: str | Path, config: SynthConfig | None = None, *, workers: int = 0, **overrides
) -> Path:
    """Write the set into ``out_dir`` (replacing an earlier synthetic set there) and return it.

    ``out_dir/sub01/EP01_01/img1.jpg ...``, the coding sheet ``out_dir/CASME2-coding-synthetic.xlsx``
    and the ground truth under ``out_dir/ground_truth/``. ``workers`` processes render the samples
    (0: all cores, 1: this process). Same config, same bytes, whatever the number of workers.
    """
    config = (config or SynthConfig()).replace(**overrides)
    config.validate()
    if workers < 0:
        raise ValueError(f"workers must be 0 (all cores) or more (got {workers})")
    out = Path(out_dir)
    _clear_previous(out)
    write_atomic(out / TRUTH_DIR / CONFIG_FILE, config.to_json().encode())
    tasks = _tasks(config)
    workers = min(workers or os.cpu_count() or 1, len(tasks))
    if workers == 1:
        rows = [_render_sample(out, config, task) for task in tasks]
    else:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            rows = list(pool.map(_render_sample, [out] * len(tasks), [config] * len(tasks), tasks))
    write_coding_sheet(out / SHEET_NAME, rows)
    return out
