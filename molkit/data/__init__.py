"""From raw datasets to training clips: readers, manifests, alignment, TV-L1, cache, Dataset, LOSO."""

from molkit.data.composite import composite_list, list_coverage, read_composite
from molkit.data.dataset import ClipDataset, read_videos
from molkit.data.datasets import read_dataset
from molkit.data.flow_images import FlowImages, read_flow_images
from molkit.data.manifest import (
    CLASS_SETS,
    COMPOSITE,
    DATASETS,
    Manifest,
    SheetRecord,
    class_names,
    label_column,
)
from molkit.data.pipeline import PrepReport, PrepSettings, prepare
from molkit.data.problems import Problem, problems_by_kind, problems_table
from molkit.data.splits import Fold, SubjectDifference, compare_subjects, loso_folds, released_subjects

__all__ = [
    "CLASS_SETS",
    "COMPOSITE",
    "DATASETS",
    "ClipDataset",
    "FlowImages",
    "Fold",
    "Manifest",
    "PrepReport",
    "PrepSettings",
    "Problem",
    "SheetRecord",
    "SubjectDifference",
    "class_names",
    "compare_subjects",
    "composite_list",
    "label_column",
    "list_coverage",
    "loso_folds",
    "prepare",
    "problems_by_kind",
    "problems_table",
    "read_composite",
    "read_dataset",
    "read_flow_images",
    "read_videos",
    "released_subjects",
]
