"""Where independent tasks run (LOSO folds, the videos of a preparation): this process, local
worker processes, or a submitit job array on Slurm (or on this machine, ``submitit-local``).

A task writes its own results to disk and seeds itself from its arguments, so the executor
changes where the work happens and nothing in the results. :func:`run_tasks` also fixes the CPU
threads a task computes on (:data:`TASK_THREADS`), in every executor: torch's CPU results depend on
its thread count (a trained model's last digits, then its predictions), so the count belongs to the
task, not to how many tasks run side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import multiprocessing
import os
import queue
import shutil
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Generic, TypeVar

import torch
from tqdm.auto import tqdm

EXECUTORS = ("inprocess", "processes", "slurm", "submitit-local")
DEFAULT_TIMEOUT_MIN = 24 * 60  # submitit's own default stops local jobs after a few minutes
# CPU threads of a task of run_tasks (a LOSO fold), wherever it runs: one, so that a fold gives the
# same bytes in this process and beside others (a CPU's cores go to folds side by side)
TASK_THREADS = 1
R = TypeVar("R")


@dataclasses.dataclass
class Outcome(Generic[R]):
    """One task's end: its ``value``, or the ``error`` that ended it and ``where`` to read more
    (a submitit job's id and its stderr log)."""

    index: int
    value: R | None = None
    error: BaseException | None = None
    where: str = ""


def each_outcome(
    function: Callable[..., R],
    tasks: Sequence[tuple],
    *,
    executor: str = "inprocess",
    workers: int | None = None,
    threads: int | None = None,
    slurm: dict[str, Any] | None = None,
    folder: str | Path = "jobs",
) -> Iterator[Outcome[R]]:
    """``function(*task)`` for each task, computed where ``executor`` says, yielded as each ends
    (an error ends one task, not the others; ``KeyboardInterrupt`` ends them all).

    - ``inprocess``: one after another here (on ``threads`` CPU threads each when given, the
      process's own restored after each; else on the process's threads).
    - ``processes``: ``workers`` spawned processes (default: one per GPU, else one); with several
      GPUs each worker sees one of them; ``threads`` CPU threads each (torch and OpenCV; default:
      this process's threads shared out).
    - ``slurm`` / ``submitit-local``: a submitit job array, one job per task (``slurm`` holds
      submitit parameters such as ``slurm_partition``, ``timeout_min`` (default one day),
      ``gpus_per_node``; logs go to ``folder``); each job runs ``threads`` threads when given.
    ``function`` must be importable by name (a module-level function or a partial of one).
    """
    check_executor(executor)
    if not tasks:
        return
    if executor == "inprocess":
        for index, task in enumerate(tasks):
            try:
                with task_threads(threads):
                    value = function(*task)
            except Exception as err:
                yield Outcome(index, error=err, where="this process")
            else:
                yield Outcome(index, value=value)
        return
    if executor == "processes":
        gpus = torch.cuda.device_count()
        workers = min(len(tasks), workers or max(1, gpus))
        context = multiprocessing.get_context("spawn")  # forking running thread pools can hang
        free_gpus = context.Queue()
        for gpu in range(gpus):
            free_gpus.put(gpu)
        threads = threads or max(1, torch.get_num_threads() // workers)
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(free_gpus, threads)
        ) as pool:
            futures = {pool.submit(function, *task): index for index, task in enumerate(tasks)}
            for future in as_completed(futures):
                error = future.exception()
                yield Outcome(
                    futures[future],
                    value=None if error else future.result(),
                    error=error,
                    where="a worker process",
                )
        return
    import submitit
    from submitit.helpers import as_completed as jobs_completed

    local = executor == "submitit-local"
    jobs_executor = submitit.AutoExecutor(folder=Path(folder), cluster="local" if local else "slurm")
    jobs_executor.update_parameters(**{"timeout_min": DEFAULT_TIMEOUT_MIN, **(slurm or {})})
    if threads:
        function = functools.partial(_with_threads, threads, function)
    jobs = jobs_executor.map_array(function, *zip(*tasks))
    index_of = {job.job_id: index for index, job in enumerate(jobs)}
    for job in jobs_completed(jobs, poll_frequency=0.5 if local else 10):
        error = job.exception()
        yield Outcome(
            index_of[job.job_id],
            value=None if error else job.result(),
            error=error,
            where=f"job {job.job_id} (log {job.paths.stderr})",
        )


def check_executor(executor: str) -> None:
    """A clear error for an unknown executor, or for ``slurm`` where Slurm is not installed."""
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    if executor == "slurm" and shutil.which("srun") is None:
        raise FileNotFoundError(
            "srun: not found: the slurm executor needs a Slurm cluster "
            "(submitit-local runs the same job array on this machine)"
        )


def run_tasks(
    function: Callable[..., R],
    tasks: Sequence[tuple],
    executor: str = "inprocess",
    workers: int | None = None,
    slurm: dict[str, Any] | None = None,
    folder: str | Path = "jobs",
    *,
    progress: bool = True,
    desc: str = "folds",
    threads: int | None = TASK_THREADS,
) -> list[R]:
    """``[function(*task) for task in tasks]``, computed where ``executor`` says
    (:func:`each_outcome`), in task order; the first error raises. Each task computes on
    ``threads`` CPU threads (torch and OpenCV; default :data:`TASK_THREADS`) whichever executor
    and however many workers run it, so its results are the same bytes (on CPU) either way; None
    leaves the count to the executor (this process's threads, or each worker's share: a model
    trained then differs in its last digits from one executor or worker count to another)."""
    values: dict[int, R] = {}
    outcomes = each_outcome(
        function, tasks, executor=executor, workers=workers, threads=threads, slurm=slurm, folder=folder
    )
    for outcome in tqdm(outcomes, total=len(tasks), desc=desc, disable=not progress):
        if outcome.error is not None:
            raise outcome.error
        values[outcome.index] = outcome.value
    return [values[index] for index in range(len(tasks))]


def set_threads(threads: int) -> None:
    """Give this process ``threads`` CPU threads in torch and OpenCV."""
    import cv2

    cv2.setNumThreads(threads)
    torch.set_num_threads(threads)


@contextlib.contextmanager
def task_threads(threads: int | None) -> Iterator[None]:
    """This process on ``threads`` CPU threads (torch and OpenCV) inside the block, its own
    restored after; None: unchanged."""
    if not threads:
        yield
        return
    import cv2

    before = (cv2.getNumThreads(), torch.get_num_threads())
    set_threads(threads)
    try:
        yield
    finally:
        cv2.setNumThreads(before[0])
        torch.set_num_threads(before[1])


def _with_threads(threads: int, function: Callable[..., R], *args: Any) -> R:
    set_threads(threads)
    return function(*args)


def _start_worker(free_gpus: multiprocessing.Queue[int], threads: int) -> None:
    """Give a spawned worker its own GPU (if one is left) before CUDA starts, and its threads."""
    try:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(free_gpus.get_nowait())
    except queue.Empty:
        pass
    set_threads(threads)


def add_slurm_arguments(parser: argparse.ArgumentParser, *, timeout_min: int, what: str, gpus: int) -> None:
    """``--slurm-partition``, ``--timeout-min`` and ``--gpus-per-node`` for ``--executor slurm``."""
    parser.add_argument("--slurm-partition")
    parser.add_argument("--timeout-min", type=int, default=timeout_min, help=f"Slurm time limit per {what}")
    parser.add_argument("--gpus-per-node", type=int, default=gpus)


def slurm_parameters(args: argparse.Namespace) -> dict[str, Any] | None:
    """The submitit parameters of :func:`add_slurm_arguments`' options (None unless on Slurm)."""
    if args.executor != "slurm":
        return None
    slurm = {"timeout_min": args.timeout_min, "gpus_per_node": args.gpus_per_node}
    if args.slurm_partition:
        slurm["slurm_partition"] = args.slurm_partition
    return slurm
