"""A recording as a timeline of windows at the micro-expression's time scale, streamed.

A window is one clip as the model was trained on: 8 frames, ``gap`` input frames apart, where
``gap`` is the training clips' stride in seconds (:func:`molkit.train.checkpoint.clip_timing`)
times the input's frame rate (at least 1: a recording slower than the training clips' spacing
gets consecutive frames, and a longer window, which :class:`WindowPlan` says). Windows start every
half window. Each is prepared as a training sample is (dlib on its frames, alignment as the
checkpoint's settings say, the test crop; TV-L1 on its frames for a model fed it) and gives class
probabilities (divided by the checkpoint's temperature, when it has one) and the statistics of
:mod:`molkit.train.input_range`; a window outside the training range gets no class.

Frames are read one at a time (:class:`molkit.train.frames.FrameStream`): only the current
window's frames, one batch of clips and the most confident window (for the page) are held.
A window with a frame where dlib finds no face is skipped; such frames are named by range.
"""

from __future__ import annotations

import collections
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from molkit.data import PrepSettings, clips
from molkit.data.problems import format_runs, runs
from molkit.gpu import autocast
from molkit.model import MOL
from molkit.train.calibration import softmax
from molkit.train.frames import FrameStream
from molkit.train.input_range import STATISTICS, clip_statistics, outside
from molkit.train.predict import NoFaceError, align_frames, check_footage, window_input

OUTSIDE = "outside the training range"


@dataclasses.dataclass(frozen=True)
class WindowPlan:
    """Windows over an input: frames ``gap`` apart, a new window every ``hop`` frames, at
    ``fps`` frames/s (``fps_assumed``: a folder of frames, read at the training frame rate)."""

    gap: int
    fps: float
    fps_assumed: bool
    training_seconds: float  # the training clips' span: 8 strides

    @property
    def hop(self) -> int:
        return clips.CLIP_LENGTH // 2 * self.gap

    @property
    def frames(self) -> int:
        """Input frames a window spans (8 gaps: its 8 frames and the gap after the last)."""
        return clips.CLIP_LENGTH * self.gap

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    def describe(self) -> str:
        rate = f"{self.fps:g} fps" + (
            " (a folder: the training frame rate assumed)" if self.fps_assumed else ""
        )
        line = (
            f"windows of 8 frames {self.gap} apart ({self.seconds:.3f} s at {rate}), one every {self.hop} "
            f"frames; training clips span {self.training_seconds:.3f} s"
        )
        if abs(self.seconds - self.training_seconds) > 0.25 * self.training_seconds:
            line += " (this recording's frame rate cannot match it: consecutive frames are used)"
        return line


def plan_windows(timing: dict[str, Any], fps: float | None) -> WindowPlan:
    """Windows whose frames lie as far apart in seconds as the training clips' (``timing``:
    :func:`molkit.train.checkpoint.clip_timing`) for an input at ``fps`` (None: unknown)."""
    rate = fps or float(timing["frame_rate"])
    gap = max(1, round(timing["clip_stride"] * rate / timing["frame_rate"]))
    span = clips.CLIP_LENGTH * timing["clip_stride"] / timing["frame_rate"]
    return WindowPlan(gap, rate, fps is None, span)


