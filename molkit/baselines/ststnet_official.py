"""The STSTNet authors' released weights (github.com/christy1206/STSTNet, ``STSTNet_Weights/``:
68 files, one per LOSO fold of the MEGC 2019 composite, each named by its held-out subject) in
molkit's :class:`~molkit.baselines.ststnet.STSTNet`.

Their keys map by name (``conv1/2/3`` and ``bn1/2/3`` -> ``streams.0/1/2``, ``fc`` -> ``fc``);
molkit's input ``scale`` is set to 1, because the authors feed their images unscaled: 28x28
images read with ``cv2.imread`` (three channels holding the onset->apex u, v and optical strain,
each normalised and saved as an 8-bit image), as floats 0..255, in the channel order ``cv2``
returns. Classes, in logit order: negative, positive, surprise (molkit's "composite" set).

To feed molkit's features (:func:`molkit.baselines.features.apex_features`, flows in pixels)
in that convention, :func:`authors_input` rescales each image to 0..255 and rounds it. The
authors do not publish how they normalised their images nor which channel of their files holds
which map, so their table is reproduced from their own images (:func:`authors_loso`), and
molkit's features through :func:`authors_input` are only an approximation of their input.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import torch
from torch import Tensor

from molkit.baselines.ststnet import STSTNet, ststnet_logits
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


def authors_input(features: np.ndarray) -> np.ndarray:
    """molkit's features ``[N, 3, 28, 28]`` in the authors' convention: each image min-max
    rescaled to 0..255 and rounded (a constant image becomes 0), as float32."""
    x = np.asarray(features, dtype=np.float64)
    low = x.min(axis=(2, 3), keepdims=True)
    span = x.max(axis=(2, 3), keepdims=True) - low
    scaled = np.divide(x - low, span, out=np.zeros_like(x), where=span > 0)
    return np.round(scaled * 255).astype(np.float32)


def read_authors_images(folder: str | Path) -> pd.DataFrame:
    """The images of one split folder of the authors' input (``<folder>/<label>/<image>``):
    columns label, image, x (``[3, 28, 28]`` float32, as ``cv2.imread`` reads the file)."""
    rows = []
    for label_dir in sorted(Path(folder).iterdir()):
        for path in sorted(label_dir.iterdir()):
            image = cv2.imread(str(path))
            if image is None:
                raise ValueError(f"{path}: not a readable image")
            rows.append({"label": int(label_dir.name), "image": path.name, "x": image.transpose(2, 0, 1)})
    return pd.DataFrame(rows, columns=["label", "image", "x"])


def dataset_of(subject: str) -> str:
    """The dataset of one of the authors' subject names: ``sub01`` CASME II, ``s01`` SMIC,
    ``006`` SAMM."""
    return "casme2" if subject.startswith("sub") else "smic" if subject.startswith("s") else "samm"


def authors_loso(input_dir: str | Path, weights_dir: str | Path) -> pd.DataFrame:
    """The authors' composite LOSO with their weights: for every subject folder of their input
    (``norm_u_v_os/<subject>/u_test/<label>/*``), the held-out subject's test images through
    ``<weights_dir>/<subject>.pth``. One row per image: dataset, subject, image, label, pred,
    logit_0..2; score it with :mod:`molkit.metrics` per dataset column."""
    tables = []
    for subject_dir in sorted(p for p in Path(input_dir).iterdir() if p.is_dir()):
        weights = Path(weights_dir) / f"{subject_dir.name}.pth"
        if not weights.is_file():
            raise FileNotFoundError(f"{weights}: no weight file for subject {subject_dir.name}")
        test = read_authors_images(subject_dir / "u_test")
        logits = ststnet_logits(load_authors_weights(weights), np.stack(test.x).astype(np.float32))
        test = test.drop(columns="x").assign(subject=subject_dir.name, dataset=dataset_of(subject_dir.name))
        test["pred"] = logits.argmax(axis=1)
        for c in range(logits.shape[1]):
            test[f"logit_{c}"] = logits[:, c]
        tables.append(test)
    if not tables:
        raise FileNotFoundError(f"{input_dir}: no subject folder (expected the authors' norm_u_v_os layout)")
    columns = ["dataset", "subject", "image", "label", "pred", "logit_0", "logit_1", "logit_2"]
    return pd.concat(tables, ignore_index=True)[columns]
