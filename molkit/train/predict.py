"""Prediction for new footage: a folder of frames or a video file in; class probabilities, flow
and landmarks out.

The frames go through the released preparation (dlib landmarks, eye-based alignment to 144 px,
stride clip sampling, the (8, 8) test crop, intensity normalisation), reusing ``molkit.data``;
clips vote by mean logits as in evaluation. Flow and landmarks are in the pixels of each clip's
128 px crop.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import torch

from molkit.data import PrepSettings, alignment, clips, face
from molkit.data.readers.common import IMAGE_SUFFIXES, list_frames
from molkit.gpu import autocast
from molkit.model import MOL


@dataclasses.dataclass
class Prediction:
    """``clip_probabilities`` ``[n_clips, C]``, ``probabilities`` ``[C]`` (mean-logit vote),
    ``flow`` ``[n_clips, 7, 2, 128, 128]`` and ``landmarks`` ``[n_clips, 7, 68, 2]`` (None when
    the model has no such head), ``classes`` the class names."""

    classes: list[str]
    clip_probabilities: np.ndarray
    probabilities: np.ndarray
    flow: np.ndarray | None
    landmarks: np.ndarray | None

    @property
    def label(self) -> str:
        return self.classes[int(self.probabilities.argmax())]

    def save(self, path: str | Path) -> Path:
        """Everything as one ``.npz`` (loads with ``allow_pickle=False``)."""
        arrays = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        arrays["classes"] = np.array(self.classes)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)
        return path


def read_frames(source: str | Path) -> list[np.ndarray]:
    """Grayscale uint8 frames of a folder of images (numeric order) or of a video file."""
    source = Path(source)
    if source.is_dir():
        paths = list_frames(source)
        if not paths:
            raise ValueError(f"{source}: no image files ({sorted(IMAGE_SUFFIXES)}) in this folder")
        frames = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in paths]
        bad = [str(p) for p, f in zip(paths, frames) if f is None]
        if bad:
            raise ValueError(f"{bad[0]}: cannot be read as an image ({len(bad)} unreadable)")
        return frames
    capture = cv2.VideoCapture(str(source))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    capture.release()
    if not frames:
        raise ValueError(f"{source}: not a readable video file or image folder")
    return frames


def aligned_clips(frames: list[np.ndarray], settings: PrepSettings | None = None) -> torch.Tensor:
    """Every test clip of a video, ``[n_clips, 1, 8, 128, 128]``, prepared as ``settings`` say."""
    settings = settings or PrepSettings()
    step = clips.stride(len(frames))
    if step == 0:
        raise ValueError(f"{len(frames)} frames: a clip needs at least {clips.CLIP_LENGTH}")
    used = frames[:clips.CLIP_LENGTH * step]
    marks = [face.detect_landmarks(f, settings.detector_upsample) for f in used]
    if all(m is None for m in marks):
        raise ValueError("dlib finds no face in any frame")
    _, matrices = settings.align(marks)
    aligned = torch.from_numpy(np.stack([alignment.warp(frame, matrix, settings.align_size)
                                         for frame, matrix in zip(used, matrices)]))
    return torch.stack([
        clips.normalise(clips.crop(aligned[clips.clip_frames(j, step)].float(), clips.TEST_OFFSET))
        for j in range(step)]).unsqueeze(1)


@torch.no_grad()
def predict_frames(model: MOL, frames: list[np.ndarray], classes: list[str],
                   device: str | torch.device = "cpu", batch_size: int = 8,
                   settings: PrepSettings | None = None) -> Prediction:
    """Run ``model`` (eval mode) over every clip of ``frames``, prepared as ``settings`` say
    (use the settings of the cache the model was trained on)."""
    model.eval()
    device = torch.device(device)
    outputs = []
    for batch in aligned_clips(frames, settings).split(batch_size):
        with autocast(device):
            outputs.append(model(batch.to(device)))
    logits = torch.cat([o.logits.float().cpu() for o in outputs])

    def gather(name: str) -> np.ndarray | None:
        parts = [getattr(o, name) for o in outputs]
        return None if parts[0] is None else torch.cat([p.float().cpu() for p in parts]).numpy()

    return Prediction(classes, logits.softmax(-1).numpy(), logits.mean(0).softmax(-1).numpy(),
                      gather("flow"), gather("landmarks"))
