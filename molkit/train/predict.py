"""Prediction for a trimmed sample (a recording as long as one micro-expression, held in memory):
class probabilities, flow and landmarks, as evaluation treats a video. Longer recordings go
through :mod:`molkit.train.timeline` (windows at the training clips' time scale, streamed).

The frames go through the preparation the model was trained with (dlib landmarks, eye-based
alignment to 144 px, stride clip sampling, the (8, 8) test crop, intensity normalisation),
reusing ``molkit.data``; clips vote by mean logits as in evaluation. Flow and landmarks are in the
pixels of each clip's 128 px crop. A model fed TV-L1 flow (``MOLConfig.motion`` "tvl1") gets it
computed as preparation does (:func:`window_input`); one fed the synthetic truth's is refused:
footage has no true flow. Frames where dlib finds no face borrow the nearest frame's
alignment and are named by range; a clip made mostly of them is left out (and counted).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from molkit.data import PrepSettings, alignment, clips
from molkit.data.problems import runs
from molkit.gpu import autocast
from molkit.model import MOL, MOLConfig, model_input
from molkit.train.frames import read_frames as read_frames  # the frames of a trimmed sample


class NoFaceError(ValueError):
    """No face (or no clip mostly made of frames with a face) to predict on."""


def check_footage(
    config: MOLConfig, source: object = "the model", *, prep: PrepSettings | None = None
) -> None:
    """Refuse, in one line naming ``source``, a model fed the synthetic truth's flow, or one whose
    clips ran from the coded onset to the apex (``prep``: the preparation it is used with)."""
    if config.motion == "truth":
        raise ValueError(
            f"{source}: reads the true flow (motion 'truth'), which footage does not have; "
            "evaluate it on a synthetic cache (molkit evaluate)"
        )
    if prep is not None and prep.span != "video":
        raise ValueError(
            f"{source}: trained on clips from the coded onset to the apex (preparation span "
            f"{prep.span!r}), which footage does not code; evaluate it on a prepared cache (molkit evaluate)"
        )


def window_clip(aligned: np.ndarray) -> torch.Tensor:
    """Aligned frames ``[8, S, S]`` as the test clip ``[1, 8, 128, 128]``: the (8, 8) crop,
    intensities normalised."""
    return clips.normalise(clips.crop(torch.from_numpy(aligned).float(), clips.TEST_OFFSET)).unsqueeze(0)


def window_input(aligned: np.ndarray, config: MOLConfig, settings: PrepSettings) -> torch.Tensor:
    """Aligned frames ``[8, S, S]`` (uint8) as a model configured as ``config`` reads them,
    ``[C, 8, 128, 128]`` (:func:`molkit.model.model_input`): the test clip and, for a model fed
    TV-L1 flow, the flow between consecutive frames computed as preparation does (on the aligned
    frames as ``settings`` say, rounded to the cache's dtype, then cropped)."""
    batch = {"clip": window_clip(aligned)[None]}
    if config.motion == "tvl1":
        batch["flow"] = clips.crop(settings.pair_flows(aligned).float(), clips.TEST_OFFSET)[None]
    return model_input(batch, config)[0]


@dataclasses.dataclass
class PreparedVideo:
    """A video's frames as the model sees them: ``frames`` aligned ``[n, S, S]`` uint8 (the
    ``n = 8 * stride`` frames clips use), dlib's ``landmarks`` in aligned pixels ``[n, 68, 2]``
    (borrowed where ``face_found`` is False), out of ``n_frames`` frames in the input, prepared
    as ``settings`` say."""

    frames: np.ndarray
    landmarks: np.ndarray
    face_found: np.ndarray
    stride: int
    n_frames: int
    settings: PrepSettings

    def clip(self, j: int) -> torch.Tensor:
        """Clip ``j``, ``[1, 8, 128, 128]``."""
        return window_clip(self.frames[clips.clip_frames(j, self.stride)])

    def model_input(self, j: int, config: MOLConfig) -> torch.Tensor:
        """Clip ``j`` as a model configured as ``config`` reads it (:func:`window_input`)."""
        return window_input(self.frames[clips.clip_frames(j, self.stride)], config, self.settings)

    def faces_per_clip(self) -> np.ndarray:
        """How many of each clip's 8 frames show a face, ``[stride]``."""
        return np.array(
            [int(self.face_found[clips.clip_frames(j, self.stride)].sum()) for j in range(self.stride)]
        )

    def usable_clips(self) -> np.ndarray:
        """Indices of the clips with a face on most (more than half) of their frames."""
        return np.flatnonzero(self.faces_per_clip() > clips.CLIP_LENGTH // 2)

    def no_face_ranges(self) -> np.ndarray:
        """Runs of frames without a face as ``[k, 2]`` (first, last), 1-based frame numbers."""
        found = runs(int(i) + 1 for i in np.flatnonzero(~self.face_found))
        return np.array(found, dtype=np.int64).reshape(-1, 2)


@dataclasses.dataclass
class Prediction:
    """``clip_probabilities`` ``[n_clips, C]`` of the clips used (``clip_index``: which),
    ``probabilities`` ``[C]`` (their mean-logit vote), ``flow`` ``[n_clips, 7, 2, 128, 128]`` and
    ``landmarks`` ``[n_clips, 7, 68, 2]`` (None when the model has no such head), ``classes``
    the class names; ``clips_left_out`` (mostly without a face) and ``no_face_frames``
    (``[k, 2]`` 1-based first/last frame of each run of frames without a face) of ``n_frames``."""

    classes: list[str]
    clip_probabilities: np.ndarray
    probabilities: np.ndarray
    flow: np.ndarray | None
    landmarks: np.ndarray | None
    clip_index: np.ndarray
    clips_left_out: np.ndarray
    no_face_frames: np.ndarray
    n_frames: int

    @property
    def label(self) -> str:
        return self.classes[int(self.probabilities.argmax())]


def align_frames(
    frames: list[np.ndarray], marks: list[np.ndarray | None], settings: PrepSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames aligned as a training sample's, from dlib's ``marks`` per frame (None: borrowed
    from the nearest): aligned frames ``[n, S, S]``, landmarks in aligned pixels and in the
    input's ``[n, 68, 2]``."""
    raw, matrices = settings.align(marks)
    aligned = np.stack([alignment.warp(f, m, settings.align_size) for f, m in zip(frames, matrices)])
    return aligned, alignment.transform_each(matrices, raw).astype(np.float32), raw


def prepare_video(frames: list[np.ndarray], settings: PrepSettings | None = None) -> PreparedVideo:
    """Align the frames clips use, as ``settings`` say (use the training cache's)."""
    settings = settings or PrepSettings()
    step = clips.stride(len(frames))
    if step == 0:
        raise ValueError(f"{len(frames)} frames: a clip needs at least {clips.CLIP_LENGTH}")
    used = frames[: clips.CLIP_LENGTH * step]
    marks = [settings.landmarks(f) for f in used]
    if all(m is None for m in marks):
        raise NoFaceError(f"dlib finds no face in any of its {len(used)} frames")
    aligned, landmarks, _ = align_frames(used, marks, settings)
    return PreparedVideo(
        aligned,
        landmarks,
        np.array([m is not None for m in marks]),
        step,
        len(frames),
        settings,
    )


def aligned_clips(frames: list[np.ndarray], settings: PrepSettings | None = None) -> torch.Tensor:
    """Every test clip of a video, ``[n_clips, 1, 8, 128, 128]``, prepared as ``settings`` say."""
    video = prepare_video(frames, settings)
    return torch.stack([video.clip(j) for j in range(video.stride)])


@torch.no_grad()
def predict_video(
    model: MOL,
    video: PreparedVideo,
    classes: list[str],
    device: str | torch.device = "cpu",
    batch_size: int = 8,
) -> Prediction:
    """Run ``model`` (eval mode) over the clips of ``video`` that show a face on most frames."""
    check_footage(model.config, prep=video.settings)
    kept = video.usable_clips()
    if not len(kept):
        raise NoFaceError(
            f"every clip is mostly frames without a face (frames without one: "
            f"{len(np.flatnonzero(~video.face_found))} of {len(video.face_found)})"
        )
    model.eval()
    device = torch.device(device)
    outputs = []
    for batch in torch.stack([video.model_input(int(j), model.config) for j in kept]).split(batch_size):
        with autocast(device):
            outputs.append(model(batch.to(device)))
    logits = torch.cat([o.logits.float().cpu() for o in outputs])

    def gather(name: str) -> np.ndarray | None:
        parts = [getattr(o, name) for o in outputs]
        return None if parts[0] is None else torch.cat([p.float().cpu() for p in parts]).numpy()

    return Prediction(
        classes,
        logits.softmax(-1).numpy(),
        logits.mean(0).softmax(-1).numpy(),
        gather("flow"),
        gather("landmarks"),
        kept,
        np.setdiff1d(np.arange(video.stride), kept),
        video.no_face_ranges(),
        video.n_frames,
    )


def predict_frames(
    model: MOL,
    frames: list[np.ndarray],
    classes: list[str],
    device: str | torch.device = "cpu",
    batch_size: int = 8,
    settings: PrepSettings | None = None,
) -> Prediction:
    """Prepare ``frames`` as ``settings`` say (use the settings of the cache the model was
    trained on) and predict (:func:`predict_video`)."""
    return predict_video(model, prepare_video(frames, settings), classes, device, batch_size)
