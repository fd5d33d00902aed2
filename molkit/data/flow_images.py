"""The public onset->apex inputs of the MEGC 2019 composite: STSTNet's authors' 28x28 images of
horizontal flow u, vertical flow v and optical strain, one per sample (442), as they distribute
them and as HTNet's public repository ships them again.

Two layouts are read:

- ``flat``: one folder of ``<subject>_<sample> .png`` (a space before ``.png``, as distributed;
  ``<subject>_<sample>.png`` is read too), e.g. ``sub01_EP02_01f .png``, ``006_006_1_2 .png``,
  ``s01_s01_ne_01 .png``;
- ``loso``: one folder per held-out subject, ``<subject>/u_test/<label>/<name> .png`` (STSTNet's
  ``norm_u_v_os``, HTNet's ``three_norm_u_v_os``; the ``u_train`` copies are not read).

The convention (:data:`FILE_CHANNELS`, :func:`flow_image`): ``cv2.imread`` gives the channels in
the order strain, v, u, and each channel of each image is min-max scaled to 0..255 on its own.
:func:`read_flow_images` returns the images in molkit's feature order (u, v, strain:
:data:`CHANNELS`, as :func:`molkit.baselines.features.apex_features`), as float32 0..255; molkit's
own features meet them through :func:`flow_image`, which puts any ``[N, 3, H, W]`` features in
the same convention. Every image is matched to the official list (``megc2019_composite.csv``),
which gives its dataset, subject (``casme2/sub01``, ``samm/006``, ``smic/s1``, as the readers
name them), sample and label; what does not match is a :class:`~molkit.data.problems.Problem`
and the rest is read."""

from __future__ import annotations

import dataclasses
import functools
import io
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from molkit.data.composite import composite_list
from molkit.data.manifest import load_manifest_data, manifest_file
from molkit.data.problems import KEPT, SKIPPED, Problem
from molkit.data.readers import samm

FILE_CHANNELS = ("strain", "v", "u")  # the files' channels in cv2.imread's order
CHANNELS = ("u", "v", "strain")  # molkit's order (the onset->apex features')
SIZE = 28
FLAT, LOSO = "flat", "loso"
TEST_FOLDER = "u_test"
ENV = "MOLKIT_FLOW_IMAGES"  # where the notebooks look for the folder when not told
SOURCE = (
    "the STSTNet authors' images (their README's link: github.com/christy1206/STSTNet), or "
    "HTNet's public copy: github.com/wangzhifengharrison/HTNet, folder datasets/STSNet_whole_norm_u_v_os "
    "(or three_norm_u_v_os, per subject)"
)
_ORDER = [FILE_CHANNELS.index(c) for c in CHANNELS]


def flow_image(features: np.ndarray) -> np.ndarray:
    """Features ``[..., 3, H, W]`` in the public images' convention: each channel of each image
    min-max scaled to 0..255 and rounded (a constant channel becomes 0), as float32. The public
    images are fixed points of it."""
    x = np.asarray(features, dtype=np.float64)
    low = x.min(axis=(-2, -1), keepdims=True)
    span = x.max(axis=(-2, -1), keepdims=True) - low
    scaled = np.divide(x - low, span, out=np.zeros_like(x), where=span > 0)
    return np.round(scaled * 255).astype(np.float32)


def from_file_order(image: np.ndarray) -> np.ndarray:
    """A ``cv2.imread`` image ``[28, 28, 3]`` (strain, v, u) as molkit's ``[3, 28, 28]`` (u, v,
    strain), float32."""
    return np.ascontiguousarray(image.transpose(2, 0, 1)[_ORDER], dtype=np.float32)


def to_file_order(images: np.ndarray) -> np.ndarray:
    """molkit's ``[N, 3, H, W]`` (u, v, strain) in the files' channel order (strain, v, u): what
    the STSTNet authors' weights consume."""
    return np.ascontiguousarray(np.asarray(images)[:, _ORDER])


@functools.cache
def authors_names() -> pd.DataFrame:
    """The official list keyed by the public images' names: ``name`` (``006_006_1_2``),
    ``dataset``, ``subject`` (``samm/006``), ``sample`` (the copy's folder name), ``video_id``
    (``samm/006/006_1_2``), ``label`` (class index), ``line`` (in the list file)."""
    spec = load_manifest_data("composite")["list"]
    raw = pd.read_csv(io.StringIO(manifest_file(spec["file"]).read_text(encoding="utf-8")), dtype=str)
    listed = composite_list()
    subject = [samm.subject_folder(s) if d == "samm" else s.strip() for d, s in zip(raw.dataset, raw.subject)]
    names = [f"{s}_{f.strip()}" for s, f in zip(subject, raw.filename)]
    classes = {name: index for index, name in spec["labels"].items()}
    return pd.DataFrame(
        {
            "name": names,
            "dataset": listed.dataset,
            "subject": listed.dataset + "/" + listed.subject,
            "sample": listed["sample"],
            "video_id": listed.dataset + "/" + listed.subject + "/" + listed["sample"],
            "label": listed.label.map(classes).astype(np.int64),
            "line": listed.line,
        }
    )


