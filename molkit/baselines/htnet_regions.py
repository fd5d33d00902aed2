"""HTNet's four facial regions: five points per sample on the 28x28 onset->apex image (eye
centres, nose tip, mouth corners), the 14x14 blocks cut around them and put together as HTNet's
28x28 input, where the points come from, and how far two sets of points put the regions apart.

The authors (github.com/wangzhifengharrison/HTNet, ``main_HTNet.py``) run MTCNN on each sample's
apex face photograph resized to 28x28 (``whole_face_block_coordinates``, lines 54-97): points
outside 7..21 are clamped into it, then truncated to integers; a face MTCNN misses gets fixed
points (lines 78-82, :data:`AUTHORS_FALLBACK`). ``crop_optical_flow_block`` (lines 100-130) cuts
``image[p[0]-7:p[0]+7, p[1]-7:p[1]+7]``: the row is the point's *first* coordinate, MTCNN's x
(:data:`ROWS_FROM_X`; for a frontal face that puts the left mouth corner's region second and the
right eye's fourth, the blocks its code names ``l_lips`` and ``r_eye``). ``main`` (lines
202-205) joins blocks 0 and 1 side by side over blocks 3 and 4; the nose (block 2) is unused.

molkit's departure, named: the points are dlib's 68 landmarks (:mod:`molkit.data.face`) mapped to
the same five (:func:`five_points`): eye centres the means of points 36..41 and 42..47, nose tip
30, mouth corners 48 and 54, found on the full-size face and carried to the 28 px grid
(:func:`to_grid`); :func:`region_disagreement` measures how often that moves a region by more
than a pixel against given points (the authors' MTCNN points, where someone has them: their
repository ships neither the points nor the crops). On a molkit cache the points are the cache's
landmarks of the apex frame (:func:`cache_points`); on the public onset->apex images they come
from a folder of face photographs (:func:`attach_face_points`, dlib once per face, kept in a
small CSV)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from molkit.baselines.features import SIZE, VideoFeatures, apex_features, video_features
from molkit.data import cache, clips
from molkit.data.face import detect_landmarks
from molkit.data.flow_images import FlowImages, flow_image
from molkit.data.problems import KEPT, Problem

POINTS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")  # MTCNN's order
LEFT_EYE, RIGHT_EYE, NOSE_TIP, MOUTH_LEFT, MOUTH_RIGHT = slice(36, 42), slice(42, 48), 30, 48, 54
BLOCK = 14  # a region's side (the authors' crop: centre -7 .. +7)
LOW, HIGH = BLOCK // 2, SIZE - BLOCK // 2  # the authors' clamp of the centres: 7..21
MOSAIC = ((0, 1), (3, 4))  # which points' blocks form the rows of the 28x28 input
USED = tuple(i for row in MOSAIC for i in row)
ROWS_FROM_X = True  # the authors' indexing: row = the point's x, column = its y
# main_HTNet.py lines 78-82: the points the authors use when MTCNN finds no face (28 px grid)
AUTHORS_FALLBACK = np.array(
    [
        [9.528073, 11.062551],
        [21.396168, 10.919773],
        [15.380184, 17.380562],
        [10.255435, 22.121233],
        [20.583706, 22.25584],
    ],
    dtype=np.float32,
)
POINT_COLUMNS = tuple(f"face_{axis}{i}" for i in range(len(POINTS)) for axis in "xy")
FACE_SUFFIXES = (".jpg", ".png", ".jpeg")


def five_points(landmarks: np.ndarray) -> np.ndarray:
    """dlib's 68 landmarks ``[..., 68, 2]`` as MTCNN's five points ``[..., 5, 2]`` (x, y): eye
    centres (means of 36..41 and 42..47: the image's left eye first), nose tip (30), mouth corners
    (48, 54)."""
    marks = np.asarray(landmarks, dtype=np.float64)
    return np.stack(
        [
            marks[..., LEFT_EYE, :].mean(-2),
            marks[..., RIGHT_EYE, :].mean(-2),
            marks[..., NOSE_TIP, :],
            marks[..., MOUTH_LEFT, :],
            marks[..., MOUTH_RIGHT, :],
        ],
        axis=-2,
    ).astype(np.float32)


def to_grid(
    points: np.ndarray, width: float, height: float, offset: tuple[float, float] = (0.0, 0.0)
) -> np.ndarray:
    """Points (x, y) of an image of ``width`` x ``height`` px, less ``offset`` (x, y: the corner of
    the part of it that was resized), in pixels of that part resized to 28x28 (pixel centres
    kept: ``(x + 0.5) * 28 / width - 0.5``)."""
    p = np.asarray(points, dtype=np.float64) - np.asarray(offset, dtype=np.float64)
    scale = np.array([SIZE / width, SIZE / height])
    return ((p + 0.5) * scale - 0.5).astype(np.float32)


def face_points(image: np.ndarray, upsample: int = 1) -> np.ndarray | None:
    """The five points ``[5, 2]`` of the face in a BGR (or grey) photograph, on the 28 px grid of
    the photograph resized to 28x28 as the authors resize it; None when dlib finds no face."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    marks = detect_landmarks(np.ascontiguousarray(grey, dtype=np.uint8), upsample)
    if marks is None:
        return None
    return to_grid(five_points(marks), grey.shape[1], grey.shape[0])


def cache_points(data: dict) -> np.ndarray | None:
    """The five points of a cache file's apex frame (its aligned landmarks) on the 28 px grid of
    :func:`molkit.baselines.features.apex_features` (the 128 px test crop); None without an
    onset->apex flow."""
    if "apex_flow" not in data or "onset_apex" not in data:
        return None
    apex = int(data["onset_apex"][1])
    marks = np.asarray(data["landmarks"][apex], dtype=np.float64)
    crop = float(data["apex_flow"].shape[-1] - 2 * clips.TEST_OFFSET[0])
    return to_grid(five_points(marks), crop, crop, offset=clips.TEST_OFFSET[::-1])


def region_centres(points: np.ndarray) -> np.ndarray:
    """The authors' block centres ``[..., 5, 2]`` (int) of points ``[..., 5, 2]``: clamped into
    7..21, then truncated."""
    return np.clip(np.asarray(points, dtype=np.float64), LOW, HIGH).astype(np.int64)


def region_mosaic(images: np.ndarray, points: np.ndarray, rows_from_x: bool = ROWS_FROM_X) -> np.ndarray:
    """HTNet's input ``[N, C, 28, 28]``: for each image ``[C, 28, 28]`` the 14x14 blocks around
    its points ``[N, 5, 2]`` (:func:`region_centres`), blocks 0 and 1 side by side above blocks 3
    and 4. ``rows_from_x``: the block's row range comes from the point's x (the authors' code),
    else from its y."""
    images = np.asarray(images)
    centres = region_centres(points)
    if not rows_from_x:
        centres = centres[..., ::-1]
    out = np.empty_like(images)
    for n, (image, centre) in enumerate(zip(images, centres, strict=True)):
        for r, row in enumerate(MOSAIC):
            for c, index in enumerate(row):
                top, left = centre[index] - BLOCK // 2
                out[n, :, r * BLOCK : (r + 1) * BLOCK, c * BLOCK : (c + 1) * BLOCK] = image[
                    :, top : top + BLOCK, left : left + BLOCK
                ]
    return out


def region_disagreement(points: np.ndarray, reference: np.ndarray) -> tuple[float, np.ndarray]:
    """How far two sets of points ``[N, 5, 2]`` put HTNet's four regions apart: the share of
    samples where a used block's centre (:func:`region_centres`) moves by more than one pixel
    along either axis, and per sample the largest move (px)."""
    moved = np.abs(region_centres(points) - region_centres(reference))[:, list(USED)].max(axis=(1, 2))
    return (float((moved > 1).mean()) if len(moved) else 0.0), moved


# ---- the data sources


def image_regions(
    images: FlowImages, subjects: tuple[str, ...], rows_from_x: bool = ROWS_FROM_X
) -> VideoFeatures:
    """HTNet's inputs of ``subjects``' public onset->apex images, from the face points
    :func:`attach_face_points` put in their table."""
    check_points(images)
    table, pixels = images.part(subjects)
    points = table[list(POINT_COLUMNS)].to_numpy(np.float32).reshape(-1, len(POINTS), 2)
    return VideoFeatures(table[["subject", "video_id", "label"]], region_mosaic(pixels, points, rows_from_x))


def check_points(images: FlowImages) -> None:
    """Refuse images without face points (HTNet cuts its regions around them)."""
    if not set(POINT_COLUMNS) <= set(images.table.columns):
        raise ValueError(
            f"{images.root}: HTNet cuts its regions around each sample's face; give the folder of "
            "face photographs (molkit loso --faces DIR)"
        )


def cache_regions(dataset, rows_from_x: bool = ROWS_FROM_X) -> VideoFeatures:
    """HTNet's inputs of every video of a ClipDataset (or a concatenation) whose cache file holds
    an onset->apex flow: its features in the public images' convention
    (:func:`molkit.data.flow_images.flow_image`), cut around its apex frame's points."""
    return video_features(dataset, functools.partial(_cache_mosaic, rows_from_x=rows_from_x))


def _cache_mosaic(cache_dir: Path, file: str, rows_from_x: bool) -> np.ndarray | None:
    path = Path(cache_dir) / file
    stat = path.stat() if path.is_file() else None
    found = _cache_image_points(path, stat and (stat.st_ino, stat.st_mtime_ns))
    return None if found is None else region_mosaic(found[0][None], found[1][None], rows_from_x)[0]


@functools.lru_cache(maxsize=4096)
def _cache_image_points(path: Path, version: tuple[int, int] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """A cache file's features (0..255) and apex points, once per file ``version``."""
    data = cache.load_tensors(path)
    points = cache_points(data)
    if points is None:
        return None
    return flow_image(apex_features(data["apex_flow"])), points


# ---- face photographs of the public images


@dataclasses.dataclass
class FacePoints:
    """The five points of each image's face: ``table`` (name, face: the photograph's file name or
    "", sha256, found: dlib found a face, and :data:`POINT_COLUMNS`) and the ``problems`` met."""

    table: pd.DataFrame
    problems: list[Problem]


def face_file(folder: Path, name: str) -> Path | None:
    """The photograph of the public image ``name`` in ``folder``: ``<name>.jpg`` (or .png, .jpeg);
    for SMIC also with the sample's subject unpadded (``s01_s1_ne_01`` for ``s01_s01_ne_01``), as
    HTNet's ``combined_datasets_whole`` names them."""
    stems = [name]
    first, second, *rest = name.split("_") + ["", ""]
    if second[:1] == "s" and second[1:].isdigit():
        stems.append("_".join([first, f"s{int(second[1:])}", *[r for r in rest if r]]))
    for stem in stems:
        for suffix in FACE_SUFFIXES:
            if (folder / f"{stem}{suffix}").is_file():
                return folder / f"{stem}{suffix}"
    return None


def read_face_points(
    folder: str | Path, images: FlowImages, store: str | Path, upsample: int = 1
) -> FacePoints:
    """The five points of every image's face photograph in ``folder`` (:func:`face_points`),
    kept in ``store`` (CSV, written atomically): a face whose file name and SHA-256 are there
    already is not detected again. A sample without a photograph or an unreadable one
    (``missing_face``, ``unreadable_face``), or one where dlib finds no face (``no_face``), takes
    the authors' fallback points (:data:`AUTHORS_FALLBACK`, as their code does when MTCNN finds
    none) and is kept, one problem each. A folder that is not one, or holds no photograph of
    these images, is an error."""
    folder, store = Path(folder), Path(store)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder of face photographs")
    files = {name: face_file(folder, name) for name in images.table.name}
    if not any(files.values()):
        raise FileNotFoundError(
            f"{folder}: no face photograph of the onset->apex images in it (expected <name>.jpg, "
            "as HTNet's datasets/combined_datasets_whole)"
        )
    known = _read_store(store)
    rows, problems, computed = [], [], 0
    for entry in images.table.itertuples():
        path = files[entry.name]
        row = {"name": entry.name, "face": "", "sha256": "", "found": False}
        points, kind, message = None, "", ""
        if path is None:
            kind, message = "missing_face", f"no face photograph {entry.name}.jpg"
        else:
            data = path.read_bytes()
            row.update(face=path.name, sha256=hashlib.sha256(data).hexdigest())
            old = known.get((row["face"], row["sha256"]))
            if old is not None and old["found"]:
                points = np.array([old[c] for c in POINT_COLUMNS], np.float32).reshape(-1, 2)
            elif old is None:
                image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
                computed += 1
                if image is None:
                    kind, message = "unreadable_face", "not a readable image"
                    row["sha256"] = ""  # read again next time
                else:
                    points = face_points(image, upsample)
            if points is None and not kind:
                kind, message = "no_face", "dlib finds no face"
        row["found"] = points is not None
        if points is None:
            problems.append(
                Problem(
                    entry.dataset,
                    entry.video_id,
                    kind,
                    str(path or folder),
                    f"{message}; the authors' fallback points",
                    KEPT,
                )
            )
            points = AUTHORS_FALLBACK
        # to the 4 decimals the store keeps, so that a first run and a rerun cut the same regions
        rows.append(row | dict(zip(POINT_COLUMNS, np.round(np.asarray(points, np.float64), 4).ravel())))
    table = pd.DataFrame(rows, columns=["name", "face", "sha256", "found", *POINT_COLUMNS])
    if computed:
        cache.atomic_write_text(store, table.to_csv(index=False, float_format="%.4f"))
    return FacePoints(table, problems)


def _read_store(store: Path) -> dict[tuple[str, str], dict]:
    if not store.is_file():
        return {}
    table = pd.read_csv(io.StringIO(store.read_text(encoding="utf-8")), dtype={"face": str, "sha256": str})
    table = table[table.face.notna() & table.sha256.notna()]
    return {(r["face"], r["sha256"]): r for r in table.to_dict("records")}


def attach_face_points(
    images: FlowImages, folder: str | Path, store: str | Path, upsample: int = 1
) -> FlowImages:
    """``images`` with each sample's five face points in its table (:data:`POINT_COLUMNS`, from
    :func:`read_face_points`) and the faces' problems added to its own."""
    points = read_face_points(folder, images, store, upsample)
    table = images.table.drop(columns=[c for c in POINT_COLUMNS if c in images.table.columns])
    table = table.merge(points.table[["name", *POINT_COLUMNS]], on="name", how="left", validate="one_to_one")
    return dataclasses.replace(images, table=table, problems=images.problems + points.problems)
