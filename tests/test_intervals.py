"""Intervals against hand computations and scipy's own implementations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from molkit.intervals import mean_interval, sign_interval, sign_test, subject_bootstrap, wilson_interval


def test_sign_interval_by_hand():
    d = [0.3, -0.1, 0.05, 0.2, 0.4, 0.15, 0.0, 0.25, 0.1, 0.35]  # sorted: -0.1 0 .05 .1 .15 .2 .25 .3 .35 .4
    got = sign_interval(d, 0.95)
    # n = 10: P(B <= 1) = 11/1024, 1 - 2 * 11/1024 = 0.9785 >= 0.95; P(B <= 2) = 56/1024 gives
    # 0.8906 < 0.95: k = 2, the 2nd smallest and 2nd largest
    assert (got.low, got.high) == (0.0, 0.35)
    assert got.coverage == pytest.approx(1 - 2 * 11 / 1024)
    assert got.estimate == pytest.approx(0.175) and got.n == 10
    assert not got.excludes(0.0) and got.excludes(-0.01)
    # three pairs cannot reach 95%: min..max, covering 1 - 2/8 = 75%
    few = sign_interval([0.2, -0.1, 0.05])
    assert (few.low, few.high, few.coverage) == (-0.1, 0.2, 0.75)
    assert sign_interval([0.1]).coverage == 0.0


def test_sign_test_against_scipy():
    d = [0.3, -0.1, 0.05, 0.2, 0.4, 0.15, 0.0, 0.25, 0.1, 0.35]
    # nine non-zero differences, one negative
    assert sign_test(d) == pytest.approx(stats.binomtest(8, 9, 0.5).pvalue)
    assert sign_test([0.0, 0.0]) == 1.0
    assert sign_test([-1, -2, -3, -4, -5, -6]) == pytest.approx(2 / 64)


def test_wilson_interval_against_scipy():
    got = wilson_interval(8, 10)
    expected = stats.binomtest(8, 10).proportion_ci(0.95, method="wilson")
    assert (got.low, got.high) == pytest.approx((expected.low, expected.high))
    assert got.estimate == 0.8


@pytest.mark.parametrize("hits", [0, 10])
def test_wilson_interval_holds_its_estimate_at_the_ends(hits):
    got = wilson_interval(hits, 10)  # rounding once put the upper bound of 10/10 below 1.0
    expected = stats.binomtest(hits, 10).proportion_ci(0.95, method="wilson")
    assert (got.low, got.high) == pytest.approx((expected.low, expected.high))
    assert got.low <= got.estimate <= got.high and (got.low == 0.0 if hits == 0 else got.high == 1.0)


def test_mean_interval_against_scipy():
    x = np.array([0.31, 0.45, 0.22, 0.38, 0.5])
    expected = stats.ttest_1samp(x, 0.0).confidence_interval(0.95)
    got = mean_interval(x)
    assert (got.low, got.high) == pytest.approx((expected.low, expected.high))
    assert mean_interval([0.4]).low == 0.4


def test_subject_bootstrap_stays_within_the_subjects_own_scores():
    # four subjects of 10 videos each, accuracies 0.2, 0.5, 0.7, 1.0: any resample of whole
    # subjects pools to an accuracy between the lowest and the highest subject's
    rng = np.random.default_rng(1)
    subjects, truth, pred = [], [], []
    for name, hits in [("a", 2), ("b", 5), ("c", 7), ("d", 10)]:
        t = rng.integers(0, 3, 10)
        p = t.copy()
        p[hits:] = (t[hits:] + 1) % 3
        subjects += [name] * 10
        truth += list(t)
        pred += list(p)
    interval = subject_bootstrap(subjects, truth, pred, n_classes=3, metric="accuracy")
    assert interval.estimate == pytest.approx(0.6) and interval.n == 4
    assert 0.2 <= interval.low < 0.6 < interval.high <= 1.0
    # a subject resampled alone can give the extremes; the 95% band is narrower than them
    assert interval.high - interval.low < 0.8


def test_subject_bootstrap_has_no_width_without_spread():
    truth = np.array([0, 1, 2, 0, 1, 2])
    one = subject_bootstrap(["s"] * 6, truth, truth, n_classes=3, metric="accuracy")
    assert (one.low, one.high, one.n) == (1.0, 1.0, 1)
    same = subject_bootstrap(["a", "a", "a", "b", "b", "b"], truth, truth, n_classes=3, metric="accuracy")
    assert (same.low, same.estimate, same.high) == (1.0, 1.0, 1.0)
