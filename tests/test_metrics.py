"""molkit.metrics against scikit-learn on random predictions and confusion matrices."""

import numpy as np
import pytest
from sklearn import metrics as skm

from molkit.metrics import confusion_matrix, per_class, summarize, summarize_confusion


def _random_predictions(rng, n_classes, n, skip=()):
    classes = [c for c in range(n_classes) if c not in skip]
    y_true = rng.choice(classes, size=n)
    y_pred = np.where(rng.random(n) < 0.5, y_true, rng.integers(0, n_classes, size=n))
    return y_true, y_pred


@pytest.mark.parametrize("seed", range(20))
def test_summary_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    n_classes = int(rng.integers(2, 7))
    y_true, y_pred = _random_predictions(rng, n_classes, int(rng.integers(5, 200)))
    got = summarize(y_true, y_pred, n_classes)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert got["uf1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert got["uar"] == pytest.approx(skm.balanced_accuracy_score(y_true, y_pred))
    assert got["wf1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="weighted"))
    assert got["war"] == pytest.approx(skm.recall_score(y_true, y_pred, average="weighted"))


def test_confusion_and_per_class_equal_sklearn():
    rng = np.random.default_rng(7)
    y_true, y_pred = _random_predictions(rng, 5, 300)
    cm = confusion_matrix(y_true, y_pred, 5)
    np.testing.assert_array_equal(cm, skm.confusion_matrix(y_true, y_pred, labels=range(5)))
    scores = per_class(cm)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=range(5), zero_division=0
    )
    np.testing.assert_allclose(scores["recall"], recall)
    np.testing.assert_allclose(scores["precision"], precision)
    np.testing.assert_allclose(scores["f1"], f1)
    np.testing.assert_array_equal(scores["support"], support)


def test_random_confusion_matrix_matches_expanded_labels():
    """A random confusion matrix, expanded back into label lists for scikit-learn."""
    rng = np.random.default_rng(3)
    cm = rng.integers(0, 9, size=(4, 4))
    y_true = np.repeat(np.arange(4), cm.sum(axis=1))
    y_pred = np.concatenate([np.repeat(np.arange(4), row) for row in cm])
    got = summarize_confusion(cm)
    assert got["uf1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert got["uar"] == pytest.approx(skm.balanced_accuracy_score(y_true, y_pred))
    assert got["accuracy"] == pytest.approx(np.trace(cm) / cm.sum())


def test_absent_class_follows_sklearn_conventions():
    """A class never seen nor predicted is left out of UF1/UAR, as scikit-learn does."""
    rng = np.random.default_rng(11)
    y_true, y_pred = _random_predictions(rng, 4, 120, skip=(2,))
    y_pred[y_pred == 2] = 0
    got = summarize(y_true, y_pred, 5)
    assert got["uf1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert got["uar"] == pytest.approx(skm.balanced_accuracy_score(y_true, y_pred))


def test_collapse_to_one_class_is_visible():
    y_true = np.arange(50) % 5
    got = summarize(y_true, np.zeros(50, dtype=int), 5)
    assert got["uar"] == pytest.approx(0.2)
    assert per_class(confusion_matrix(y_true, np.zeros(50, dtype=int), 5))["recall"].tolist() == [
        1,
        0,
        0,
        0,
        0,
    ]


def test_bad_labels_are_named():
    with pytest.raises(ValueError, match="y_pred"):
        confusion_matrix([0, 1], [0, 5], 3)
    with pytest.raises(ValueError, match="2 labels"):
        confusion_matrix([0, 1], [0], 3)
