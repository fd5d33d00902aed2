"""Pointing game on data whose class regions are known (the synthetic benchmark).

Per sample: does the top region (highest ``density``) belong to the true regions (``hit``), and
which share of the positive attribution lies inside them (``mask_share``), each next to its
chance level: a region drawn uniformly at random hits with probability ``n_true / n_regions``
(``chance_hit``); a uniform attribution puts ``area_share`` of the clip inside them
(``chance_share``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from molkit.attribution.regions import REGIONS
from molkit.attribution.scores import SCORE_COLUMNS
from molkit.intervals import mean_interval, wilson_interval


def pointing_game(scores: pd.DataFrame, true_regions: Mapping[object, Sequence[str]]) -> pd.DataFrame:
    """One row per sample (and per any other key column of ``scores``, e.g. ``method``).

    ``scores`` comes from :func:`~molkit.attribution.scores.region_scores`; ``true_regions``
    maps each sample to the names of the regions that carry its class.
    """
    keys = [c for c in scores.columns if c not in SCORE_COLUMNS]
    rows = []
    for key, group in scores.groupby(keys, sort=False):
        key = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        truth = set(true_regions[key["sample"]])
        unknown = truth - set(REGIONS)
        if unknown:
            raise ValueError(f"sample {key['sample']!r}: unknown regions {sorted(unknown)}")
        inside = group["region"].isin(truth)
        ranked = group.dropna(subset=["density"])
        top = ranked["region"].iloc[ranked["density"].to_numpy().argmax()] if len(ranked) else None
        rows.append(
            {
                **key,
                "top_region": top,
                "hit": top in truth,
                "chance_hit": len(truth) / len(REGIONS),
                "mask_share": group.loc[inside, "share"].sum(min_count=1),
                "chance_share": group.loc[inside, "area_share"].sum(),
            }
        )
    return pd.DataFrame(rows)


def pointing_summary(games: pd.DataFrame, by: str | Sequence[str] = "method") -> pd.DataFrame:
    """Mean ``hit`` (the pointing rate), ``mask_share`` and their chance levels per ``by``."""
    by = [by] if isinstance(by, str) else list(by)
    columns = ["hit", "chance_hit", "mask_share", "chance_share"]
    summary = games.groupby(by, sort=False)[columns].mean()
    summary.insert(0, "n", games.groupby(by, sort=False).size())
    return summary.rename(columns={"hit": "pointing_rate"})


def pointing_intervals(games: pd.DataFrame, by: str = "method", confidence: float = 0.95) -> pd.DataFrame:
    """Per ``by``: the pointing rate with its Wilson interval and the mean mask share with its
    Student-t interval (cut to [0, 1], where a share lies), beside their chance levels
    (``confidence``: the intervals' level)."""
    rows = []
    for key, group in games.groupby(by, sort=False):
        rate = wilson_interval(int(group["hit"].sum()), len(group), confidence)
        share = mean_interval(group["mask_share"].astype(float), confidence)
        rows.append(
            {
                by: key,
                "n": len(group),
                "pointing_rate": rate.estimate,
                "rate_low": rate.low,
                "rate_high": rate.high,
                "chance_hit": group["chance_hit"].mean(),
                "mask_share": share.estimate,
                "share_low": max(0.0, share.low),
                "share_high": min(1.0, share.high),
                "chance_share": group["chance_share"].mean(),
            }
        )
    return pd.DataFrame(rows).set_index(by)
