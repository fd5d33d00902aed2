"""The STSTNet authors' released weights (github.com/christy1206/STSTNet, ``STSTNet_Weights/``:
68 files, one per LOSO fold of the MEGC 2019 composite, each named by its held-out subject) in
molkit's :class:`~molkit.baselines.ststnet.STSTNet`.

Their keys map by name (``conv1/2/3`` and ``bn1/2/3`` -> ``streams.0/1/2``, ``fc`` -> ``fc``);
molkit's input ``scale`` is set to 1, because the authors feed their images unscaled: their
public 28x28 images read with ``cv2.imread``, as floats 0..255, in the files' channel order
(strain, v, u: :mod:`molkit.data.flow_images`, which reads them in molkit's order u, v, strain;
:func:`~molkit.data.flow_images.to_file_order` turns them back). Classes, in logit order:
negative, positive, surprise (molkit's "composite" set). :func:`authors_loso` reproduces their
table from their own images; molkit's features meet that convention through
:func:`molkit.data.flow_images.flow_image` (each channel min-max scaled to 0..255 per image).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch
from torch import Tensor

from molkit.baselines.features import VideoFeatures
from molkit.baselines.ststnet import STSTNet, ststnet_logits
from molkit.data.flow_images import FlowImages, to_file_order
from molkit.model.released import read_state_dict

AUTHORS_PREFIXES = {"conv1.": "streams.0.0.", "conv2.": "streams.1.0.", "conv3.": "streams.2.0."}
AUTHORS_PREFIXES |= {"bn1.": "streams.0.2.", "bn2.": "streams.1.2.", "bn3.": "streams.2.2.", "fc.": "fc."}


def molkit_key(authors_key: str) -> str:
    """molkit's name for one of the authors' parameters or buffers."""
    for old, new in AUTHORS_PREFIXES.items():
        if authors_key.startswith(old):
            return new + authors_key[len(old) :]
    raise KeyError(f"not a key of the authors' STSTNet: {authors_key!r}")


def from_authors_state_dict(state_dict: dict[str, Tensor]) -> STSTNet:
    """A 3-class STSTNet (eval mode, input scale 1) holding the authors' weights."""
    model = STSTNet(n_classes=3)
    converted = {molkit_key(key): value for key, value in state_dict.items()}
    converted["scale"] = torch.ones_like(model.scale)
    missing = sorted(set(model.state_dict()) - set(converted))
    if missing:
        raise KeyError(f"the authors' state dict lacks {missing}")
    model.load_state_dict(converted)
    return model.eval()


def load_authors_weights(path: str | Path) -> STSTNet:
    """One of the authors' ``.pth`` files (read tensors-only) as a molkit STSTNet."""
    state_dict = read_state_dict(path)
    try:
        return from_authors_state_dict(state_dict)
    except (KeyError, RuntimeError) as err:
        raise ValueError(f"{path}: not the authors' STSTNet weights ({err})") from err


def authors_loso(images: FlowImages, weights_dir: str | Path) -> pd.DataFrame:
    """The authors' composite LOSO with their weights: each held-out subject's public images
    (:func:`molkit.data.flow_images.read_flow_images`) through ``<weights_dir>/<subject>.pth``
    (the authors' subject name: ``sub01``, ``006``, ``s01``), in the files' channel order. One
    row per image, as a molkit baseline's ``predictions.csv`` (fold, subject, video_id, label,
    pred, logit_0..2); score it per dataset column like any LOSO run."""
    tables = []
    authors_subject = images.table.name.str.split("_").str[0]
    for subject, part in images.table.groupby(authors_subject, sort=True):
        weights = Path(weights_dir) / f"{subject}.pth"
        if not weights.is_file():
            raise FileNotFoundError(f"{weights}: no weight file for subject {subject}")
        x = to_file_order(images.images[part.index.to_numpy()])
        test = VideoFeatures(part[["subject", "video_id", "label"]], x)
        tables.append(
            test.predictions(ststnet_logits(load_authors_weights(weights), x)).set_index(part.index)
        )
    table = pd.concat(tables).sort_index(ignore_index=True)  # the images' order
    table.insert(0, "fold", table.subject)
    return table