@dataclasses.dataclass
class Timeline:
    """Per window ``w``: its first and last frame (1-based), ``logits`` and ``probabilities``
    ``[n, C]`` (after ``temperature``), ``statistics`` ``[n, S]`` (:data:`STATISTICS`) and
    ``outside[w]`` (what lies outside the training range; empty: nothing). Frames dlib looked
    at (``checked``, 1-based) and whether it found a face; frames that failed to decode and
    what else went wrong reading (``problems``). ``shown``: the window the page shows (the most
    confident one inside the range, else the most confident), with its aligned ``frames``
    ``[8, S, S]``, dlib's aligned ``landmarks`` ``[8, 68, 2]`` and the model's ``flow``
    ``[7, 2, 128, 128]`` and ``predicted_landmarks`` ``[7, 68, 2]`` (None without the head)."""

    classes: list[str]
    plan: WindowPlan
    first: np.ndarray
    last: np.ndarray
    logits: np.ndarray
    probabilities: np.ndarray
    statistics: np.ndarray
    outside: list[str]
    checked: np.ndarray
    face_found: np.ndarray
    n_frames: int
    problems: list[str]
    temperature: float | None
    shown: int
    frames: np.ndarray
    landmarks: np.ndarray
    flow: np.ndarray | None
    predicted_landmarks: np.ndarray | None
    summary: np.ndarray | None = None  # whole-recording probabilities, where they make sense

    @property
    def seconds(self) -> np.ndarray:
        """Each window's start, in seconds."""
        return (self.first - 1) / self.plan.fps

    def no_face_frames(self) -> np.ndarray:
        """Runs of checked frames without a face, ``[k, 2]`` (first, last), 1-based."""
        return np.array(runs(self.checked[~self.face_found].tolist()), dtype=np.int64).reshape(-1, 2)

    def answer(self, w: int) -> str:
        """Window ``w``'s answer: its top class and probability, or :data:`OUTSIDE`."""
        if self.outside[w]:
            return OUTSIDE
        top = int(self.probabilities[w].argmax())
        return f"{self.classes[top]} {self.probabilities[w, top]:.3f}"

    def top_windows(self, k: int = 5) -> list[int]:
        """The ``k`` most confident windows inside the training range, most confident first."""
        inside = [w for w in range(len(self.first)) if not self.outside[w]]
        return sorted(inside, key=lambda w: -self.probabilities[w].max())[:k]

    def flagged(self) -> dict[str, int]:
        """How many windows each statistic puts outside the training range (those that do)."""
        counts = {name: sum(f"; {name} " in f"; {o}" for o in self.outside) for name in STATISTICS}
        return {name: n for name, n in counts.items() if n}

    def save(self, path: str | Path) -> Path:
        """Everything as one ``.npz`` (loads with ``allow_pickle=False``), written atomically."""
        arrays = {
            "classes": np.array(self.classes),
            "window_first": self.first,
            "window_last": self.last,
            "window_seconds": self.seconds,
            "window_logits": self.logits,
            "window_probabilities": self.probabilities,
            "window_outside": np.array(self.outside, dtype=str),
            "statistics": self.statistics,
            "statistic_names": np.array(STATISTICS),
            "checked_frames": self.checked,
            "face_found": self.face_found,
            "no_face_frames": self.no_face_frames(),
            "n_frames": np.array(self.n_frames),
            "fps": np.array(self.plan.fps),
            "temperature": np.array(np.nan if self.temperature is None else self.temperature),
            "shown_window": np.array(self.shown),
            "frames": self.frames,
            "landmarks": self.landmarks,
        }
        if self.summary is not None:
            arrays["probabilities"] = self.summary
        if self.flow is not None:
            arrays["flow"] = self.flow
        if self.predicted_landmarks is not None:
            arrays["predicted_landmarks"] = self.predicted_landmarks
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)
        return path


class _Windows:
    """Accumulates windows, runs the model a batch at a time, keeps the window to show."""

    def __init__(self, model, device, temperature, ranges, batch_size):
        self.model, self.device, self.temperature = model, device, temperature
        self.ranges, self.batch_size = ranges, batch_size
        self.pending: list[dict[str, Any]] = []
        self.rows: list[dict[str, Any]] = []
        self.shown: dict[str, Any] | None = None

    def add(self, window: dict[str, Any]) -> None:
        self.pending.append(window)
        if len(self.pending) == self.batch_size:
            self.flush()

    @torch.no_grad()
    def flush(self) -> None:
        if not self.pending:
            return
        batch = torch.stack([w["input"] for w in self.pending]).to(self.device)
        with autocast(self.device):
            output = self.model(batch)
        logits = output.logits.float().cpu().numpy()
        probabilities = softmax(logits, self.temperature or 1.0)
        for i, window in enumerate(self.pending):
            flags = "; ".join(outside(window["stats"], self.ranges)) if self.ranges else ""
            row = {
                "first": window["first"],
                "last": window["last"],
                "logits": logits[i],
                "probabilities": probabilities[i],
                "statistics": [window["stats"][name] for name in STATISTICS],
                "outside": flags,
            }
            key = (not flags, float(probabilities[i].max()))
            if self.shown is None or key > self.shown["key"]:
                self.shown = {
                    "key": key,
                    "index": len(self.rows),
                    "frames": window["aligned"],
                    "landmarks": window["landmarks"],
                    "flow": None if output.flow is None else output.flow[i].float().cpu().numpy(),
                    "predicted": None
                    if output.landmarks is None
                    else output.landmarks[i].float().cpu().numpy(),
                }
            self.rows.append(row)
        self.pending = []


