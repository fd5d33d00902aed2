"""Leave-one-subject-out folds, and the released code's subject lists compared with the data."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from molkit.data.manifest import load_manifest_data


@dataclasses.dataclass(frozen=True)
class Fold:
    """One LOSO fold: test on ``test_subject``, train on ``train_subjects``; ``val_subject`` (when
    asked for) is held out of the training subjects for inner validation."""

    test_subject: str
    train_subjects: tuple[str, ...]
    val_subject: str | None = None


def loso_folds(subjects: Iterable[str], *, validation: bool = False) -> list[Fold]:
    """One fold per distinct subject (sorted). With ``validation``, the next subject after the
    test subject (cyclically) is the fold's validation subject."""
    ordered = sorted({str(s) for s in subjects})
    if len(ordered) < (3 if validation else 2):
        raise ValueError(f"LOSO needs at least {3 if validation else 2} subjects, got {ordered}")
    folds = []
    for i, test in enumerate(ordered):
        val = ordered[(i + 1) % len(ordered)] if validation else None
        train = tuple(s for s in ordered if s not in (test, val))
        folds.append(Fold(test, train, val))
    return folds


def released_subjects(dataset: str, classes: str) -> list[str]:
    """The LOSO subject list hard-coded in the released MOL code (``data_manifests/``)."""
    lists = load_manifest_data("loso_subjects")
    try:
        return list(lists[dataset][classes])
    except KeyError:
        raise ValueError(f"the release has no {classes}-class subject list for {dataset!r}") from None


@dataclasses.dataclass(frozen=True)
class SubjectDifference:
    """Subjects only in a list and only in the data."""

    only_in_list: tuple[str, ...]
    only_in_data: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.only_in_list or self.only_in_data)

    def __str__(self) -> str:
        if not self:
            return "the list and the data have the same subjects"
        return (
            f"only in the list: {list(self.only_in_list) or 'none'}; "
            f"only in the data: {list(self.only_in_data) or 'none'}"
        )


def compare_subjects(listed: Iterable[str], found: Iterable[str]) -> SubjectDifference:
    """How a subject list (e.g. :func:`released_subjects`) differs from the subjects in the data."""
    listed, found = {str(s) for s in listed}, {str(s) for s in found}
    return SubjectDifference(tuple(sorted(listed - found)), tuple(sorted(found - listed)))
