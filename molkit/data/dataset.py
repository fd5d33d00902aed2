"""A PyTorch Dataset over the clip cache: one item per (video, clip, crop)."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch.utils.data import Dataset

from molkit.data import cache, clips
from molkit.data.manifest import class_names, label_column

_TEXT_COLUMNS = [
    "dataset",
    "subject",
    "sample",
    "video_id",
    "folder",
    "action_units",
    "emotion",
    "label_5",
    "label_3",
    "label_composite",
    "file",
    "regions",
]


def read_videos(cache_dir: str | Path) -> pd.DataFrame:
    """The cache's table of prepared videos (``videos.csv``); a cache from before ``frame_gap``
    was recorded gets its stride there."""
    path = Path(cache_dir) / cache.VIDEOS_CSV
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not a prepared cache (run molkit prepare first)")
    table = pd.read_csv(path, dtype={c: "string" for c in _TEXT_COLUMNS})
    if "frame_gap" not in table and "stride" in table:
        table["frame_gap"] = table.stride
    return table.astype({c: object for c in _TEXT_COLUMNS if c in table}).where(table.notna(), None)


class ClipDataset(Dataset):
    """Clips, TV-L1 flows and landmarks of the videos in ``cache_dir``.

    ``train``: ``crops`` random 128 px crops per clip (one offset per crop, fixed by ``seed``,
    within ``jitter // 2`` px of the test crop's); otherwise the (8, 8) test crop. Only videos
    labelled in the class set ``classes`` are used.
    ``table`` has one row per item (subject, video_id, label, clip_index, crop, offsets) so that
    voting and sampling need no tensors. ``with_truth`` adds the synthetic ground truth."""

    def __init__(
        self,
        cache_dir: str | Path,
        subjects: list[str] | None = None,
        *,
        train: bool = True,
        crops: int = 5,
        classes: str = "5",
        seed: int = 0,
        with_truth: bool = False,
        open_files: int = 8,
        jitter: int = 16,
    ):
        self.cache_dir = Path(cache_dir)
        videos = read_videos(self.cache_dir)
        datasets = sorted(set(videos.dataset))
        if len(datasets) > 1 and classes == "5":
            raise ValueError(f"{self.cache_dir}: the 5-class set differs per dataset; found {datasets}")
        self.classes = class_names(classes, datasets[0] if datasets else None)
        videos = videos[videos[label_column(classes)].isin(self.classes)]
        if subjects is not None:
            videos = videos[videos.subject.isin([str(s) for s in subjects])]
        if with_truth and not videos.has_truth.all():
            raise ValueError(f"{self.cache_dir}: with_truth needs a cache prepared from synthetic data")
        self.train, self.with_truth = train, with_truth
        rows = []
        for video in videos.itertuples():
            label = self.classes.index(getattr(video, label_column(classes)))
            for clip in range(video.n_clips):
                for crop in range(crops if train else 1):
                    offset = (
                        clips.train_offset(seed, video.video_id, clip, crop, jitter)
                        if train
                        else clips.TEST_OFFSET
                    )
                    rows.append(
                        {
                            "subject": video.subject,
                            "video_id": video.video_id,
                            "label": label,
                            "clip_index": clip,
                            "crop": crop,
                            "offset_y": offset[0],
                            "offset_x": offset[1],
                            "stride": video.stride,
                            "frame_gap": video.frame_gap,
                            "file": video.file,
                            "regions": video.regions or "",
                        }
                    )
        self.table = pd.DataFrame(
            rows,
            columns=[
                "subject",
                "video_id",
                "label",
                "clip_index",
                "crop",
                "offset_y",
                "offset_x",
                "stride",
                "frame_gap",
                "file",
                "regions",
            ],
        )
        self._open: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._open_files = open_files

    def __len__(self) -> int:
        return len(self.table)

    def _load(self, file: str) -> dict[str, Any]:
        if file not in self._open:
            self._open[file] = cache.load_tensors(self.cache_dir / file)
            if len(self._open) > self._open_files:
                self._open.popitem(last=False)
        self._open.move_to_end(file)
        return self._open[file]

    def __getitem__(self, index: int) -> dict[str, Any]:
        row = self.table.iloc[index]
        data = self._load(row.file)
        frames = clips.clip_frames(int(row.clip_index), int(row.stride))
        offset = (int(row.offset_y), int(row.offset_x))
        shift = torch.tensor([offset[1], offset[0]], dtype=torch.float32)  # (x, y)
        item = {
            "clip": clips.normalise(clips.crop(data["frames"][frames].float(), offset)).unsqueeze(0),
            "flow": clips.crop(data["flows"][frames[:-1]].float(), offset).contiguous(),
            "landmarks": data["landmarks"][frames] - shift,
            "label": torch.tensor(int(row.label)),
            "subject": row.subject,
            "video_id": row.video_id,
            "clip_index": int(row.clip_index),
            "crop": int(row.crop),
        }
        if self.with_truth:
            item["true_flow"] = clips.crop(data["true_flow"][frames[:-1]].float(), offset).contiguous()
            item["true_landmarks"] = data["true_landmarks"][frames] - shift
            item["regions"] = row.regions
        return item
