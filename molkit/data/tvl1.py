"""OpenCV's Dual TV-L1 optical flow with its default parameters, as the release computes it."""

from __future__ import annotations

import cv2
import numpy as np


def tvl1(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Flow ``[H, W, 2]`` float32 from ``first`` to ``second`` (uint8 grayscale, OpenCV convention:
    a pixel x of ``first`` is at x + flow(x) in ``second``)."""
    solver = cv2.optflow.DualTVL1OpticalFlow_create()
    return solver.calc(first, second, None)


def end_point_error(flow: np.ndarray, reference: np.ndarray) -> float:
    """Mean Euclidean distance between two flows ``[..., 2]``."""
    return float(np.linalg.norm(np.asarray(flow, np.float64) - reference, axis=-1).mean())
