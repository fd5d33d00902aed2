"""Where LOSO folds run: this process, local worker processes, or Slurm jobs through submitit.

A fold task writes its own results to disk and seeds itself from its configuration, so the
executor changes where the work happens and nothing in the results.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import torch
from tqdm.auto import tqdm

EXECUTORS = ("inprocess", "processes", "slurm", "submitit-local")
DEFAULT_TIMEOUT_MIN = 24 * 60  # submitit's own default stops local jobs after a few minutes
R = TypeVar("R")


def run_tasks(
    function: Callable[..., R],
    tasks: Sequence[tuple],
    executor: str = "inprocess",
    workers: int | None = None,
    slurm: dict[str, Any] | None = None,
    folder: str | Path = "jobs",
    progress: bool = True,
) -> list[R]:
    """``[function(*task) for task in tasks]``, computed where ``executor`` says, in task order.

    - ``inprocess``: one after another here.
    - ``processes``: ``workers`` spawned processes (default: one per GPU, else one); with several
      GPUs each worker sees one of them; CPU threads are shared out between workers.
    - ``slurm`` / ``submitit-local``: a submitit job array (``slurm`` holds submitit parameters
      such as ``slurm_partition``, ``timeout_min`` (default one day), ``gpus_per_node``; logs go
      to ``folder``).
    ``function`` must be importable by name (a module-level function or a partial of one).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    if not tasks:
        return []
    if executor == "inprocess":
        return [function(*task) for task in tqdm(tasks, desc="folds", disable=not progress)]
    if executor == "processes":
        gpus = torch.cuda.device_count()
        workers = min(len(tasks), workers or max(1, gpus))
        context = multiprocessing.get_context("spawn")
        free_gpus = context.Queue()
        for gpu in range(gpus):
            free_gpus.put(gpu)
        threads = max(1, torch.get_num_threads() // workers)
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(free_gpus, threads)
        ) as pool:
            futures = [pool.submit(function, *task) for task in tasks]
            return [f.result() for f in tqdm(futures, desc="folds", disable=not progress)]
    import submitit

    cluster = "local" if executor == "submitit-local" else "slurm"
    jobs_executor = submitit.AutoExecutor(folder=Path(folder), cluster=cluster)
    jobs_executor.update_parameters(**{"timeout_min": DEFAULT_TIMEOUT_MIN, **(slurm or {})})
    jobs = jobs_executor.map_array(function, *zip(*tasks))
    return [job.result() for job in tqdm(jobs, desc="folds", disable=not progress)]


def _start_worker(free_gpus: multiprocessing.Queue[int], threads: int) -> None:
    """Give a spawned worker its own GPU (if one is left) before CUDA starts, and its threads."""
    try:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(free_gpus.get_nowait())
    except queue.Empty:
        pass
    torch.set_num_threads(threads)
