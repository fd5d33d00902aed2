"""Which training items each step sees, and how classes are balanced.

Every step's batch is a function of (seed, step) alone, so an interrupted fold resumes on exactly
the batches it would have seen: plain shuffling draws one permutation per pass over the data
(seeded by the pass number), balanced sampling draws each batch with equal class probability
(seeded by the step).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch


def class_weights(labels: np.ndarray, n_classes: int) -> torch.Tensor:
    """Inverse class frequency, scaled to mean 1 over the classes present (0 for absent ones)."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes).astype(np.float64)
    weights = np.divide(1.0, counts, out=np.zeros_like(counts), where=counts > 0)
    weights *= (counts > 0).sum() / weights.sum()
    return torch.as_tensor(weights, dtype=torch.float32)


def steps_per_pass(n_items: int, batch_size: int) -> int:
    """Full batches in one pass over ``n_items`` (at least one)."""
    return max(1, n_items // batch_size)


def batch_indices(
    labels: np.ndarray, batch_size: int, step: int, seed: int, *, balanced: bool = False
) -> np.ndarray:
    """Dataset indices of the batch of ``step``."""
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    if balanced:
        rng = np.random.default_rng([seed, step, 1])
        counts = np.bincount(labels)
        p = 1.0 / counts[labels]
        return rng.choice(n, size=batch_size, replace=True, p=p / p.sum())
    per_pass = steps_per_pass(n, batch_size)
    order = np.random.default_rng([seed, step // per_pass]).permutation(n)
    start = (step % per_pass) * batch_size
    return order[start : start + batch_size]


class StepBatches(torch.utils.data.Sampler):
    """Batch sampler for a DataLoader yielding the batches of steps ``start .. stop - 1``."""

    def __init__(
        self, labels: np.ndarray, batch_size: int, seed: int, balanced: bool, start: int, stop: int
    ) -> None:
        self.labels = np.asarray(labels, dtype=np.int64)
        self.batch_size, self.seed, self.balanced = batch_size, seed, balanced
        self.start, self.stop = start, stop

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def __iter__(self) -> Iterator[list[int]]:
        for step in range(self.start, self.stop):
            yield batch_indices(
                self.labels, self.batch_size, step, self.seed, balanced=self.balanced
            ).tolist()
