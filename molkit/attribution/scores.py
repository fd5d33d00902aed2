"""How much positive attribution each facial region holds, as pandas tables.

Per sample and region (:func:`region_scores`):

- ``mass``: positive attribution summed over the region's pixels in every frame;
- ``share``: ``mass`` over the sample's total positive attribution (regions are disjoint, so the
  shares of all regions add up to at most 1; the rest lies outside every region);
- ``area_share``: the region's pixels over all pixels of the clip, i.e. the share a uniform
  attribution would give it;
- ``density``: ``share / area_share``, attribution per pixel relative to a uniform attribution
  (1 = chance; this is the score that ranks regions).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch

from molkit.attribution.regions import REGIONS, region_index

SCORE_COLUMNS: tuple[str, ...] = ("region", "mass", "share", "area_share", "density")


def region_scores(
    attributions: torch.Tensor,
    landmarks: torch.Tensor,
    samples: Sequence[object] | None = None,
    labels: Sequence[object] | None = None,
) -> pd.DataFrame:
    """Long table, one row per sample and region: ``sample, [label,] region`` and the scores.

    ``attributions`` is ``[B, 1, T, H, W]`` (or ``[B, T, H, W]``), ``landmarks`` ``[B, T, 68, 2]``
    in pixels of the same crop. ``samples`` name the rows (default 0..B-1).
    """
    attributions = attributions.detach().float().cpu()
    if attributions.dim() == 5:
        attributions = attributions.sum(1)
    batch, frames, height, width = attributions.shape
    if height != width:
        raise ValueError(f"attributions must be on a square crop, got {height}x{width}")
    index = region_index(landmarks, height)
    if index.shape != attributions.shape:
        raise ValueError(
            f"landmarks {tuple(torch.as_tensor(landmarks).shape)} do not match "
            f"attributions {tuple(attributions.shape)}"
        )
    positive = attributions.clamp(min=0).reshape(batch, -1)
    index = index.reshape(batch, -1)
    slots = len(REGIONS) + 1
    mass = torch.zeros(batch, slots, dtype=torch.float64).scatter_add_(1, index, positive.double())
    area = torch.zeros(batch, slots, dtype=torch.float64).scatter_add_(
        1, index, torch.ones_like(index, dtype=torch.float64)
    )
    total = positive.double().sum(1, keepdim=True)
    share = mass / total  # NaN where a sample has no positive attribution at all
    area_share = area / index.shape[1]
    names = range(batch) if samples is None else list(samples)
    table = pd.DataFrame(
        {
            "sample": [s for s in names for _ in REGIONS],
            "region": list(REGIONS) * batch,
            "mass": mass[:, 1:].reshape(-1).numpy(),
            "share": share[:, 1:].reshape(-1).numpy(),
            "area_share": area_share[:, 1:].reshape(-1).numpy(),
            "density": (share / area_share)[:, 1:].reshape(-1).numpy(),
        }
    )
    if labels is not None:
        table.insert(1, "label", [lab for lab in labels for _ in REGIONS])
    return table


def class_region_table(scores: pd.DataFrame, value: str = "density", by: str = "label") -> pd.DataFrame:
    """Mean ``value`` per ``by`` (rows, e.g. the class) and region (columns, vocabulary order)."""
    missing = {value, by, "region"} - set(scores.columns)
    if missing:
        raise ValueError(f"scores table lacks columns {sorted(missing)}")
    table = scores.pivot_table(index=by, columns="region", values=value, aggfunc="mean")
    return table[[r for r in REGIONS if r in table.columns]]
