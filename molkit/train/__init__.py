"""Joint training and leave-one-subject-out evaluation of MOL."""

from molkit.executors import EXECUTORS, run_tasks
from molkit.sampling import class_weights
from molkit.train.checkpoint import load_checkpoint, save_checkpoint
from molkit.train.config import TrainConfig
from molkit.train.evaluation import end_point_error, inter_ocular_nme, predict_dataset, score, vote_videos
from molkit.train.loso import LosoConfig, LosoResult, load_loso, open_clips, run_fold, run_loso
from molkit.train.protocols import PROTOCOLS, plan_folds, selection_subjects
from molkit.train.trainer import read_log, train_fold

__all__ = [
    "EXECUTORS",
    "PROTOCOLS",
    "LosoConfig",
    "LosoResult",
    "TrainConfig",
    "class_weights",
    "end_point_error",
    "inter_ocular_nme",
    "load_checkpoint",
    "load_loso",
    "open_clips",
    "plan_folds",
    "predict_dataset",
    "read_log",
    "run_fold",
    "run_loso",
    "run_tasks",
    "save_checkpoint",
    "score",
    "selection_subjects",
    "train_fold",
    "vote_videos",
]
