"""Confidence intervals for the kit's small samples, exact or textbook, each with what it covers.

- :func:`sign_interval`: paired differences (e.g. an ablation against the full model, paired by
  seed and fold): the distribution-free interval for their median from order statistics, with
  its exact coverage, and the two-sided exact sign test.
- :func:`wilson_interval`: a proportion (e.g. a pointing-game hit rate).
- :func:`mean_interval`: a mean (e.g. a mask share), Student's t.
- :func:`subject_bootstrap`: a pooled score (UF1, UAR) of per-video predictions, resampling the
  test subjects with replacement (videos of one subject are not independent; subjects are).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from molkit.metrics import summarize_confusion


@dataclasses.dataclass(frozen=True)
class Interval:
    """``low``..``high`` around ``estimate`` over ``n`` values, covering with probability
    ``coverage`` (for the sign interval, the exact coverage reached, which can fall short of the
    one asked for when there are few pairs)."""

    estimate: float
    low: float
    high: float
    coverage: float
    n: int

    def excludes(self, value: float = 0.0) -> bool:
        return not self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.estimate:+.3f} [{self.low:+.3f}, {self.high:+.3f}] ({self.coverage:.0%}, n={self.n})"


def _below(k: int, n: int) -> float:
    """P(Binomial(n, 1/2) <= k)."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2**n


def sign_interval(differences: Sequence[float], confidence: float = 0.95) -> Interval:
    """Interval ``[d_(k), d_(n+1-k)]`` of the sorted differences for their median, with the
    largest k whose exact coverage ``1 - 2 P(B <= k - 1)`` (B ~ Binomial(n, 1/2)) is at least
    ``confidence``; with too few pairs for that, the widest one (min..max) and its coverage."""
    d = np.sort(np.asarray(differences, dtype=np.float64))
    n = len(d)
    if n == 0:
        raise ValueError("sign_interval needs at least one difference")
    k = 1
    while k < (n + 1) // 2 and 1 - 2 * _below(k, n) >= confidence:
        k += 1
    return Interval(float(np.median(d)), float(d[k - 1]), float(d[n - k]), 1 - 2 * _below(k - 1, n), n)


def sign_test(differences: Sequence[float]) -> float:
    """Two-sided exact sign test of a zero median (zero differences left out); 1 when all are 0."""
    d = np.asarray(differences, dtype=np.float64)
    positive, negative = int((d > 0).sum()), int((d < 0).sum())
    n = positive + negative
    return 1.0 if n == 0 else min(1.0, 2 * _below(min(positive, negative), n))


def wilson_interval(hits: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval of a proportion ``hits / n``."""
    if n <= 0:
        raise ValueError("wilson_interval needs n > 0")
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # exact at the ends (all hits: upper bound 1; none: lower bound 0), where rounding would
    # otherwise put the bound a hair inside the estimate
    low = 0.0 if hits == 0 else max(0.0, centre - half)
    high = 1.0 if hits == n else min(1.0, centre + half)
    return Interval(p, low, high, confidence, n)


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """Student's t interval of a mean (a single value: the value itself, zero width)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        raise ValueError("mean_interval needs at least one value")
    mean = float(x.mean())
    if len(x) == 1:
        return Interval(mean, mean, mean, confidence, 1)
    half = stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return Interval(mean, mean - half, mean + half, confidence, len(x))


def subject_bootstrap(
    subjects: Sequence[str],
    truth: Sequence[int],
    pred: Sequence[int],
    *,
    n_classes: int,
    metric: str,
    confidence: float = 0.95,
    draws: int = 1000,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap of a pooled score (``metric`` of :func:`molkit.metrics.summarize`)
    of per-video predictions, each draw taking as many subjects as there are, with replacement,
    with all their videos (their confusion matrices summed). One subject: zero width."""
    subjects = np.asarray(subjects)
    if len(subjects) == 0:
        raise ValueError("subject_bootstrap needs at least one video")
    names, which = np.unique(subjects, return_inverse=True)
    per_subject = np.zeros((len(names), n_classes * n_classes), np.int64)
    np.add.at(per_subject, (which, np.asarray(truth) * n_classes + np.asarray(pred)), 1)
    pooled = per_subject.sum(0).reshape(n_classes, n_classes)
    estimate = summarize_confusion(pooled)[metric]
    if len(names) == 1:
        return Interval(estimate, estimate, estimate, confidence, 1)
    rng = np.random.default_rng(seed)
    counts = np.stack(
        [np.bincount(rng.integers(0, len(names), len(names)), minlength=len(names)) for _ in range(draws)]
    )
    matrices = (counts @ per_subject).reshape(draws, n_classes, n_classes)
    values = [summarize_confusion(cm)[metric] for cm in matrices]
    low, high = np.quantile(values, [0.5 - confidence / 2, 0.5 + confidence / 2])
    return Interval(estimate, float(low), float(high), confidence, len(names))
