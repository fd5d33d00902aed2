"""The synthetic micro-expression benchmark: CASME II-like data with exact ground truth."""
from molkit.synthetic.action_units import EMOTIONS, REGIONS, THREE_CLASS
from molkit.synthetic.generate import SynthConfig, generate
from molkit.synthetic.truth import (has_ground_truth, list_samples, sample_truth, true_flow,
                                    true_landmarks, true_region_mask)

__all__ = ["EMOTIONS", "REGIONS", "THREE_CLASS", "SynthConfig", "generate", "has_ground_truth",
           "list_samples", "sample_truth", "true_flow", "true_landmarks", "true_region_mask"]
