"""OpenCV's Dual TV-L1 optical flow with its default parameters, as the release computes it.

``epsilon`` is the solver's stopping threshold: OpenCV's default (:data:`EPSILON`) is the
released one. A looser one (:data:`DRAFT_EPSILON`, the ``smoke`` profile's) stops the solver
early: 6-7x faster on 144 px frames, and 1.5-2x the end-point error against the true flow
(``benchmarks/bench_tvl1.py``, ``reports/benchmarks/tvl1.md``): for runs whose flows nobody reads
as results.
"""

from __future__ import annotations

import cv2
import numpy as np

EPSILON = 0.01  # OpenCV's default: the released flows
DRAFT_EPSILON = 0.05


def tvl1(first: np.ndarray, second: np.ndarray, *, epsilon: float = EPSILON) -> np.ndarray:
    """Flow ``[H, W, 2]`` float32 from ``first`` to ``second`` (uint8 grayscale, OpenCV convention:
    a pixel x of ``first`` is at x + flow(x) in ``second``)."""
    solver = cv2.optflow.DualTVL1OpticalFlow_create(epsilon=epsilon)
    return solver.calc(first, second, None)


def end_point_error(flow: np.ndarray, reference: np.ndarray) -> float:
    """Mean Euclidean distance between two flows ``[..., 2]``."""
    return float(np.linalg.norm(np.asarray(flow, np.float64) - reference, axis=-1).mean())
