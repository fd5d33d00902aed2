"""Which facial regions drive a MER prediction: Captum attributions aggregated over landmark
regions, with a pointing game against the synthetic benchmark's known class regions."""

from molkit.attribution.experiment import PointingResult, loso_pointing, pointing_experiment, train_without
from molkit.attribution.methods import METHODS, AttributionConfig, attribute
from molkit.attribution.plots import plot_overlay, plot_pointing, plot_region_scores
from molkit.attribution.pointing import pointing_game, pointing_intervals, pointing_summary
from molkit.attribution.regions import REGIONS, region_index, region_masks
from molkit.attribution.scores import class_region_table, region_scores
from molkit.attribution.wrapper import MERLogits, without_auxiliary_heads

__all__ = [
    "METHODS",
    "REGIONS",
    "AttributionConfig",
    "MERLogits",
    "PointingResult",
    "attribute",
    "class_region_table",
    "loso_pointing",
    "plot_overlay",
    "plot_pointing",
    "plot_region_scores",
    "pointing_experiment",
    "pointing_game",
    "pointing_intervals",
    "pointing_summary",
    "region_index",
    "region_masks",
    "region_scores",
    "train_without",
    "without_auxiliary_heads",
]
