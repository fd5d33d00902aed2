"""The linear baseline: the onset->apex features (u, v, strain at 28x28, flattened and
standardised) into scikit-learn's logistic regression, so that "is the information there at
all?" has an answer in seconds. Fit and scores run on one BLAS thread: the solver's sums follow
the thread count (two threads moved the logits by about 3e-5 against one), and one thread is
also the cheaper on these small products."""

from __future__ import annotations

import numpy as np
import threadpoolctl
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from molkit.baselines.config import LinearConfig
from molkit.baselines.features import VideoFeatures


def linear_model(config: LinearConfig) -> Pipeline:
    """The untrained pipeline: standardise each feature, then logistic regression."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=config.C, max_iter=config.max_iter))


def fit_linear(config: LinearConfig, train: VideoFeatures) -> Pipeline | DummyClassifier:
    """The pipeline fitted on ``train`` (one BLAS thread); with a single class present, a constant
    predictor of it."""
    if not len(train):
        raise ValueError("linear baseline: no training video has an onset->apex flow")
    x = train.features.reshape(len(train), -1)
    if len(np.unique(train.labels)) == 1:
        return DummyClassifier(strategy="most_frequent").fit(x, train.labels)
    with threadpoolctl.threadpool_limits(1):
        return linear_model(config).fit(x, train.labels)


def linear_logits(model: Pipeline | DummyClassifier, features: np.ndarray, n_classes: int) -> np.ndarray:
    """Log-probabilities ``[N, n_classes]`` (one BLAS thread); -inf for classes absent from the
    training videos."""
    logits = np.full((len(features), n_classes), -np.inf)
    if len(features):
        with threadpoolctl.threadpool_limits(1):
            logits[:, model.classes_] = model.predict_log_proba(features.reshape(len(features), -1))
    return logits
