"""The onset->apex baselines' input: a video's onset->apex flow (from the preparation cache) as
three 28x28 images, horizontal flow u, vertical flow v and optical strain, as STSTNet reads it."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import torch
from torch.utils.data import ConcatDataset, Dataset

from molkit.data import cache, clips
from molkit.data.flow_images import FlowImages, authors_names, flow_image
from molkit.metrics import logit_columns

SIZE = 28
CHANNELS = ("u", "v", "strain")


def optical_strain(flow: np.ndarray) -> np.ndarray:
    """Strain magnitude ``[H, W]`` of a flow ``[2, H, W]`` (u = dx, v = dy):
    sqrt(u_x^2 + v_y^2 + (u_y + v_x)^2 / 2), derivatives by central differences (``np.gradient``)."""
    u_y, u_x = np.gradient(np.asarray(flow[0], np.float64))
    v_y, v_x = np.gradient(np.asarray(flow[1], np.float64))
    return np.sqrt(u_x**2 + v_y**2 + 0.5 * (u_y + v_x) ** 2)


def apex_features(flow: np.ndarray | torch.Tensor) -> np.ndarray:
    """``[3, 28, 28]`` float32 of an aligned 144 px flow ``[2, 144, 144]``: the test crop (128 px at
    (8, 8)), its u and v in pixels of the 28 px grid and its optical strain, each area-averaged."""
    flow = np.asarray(torch.as_tensor(flow).float(), dtype=np.float32)
    crop = clips.crop(flow, clips.TEST_OFFSET)
    scale = SIZE / crop.shape[-1]
    images = [crop[0] * scale, crop[1] * scale, optical_strain(crop).astype(np.float32)]
    return np.stack([cv2.resize(image, (SIZE, SIZE), interpolation=cv2.INTER_AREA) for image in images])


@dataclasses.dataclass
class VideoFeatures:
    """One row per video: ``table`` (subject, video_id, label) and ``features`` ``[N, ...]``
    (the onset->apex features ``[N, 3, 28, 28]``, or LBP-TOP histograms ``[N, D]``)."""

    table: pd.DataFrame
    features: np.ndarray

    def __len__(self) -> int:
        return len(self.table)

    @property
    def labels(self) -> np.ndarray:
        return self.table["label"].to_numpy(dtype=np.int64)

    def predictions(self, logits: np.ndarray) -> pd.DataFrame:
        """A prediction table shaped like MOL's (one "clip" per video: clip 0, crop 0)."""
        table = self.table.assign(clip_index=0, crop=0)[
            ["subject", "video_id", "clip_index", "crop", "label"]
        ].reset_index(drop=True)
        table["pred"] = logits.argmax(axis=1) if len(logits) else np.zeros(0, np.int64)
        table[logit_columns(logits.shape[1])] = logits
        return table


def as_flow_images(features: VideoFeatures, root: str | Path) -> FlowImages:
    """Onset->apex features of prepared data (``root``: its cache) in the public images'
    convention (:func:`molkit.data.flow_images.flow_image`: each channel min-max scaled to
    0..255 per image), named like them where the video is on the MEGC 2019 list (the composite
    twin's are), so that they train, test and score exactly as the real images do."""
    named = authors_names().set_index("video_id").name
    table = features.table.reset_index(drop=True)
    names = [named.get(v, v.replace("/", "_")) for v in table.video_id]
    parts = table.video_id.str.split("/")
    table = pd.DataFrame(
        {
            "dataset": parts.str[0] if table.subject.str.contains("/").all() else "",
            "subject": table.subject,
            "sample": parts.str[-1],
            "video_id": table.video_id,
            "name": names,
            "label": table.label.astype(np.int64),
            "file": "",
        }
    )
    return FlowImages(Path(root), "features", table, flow_image(features.features), [])


def video_features(
    dataset: Dataset, extract: Callable[[Path, str], np.ndarray | None] | None = None
) -> VideoFeatures:
    """The features of every video of a ClipDataset (or a concatenation of them) that ``extract``
    (cache folder, cache file name) -> array or None gives features for, in the dataset's order;
    the others are left out. Default: :func:`apex_features` of the videos whose cache file holds
    an onset->apex flow."""
    extract = extract or _apex_file_features
    parts = dataset.datasets if isinstance(dataset, ConcatDataset) else [dataset]
    rows, features = [], []
    for part in parts:
        for video in part.table.drop_duplicates("video_id").itertuples():
            found = extract(part.cache_dir, video.file)
            if found is not None:
                rows.append({"subject": video.subject, "video_id": video.video_id, "label": video.label})
                features.append(found)
    return VideoFeatures(
        pd.DataFrame(rows, columns=["subject", "video_id", "label"]),
        np.stack(features) if features else np.zeros((0, len(CHANNELS), SIZE, SIZE), np.float32),
    )


def _apex_file_features(cache_dir: Path, file: str) -> np.ndarray | None:
    path = Path(cache_dir) / file
    stat = path.stat() if path.is_file() else None  # a missing file: load_tensors says so
    return _apex_path_features(path, stat and (stat.st_ino, stat.st_mtime_ns))


@functools.lru_cache(maxsize=4096)
def _apex_path_features(path: Path, version: tuple[int, int] | None) -> np.ndarray | None:
    """Computed once per file ``version`` (inode and modification time: cache files are replaced,
    never rewritten in place): a LOSO run asks again in every fold. Read-only."""
    data = cache.load_tensors(path)
    if "apex_flow" not in data:
        return None
    features = apex_features(data["apex_flow"])
    features.flags.writeable = False
    return features
