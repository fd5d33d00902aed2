"""Running a model over a dataset: class logits per clip, votes per video, flow and landmark errors.

- Flow: end-point error (mean Euclidean distance of flow vectors, in pixels) against the TV-L1
  targets and, on synthetic data, against the true flow.
- Landmarks: NME, the mean point error divided by the inter-ocular distance (outer eye corners,
  dlib points 36 and 45) of the reference, against dlib's landmarks and, on synthetic data, the
  true ones. Predictions cover frames 2..T, so references are compared on ``[:, 1:]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset

from molkit.gpu import autocast
from molkit.metrics import logit_columns, summarize
from molkit.model import MOL, model_input

ID_COLUMNS = ["subject", "video_id", "clip_index", "crop"]
# dataset key of each reference -> column name of its error
FLOW_REFERENCES = {"flow": "epe_tvl1", "true_flow": "epe_true"}
LANDMARK_REFERENCES = {"landmarks": "nme_dlib", "true_landmarks": "nme_true"}


def end_point_error(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample mean end-point error of flows ``[B, ..., 2, H, W]`` (channel 0 dx, 1 dy)."""
    distance = (pred.float() - target.float()).square().sum(dim=-3).sqrt()
    return distance.flatten(1).mean(dim=1)


def inter_ocular_nme(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample NME of landmarks ``[B, frames, 68, 2]``, normalised per frame by the reference's
    outer-eye-corner distance (points 36 and 45)."""
    error = (pred.float() - target.float()).norm(dim=-1).mean(dim=-1)
    inter_ocular = (target[..., 36, :] - target[..., 45, :]).float().norm(dim=-1)
    return (error / inter_ocular).flatten(1).mean(dim=1)


@torch.no_grad()
def predict_dataset(
    model: MOL,
    dataset: Dataset,
    batch_size: int = 8,
    device: str | torch.device = "cpu",
    *,
    errors: bool = False,
    workers: int = 0,
) -> pd.DataFrame:
    """One row per dataset item: its ids, label, predicted class and logits, and with ``errors``
    the flow EPE and landmark NME against every reference the items carry. The model reads what
    its configuration says (:func:`molkit.model.model_input`)."""
    model.eval()
    device = torch.device(device)
    rows: list[pd.DataFrame] = []
    for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=workers):
        with autocast(device):
            output = model(model_input(batch, model.config).to(device))
        logits = output.logits.float().cpu().numpy()
        frame = pd.DataFrame({key: _plain(batch[key]) for key in ID_COLUMNS})
        frame["label"] = _plain(batch["label"])
        frame["pred"] = logits.argmax(axis=1)
        frame[logit_columns(logits.shape[1])] = logits
        if errors:
            for key, column in FLOW_REFERENCES.items():
                if output.flow is not None and key in batch:
                    frame[column] = end_point_error(output.flow.cpu(), batch[key]).numpy()
            for key, column in LANDMARK_REFERENCES.items():
                if output.landmarks is not None and key in batch:
                    frame[column] = inter_ocular_nme(output.landmarks.cpu(), batch[key][:, 1:]).numpy()
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def _plain(values: torch.Tensor | list) -> list:
    return values.tolist() if isinstance(values, torch.Tensor) else list(values)


def vote_videos(clips: pd.DataFrame) -> pd.DataFrame:
    """One row per video: the mean of its clips' logits decides the class."""
    columns = [c for c in clips.columns if c.startswith("logit_")]
    keys = [k for k in ("protocol", "fold", "subject", "video_id") if k in clips.columns]
    videos = (
        clips.groupby(keys, sort=True).agg({"label": "first", **{c: "mean" for c in columns}}).reset_index()
    )
    videos["pred"] = videos[columns].to_numpy().argmax(axis=1)
    return videos


def score(table: pd.DataFrame, n_classes: int) -> dict[str, float]:
    """Accuracy, UF1, UAR, WF1, WAR of a prediction table (clips or videos)."""
    return summarize(table["label"].to_numpy(), table["pred"].to_numpy(), n_classes)


def error_summary(clips: pd.DataFrame) -> dict[str, float]:
    """Mean of every flow/landmark error column present."""
    columns = [*FLOW_REFERENCES.values(), *LANDMARK_REFERENCES.values()]
    return {c: float(clips[c].mean()) for c in columns if c in clips.columns}


def item_table(dataset: Dataset) -> pd.DataFrame:
    """The item table (subject, video_id, label, ...) of a ClipDataset or a concatenation of them."""
    if isinstance(dataset, ConcatDataset):
        return pd.concat([item_table(d) for d in dataset.datasets], ignore_index=True)
    return dataset.table


def labels_of(dataset: Dataset) -> np.ndarray:
    """Class index of every item of a clip dataset."""
    return item_table(dataset)["label"].to_numpy(dtype=np.int64)
