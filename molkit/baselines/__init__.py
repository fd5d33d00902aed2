"""Baselines trained under the same LOSO folds, protocols and tables as MOL: on one onset->apex
TV-L1 flow per video (from the preparation cache), STSTNet (a shallow three-stream CNN, as its
authors define it; their released weights load through :mod:`.ststnet_official`) and a linear
model (logistic regression), OFF-ApexNet (a two-stream CNN on u and v) and HTNet (a hierarchical
transformer on four facial regions of it, :mod:`.htnet_regions`); on the aligned grey frames, the MEGC 2019 LBP-TOP baseline (linear
SVM). And the AU-oracle reference rows (:mod:`.oracle`), from the coding sheets alone."""

from molkit.baselines.cnn import cnn_logits, train_cnn
from molkit.baselines.config import HTNetConfig, LBPTOPConfig, LinearConfig, OFFApexNetConfig, STSTNetConfig
from molkit.baselines.features import VideoFeatures, apex_features, optical_strain, video_features
from molkit.baselines.htnet import HTNet, train_htnet
from molkit.baselines.lbptop import fit_lbptop, lbptop_features, lbptop_logits, lbptop_video_features
from molkit.baselines.linear import fit_linear, linear_logits, linear_model
from molkit.baselines.offapexnet import OFFApexNet
from molkit.baselines.oracle import ceiling_predictions, loso_predictions, oracle_predictions, oracle_scores
from molkit.baselines.ststnet import STSTNet, ststnet_logits, train_ststnet
from molkit.baselines.ststnet_official import (
    authors_loso,
    from_authors_state_dict,
    load_authors_weights,
)

__all__ = [
    "HTNet",
    "HTNetConfig",
    "LBPTOPConfig",
    "LinearConfig",
    "OFFApexNet",
    "OFFApexNetConfig",
    "STSTNet",
    "STSTNetConfig",
    "VideoFeatures",
    "apex_features",
    "authors_loso",
    "ceiling_predictions",
    "cnn_logits",
    "from_authors_state_dict",
    "load_authors_weights",
    "loso_predictions",
    "oracle_predictions",
    "oracle_scores",
    "fit_lbptop",
    "fit_linear",
    "lbptop_features",
    "lbptop_logits",
    "lbptop_video_features",
    "linear_logits",
    "linear_model",
    "optical_strain",
    "ststnet_logits",
    "train_cnn",
    "train_htnet",
    "train_ststnet",
    "video_features",
]
