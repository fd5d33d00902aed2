"""Onset->apex optical flow: one TV-L1 flow per video, from the coding sheet's onset frame to its
apex frame, on the aligned 144 px frames the clips are cut from (what STSTNet-style baselines
read). A video whose onset or apex cannot be used keeps its clips for MOL, gets no such flow, and
is named in the problems table with the reason; where its clip is onset..apex itself
(``PrepSettings.span`` ``"onset-apex"``) it has no clip either, and is named and skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from molkit.data.problems import KEPT, SKIPPED, Problem
from molkit.data.readers.common import frame_number

MISSING = "no_apex_flow"  # problem kind of a video without an onset->apex flow
NO_CLIP = "no_onset_apex_clip"  # ... and of one without an onset..apex clip (span "onset-apex")


def coded_frame(value: Any) -> int | None:
    """A sheet's frame number as an int (None when not coded)."""
    return None if value is None or pd.isna(value) else int(value)


def onset_apex_positions(row: dict[str, Any], prepared: int | None = None) -> tuple[int, int] | str:
    """Positions of the coded onset and apex frames in the video's sorted frame list, or why
    there are none. Only the first ``prepared`` frames (those the clips use) are aligned, so
    both frames must be among them; None: any of the video's frames."""
    onset, apex = coded_frame(row.get("onset")), coded_frame(row.get("apex"))
    numbers = [frame_number(Path(p)) for p in row["frame_paths"][:prepared]]
    among = (
        f"the video's {len(numbers)} frames"
        if prepared is None
        else f"the {prepared} frames prepared for clips"
    )
    if row.get("dataset") == "smic" and apex is None:
        onset, apex = smic_onset_apex(onset, coded_frame(row.get("offset")), numbers)
    if onset is None or apex is None:
        return f"{'onset' if onset is None else 'apex'} is not coded"
    if apex <= onset:
        return f"apex {apex} is not after onset {onset}"
    for name, number in (("onset", onset), ("apex", apex)):
        if number not in numbers:
            return f"{name} frame {number} is not among {among} (numbers {numbers[0]}..{numbers[-1]})"
    return numbers.index(onset), numbers.index(apex)


def smic_onset_apex(onset: int | None, offset: int | None, numbers: list) -> tuple[int | None, int | None]:
    """SMIC codes no apex: the prepared frame nearest the middle of onset..offset stands for it
    (the folder's first and last frames when the onset or offset is not coded either: an SMIC-HS
    folder holds the micro-expression itself)."""
    known = [n for n in numbers if n is not None]
    if not known:
        return onset, None
    onset = known[0] if onset is None else onset
    offset = known[-1] if offset is None else offset
    middle = (onset + offset) / 2
    return onset, min(known, key=lambda n: (abs(n - middle), n))


def missing_problem(row: dict[str, Any], reason: str, root: Path, *, clip: bool = False) -> Problem:
    """The problems-table row of a video without an onset->apex flow (kept for MOL), or with
    ``clip`` of one without an onset..apex clip (``PrepSettings.span`` ``"onset-apex"``: skipped)."""
    kind, message, action = (
        (NO_CLIP, f"no onset..apex clip: {reason}; skipped (PrepSettings.span 'onset-apex')", SKIPPED)
        if clip
        else (
            MISSING,
            f"no onset->apex flow: {reason}; kept for MOL, left out of the onset->apex baselines",
            KEPT,
        )
    )
    return Problem(row["dataset"], row["video_id"], kind, str(root / row["folder"]), message, action)
