"""The MOL network: stem, F5C blocks (FCC + CCC), flow, landmark and MER heads; its input built
from a batch (``model_input``); loading weights (released checkpoints, and any network's weights
by name with shapes checked)."""

from molkit.model.ccc import CCC
from molkit.model.correlation import correlation
from molkit.model.f5c import F5C
from molkit.model.fcc import FCC, circular_conv
from molkit.model.flow_head import FlowHead
from molkit.model.inputs import FLOW_PIXELS, model_input
from molkit.model.landmark_head import LandmarkHead
from molkit.model.mer_head import MERHead
from molkit.model.mol import MOL, MOTIONS, MOLConfig, MOLOutput
from molkit.model.released import from_released_state_dict, load_released_checkpoint
from molkit.model.stem import Stem
from molkit.model.weights import check_weights, load_weights

__all__ = [
    "CCC",
    "F5C",
    "FCC",
    "FLOW_PIXELS",
    "MOL",
    "MOTIONS",
    "FlowHead",
    "LandmarkHead",
    "MERHead",
    "MOLConfig",
    "MOLOutput",
    "Stem",
    "check_weights",
    "circular_conv",
    "correlation",
    "from_released_state_dict",
    "load_released_checkpoint",
    "load_weights",
    "model_input",
]
