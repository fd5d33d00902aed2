"""The three LOSO protocols: the same test folds (``molkit.data.loso_folds``), different ways to
pick the checkpoint.

- ``released``: score the test subject during training and keep the best checkpoint, as the
  released code does. This is model selection on the test set; its numbers are labelled so.
- ``fixed``: a fixed number of steps, last weights. Leak-free.
- ``inner-val``: one training subject (the next one after the test subject, in sorted order) is
  held out of training and picks the checkpoint. Leak-free.
"""

from __future__ import annotations

from collections.abc import Iterable

from molkit.data import Fold, loso_folds

PROTOCOLS: dict[str, str] = {
    "released": "released (test-set selection)",
    "fixed": "fixed (last weights)",
    "inner-val": "inner-val (held-out training subject)",
}


def check_protocol(protocol: str) -> str:
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {sorted(PROTOCOLS)}")
    return protocol


def plan_folds(protocol: str, subjects: Iterable[str]) -> list[Fold]:
    """The folds of ``protocol``: one per subject, sorted; ``inner-val`` folds name a validation
    subject, held out of their training subjects."""
    return loso_folds(subjects, validation=check_protocol(protocol) == "inner-val")


def selection_subjects(protocol: str, fold: Fold) -> tuple[str, ...]:
    """The subjects whose score picks the fold's checkpoint (empty: keep the last weights)."""
    if check_protocol(protocol) == "released":
        return (fold.test_subject,)
    if protocol == "inner-val":
        return (fold.val_subject,)
    return ()