def predict_timeline(
    model: MOL,
    stream: FrameStream,
    classes: list[str],
    *,
    timing: dict[str, Any],
    settings: PrepSettings,
    temperature: float | None = None,
    ranges: dict[str, Any] | None = None,
    device: str | torch.device = "cpu",
    batch_size: int = 8,
    fps: float | None = None,
    progress: bool | None = None,
) -> Timeline:
    """Slide windows over ``stream`` (frames ``plan.gap`` apart, as the training clips' seconds
    say; ``fps`` overrides the stream's frame rate) and predict each with ``model``.
    ``progress``: a tqdm bar on stderr (None: only on a terminal). A model fed the true flow, or
    one whose ``settings`` cut its clips from the coded onset to the apex, is refused
    (:func:`~molkit.train.predict.check_footage`)."""
    check_footage(model.config, prep=settings)
    model.eval()
    device = torch.device(device)
    plan = plan_windows(timing, fps or stream.fps)
    magnification = model.config.magnification
    windows = _Windows(model, device, temperature, ranges, batch_size)
    recent: collections.deque = collections.deque(maxlen=clips.CLIP_LENGTH)
    checked, found = [], []
    bar = tqdm(
        total=stream.expected,
        unit="frame",
        desc=stream.source.name,
        disable=None if progress is None else not progress,
    )
    for index, frame in stream:
        bar.update()
        if index % plan.gap or frame is None:
            continue
        marks = settings.landmarks(frame)
        checked.append(index + 1)
        found.append(marks is not None)
        recent.append((index, frame, marks))
        position = index // plan.gap
        ready = (
            len(recent) == clips.CLIP_LENGTH and position - recent[0][0] // plan.gap == clips.CLIP_LENGTH - 1
        )
        if not ready or recent[0][0] % plan.hop or any(m is None for _, _, m in recent):
            continue
        aligned, landmarks, raw = align_frames([f for _, f, _ in recent], [m for _, _, m in recent], settings)
        windows.add(
            {
                "first": recent[0][0] + 1,
                "last": index + 1,
                "input": window_input(aligned, model.config, settings),
                "stats": clip_statistics(aligned, landmarks, raw, magnification),
                "aligned": aligned,
                "landmarks": landmarks,
            }
        )
    bar.close()
    windows.flush()
    face_found = np.array(found, dtype=bool)
    if not face_found.any():
        raise NoFaceError(f"dlib finds no face in any of its {len(checked)} frames")
    if not windows.rows:
        raise NoFaceError(
            f"no window of 8 frames {plan.gap} apart shows a face on every frame "
            f"(frames without one: {format_runs(np.array(checked)[~face_found])})"
        )
    rows, shown = windows.rows, windows.shown
    return Timeline(
        classes=classes,
        plan=plan,
        first=np.array([r["first"] for r in rows]),
        last=np.array([r["last"] for r in rows]),
        logits=np.stack([r["logits"] for r in rows]),
        probabilities=np.stack([r["probabilities"] for r in rows]),
        statistics=np.array([r["statistics"] for r in rows]),
        outside=[r["outside"] for r in rows],
        checked=np.array(checked),
        face_found=face_found,
        n_frames=stream.read,
        problems=stream.problems(),
        temperature=temperature,
        shown=shown["index"],
        frames=shown["frames"],
        landmarks=shown["landmarks"],
        flow=shown["flow"],
        predicted_landmarks=shown["predicted"],
    )
