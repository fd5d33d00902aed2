"""Protocols share their test folds; sampling and class weights follow their definitions."""

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from molkit.sampling import StepBatches, batch_indices, class_weights, steps_per_pass
from molkit.train.loso import LosoConfig, chosen_folds
from molkit.train.protocols import PROTOCOLS, plan_folds, selection_subjects

SUBJECTS = ["sub03", "sub01", "sub12", "sub02", "sub05"]


def test_protocols_give_the_same_test_folds():
    tests = {p: [f.test_subject for f in plan_folds(p, SUBJECTS)] for p in PROTOCOLS}
    assert tests["fixed"] == sorted(SUBJECTS)
    assert tests["released"] == tests["fixed"] == tests["inner-val"]


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_no_fold_trains_on_its_test_or_selection_subject(protocol):
    for fold in plan_folds(protocol, SUBJECTS):
        select = selection_subjects(protocol, fold)
        assert fold.test_subject not in fold.train_subjects
        assert not set(select) & set(fold.train_subjects)
        used = set(fold.train_subjects) | set(select) | {fold.test_subject}
        assert used == set(SUBJECTS)


def test_selection_per_protocol():
    fixed, released, inner = (plan_folds(p, SUBJECTS) for p in ("fixed", "released", "inner-val"))
    for a, b, c in zip(fixed, released, inner):
        assert selection_subjects("fixed", a) == ()
        assert selection_subjects("released", b) == (b.test_subject,)  # test-set selection
        (held_out,) = selection_subjects("inner-val", c)
        assert held_out != c.test_subject
        assert a.train_subjects == b.train_subjects
        assert set(c.train_subjects) == set(a.train_subjects) - {held_out}
    # every subject is held out for validation exactly once over the folds
    assert sorted(selection_subjects("inner-val", f)[0] for f in inner) == sorted(SUBJECTS)


def test_unknown_protocol_is_named():
    with pytest.raises(ValueError, match="best-epoch"):
        plan_folds("best-epoch", SUBJECTS)


def test_class_weights_are_proportional_to_sklearn_balanced():
    labels = np.array([0] * 10 + [1] * 3 + [3] * 7)
    got = class_weights(labels, 4).numpy()
    expected = compute_class_weight("balanced", classes=np.array([0, 1, 3]), y=labels)
    assert got[2] == 0
    np.testing.assert_allclose(got[[0, 1, 3]] / expected, got[0] / expected[0], rtol=1e-6)
    assert got[[0, 1, 3]].mean() == pytest.approx(1.0)


def test_plain_batches_visit_every_item_once_per_pass():
    labels = np.arange(23) % 3
    per_pass = steps_per_pass(len(labels), 5)
    for p in range(3):
        seen = np.concatenate(
            [batch_indices(labels, 5, s, seed=1) for s in range(p * per_pass, (p + 1) * per_pass)]
        )
        assert len(seen) == len(set(seen)) == per_pass * 5
    first = np.concatenate([batch_indices(labels, 5, s, 1) for s in range(per_pass)])
    second = np.concatenate([batch_indices(labels, 5, s, 1) for s in range(per_pass, 2 * per_pass)])
    assert not np.array_equal(first, second)


def test_balanced_batches_draw_classes_equally():
    labels = np.array([0] * 90 + [1] * 9 + [2] * 1)
    drawn = np.concatenate([labels[batch_indices(labels, 32, s, seed=0, balanced=True)] for s in range(300)])
    share = np.bincount(drawn, minlength=3) / len(drawn)
    np.testing.assert_allclose(share, [1 / 3] * 3, atol=0.03)


def test_batches_depend_on_seed_and_step_only():
    labels = np.arange(40) % 4
    sampler = StepBatches(labels, 4, seed=5, balanced=True, start=0, stop=10)
    resumed = StepBatches(labels, 4, seed=5, balanced=True, start=6, stop=10)
    assert list(sampler)[6:] == list(resumed)
    assert len(resumed) == 4


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_named_folds_are_the_folds_of_those_subjects(protocol):
    named = ("sub12", "sub02")
    config = LosoConfig(protocol=protocol, fold_subjects=named)
    folds = chosen_folds(config, SUBJECTS)
    every = {f.test_subject: f for f in plan_folds(protocol, SUBJECTS)}
    assert [f.test_subject for f in folds] == list(named)  # in the order named
    assert folds == [every[s] for s in named]  # the very folds of a full run (same training subjects)
    assert [f.test_subject for f in chosen_folds(LosoConfig(protocol=protocol, folds=2), SUBJECTS)] == sorted(
        SUBJECTS
    )[:2]


def test_named_folds_refuse_unknown_subjects_and_a_fold_count():
    with pytest.raises(LookupError, match="sub99"):
        chosen_folds(LosoConfig(fold_subjects=("sub01", "sub99")), SUBJECTS)
    with pytest.raises(ValueError, match="not both"):
        LosoConfig(folds=2, fold_subjects=("sub01",))