@dataclasses.dataclass
class FlowImages:
    """The public images read from ``root`` (``layout`` flat or loso): ``table`` (one row per
    image: dataset, subject, sample, video_id, name (the file's, less
    ``.png``), label, file), ``images`` ``[N, 3, 28, 28]`` float32
    0..255 in molkit's order (u, v, strain), and the ``problems`` met."""

    root: Path
    layout: str
    table: pd.DataFrame
    images: np.ndarray
    problems: list[Problem]

    def __len__(self) -> int:
        return len(self.table)

    @property
    def subjects(self) -> list[str]:
        return sorted(self.table.subject.unique())

    def part(self, subjects: tuple[str, ...] | list[str]) -> tuple[pd.DataFrame, np.ndarray]:
        """The rows and images of ``subjects``."""
        keep = self.table.subject.isin(list(subjects)).to_numpy()
        return self.table[keep].reset_index(drop=True), self.images[keep]


def _stem(path: Path) -> str:
    return path.name[: -len(path.suffix)].rstrip()


def _layout(root: Path) -> str:
    if any(p.is_dir() and (p / TEST_FOLDER).is_dir() for p in root.iterdir()):
        return LOSO
    return FLAT


def _candidates(root: Path, layout: str) -> list[tuple[Path, str | None, int | None]]:
    """(file, its subject folder, its label folder) of every PNG the layout holds."""
    if layout == FLAT:
        return [(p, None, None) for p in sorted(root.glob("*.png")) if p.is_file()]
    found = []
    for subject_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for label_dir in sorted(p for p in (subject_dir / TEST_FOLDER).glob("*") if p.is_dir()):
            label = int(label_dir.name) if label_dir.name.isdigit() else -1
            found += [(p, subject_dir.name, label) for p in sorted(label_dir.glob("*.png")) if p.is_file()]
    return found


def read_flow_images(root: str | Path) -> FlowImages:
    """The public onset->apex images in ``root`` (either layout, found by itself) matched to the
    official composite list. Problems (one each, naming the file): an image whose name is not on
    the list (``not_in_list``), unreadable (``unreadable_image``), not 28x28 with 3 channels
    (``wrong_size``), a second image of one sample (``duplicate_image``), a layout's label or
    subject folder that disagrees with the list (``list_label``, ``list_subject``: the list's is
    used), a listed sample without an image (``missing_image``). A folder that holds no usable
    image at all is an error."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder of onset->apex images")
    layout = _layout(root)
    listed = authors_names().set_index("name")
    where_list = load_manifest_data("composite")["list"]["file"]
    problems: list[Problem] = []
    rows, images, seen = [], [], {}

    def problem(dataset: str, video: str, kind: str, where: Path | str, message: str, action: str) -> None:
        problems.append(Problem(dataset, video, kind, str(where), message, action))

    for path, subject_folder, label_folder in _candidates(root, layout):
        name = _stem(path)
        if name not in listed.index:
            problem(
                "composite",
                name,
                "not_in_list",
                path,
                "its name is not a sample of the MEGC 2019 list",
                SKIPPED,
            )
            continue
        entry = listed.loc[name]
        video_id = entry.video_id
        if video_id in seen:
            problem(
                entry.dataset,
                video_id,
                "duplicate_image",
                path,
                f"a second image of it ({seen[video_id]} was read)",
                SKIPPED,
            )
            continue
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            problem(entry.dataset, video_id, "unreadable_image", path, "not a readable image", SKIPPED)
            continue
        if image.shape != (SIZE, SIZE, 3):
            shape = "x".join(str(n) for n in image.shape)
            problem(entry.dataset, video_id, "wrong_size", path, f"{shape}, not {SIZE}x{SIZE}x3", SKIPPED)
            continue
        if label_folder is not None and label_folder != entry.label:
            problem(
                entry.dataset,
                video_id,
                "list_label",
                path,
                f"its folder says label {label_folder}, the list (line {entry.line}) {entry.label}; the list's is used",
                KEPT,
            )
        if subject_folder is not None and subject_folder != name.split("_")[0]:
            problem(
                entry.dataset,
                video_id,
                "list_subject",
                path,
                f"in subject folder {subject_folder}, the list's subject is {entry.subject}; the list's is used",
                KEPT,
            )
        seen[video_id] = path.name
        rows.append(
            {
                "dataset": entry.dataset,
                "subject": entry.subject,
                "sample": entry["sample"],
                "video_id": video_id,
                "name": name,
                "label": int(entry.label),
                "file": path.relative_to(root).as_posix(),
            }
        )
        images.append(from_file_order(image.astype(np.uint8)))
    for name, entry in listed.iterrows():
        video_id = entry.video_id
        if video_id not in seen:
            problem(
                entry.dataset,
                video_id,
                "missing_image",
                f"{where_list} line {entry.line}",
                f"no image {name} .png",
                SKIPPED,
            )
    if not rows:
        raise FileNotFoundError(
            f"{root}: no onset->apex image of the MEGC 2019 list in it (expected {layout} layout: "
            f"{'<subject>_<sample> .png' if layout == FLAT else '<subject>/u_test/<label>/*.png'})"
        )
    table = pd.DataFrame(rows).sort_values("video_id", kind="stable")
    order = table.index.to_numpy()
    return FlowImages(root, layout, table.reset_index(drop=True), np.stack(images)[order], problems)
