"""SMIC-HS as released: ``HS/s1/micro/negative/s1_ne_01/image010234.bmp``; no sheet, the label is
the emotion folder. ``root`` may be the ``HS`` folder or its parent."""
from __future__ import annotations

from pathlib import Path

from molkit.data.problems import SKIPPED, Problem
from molkit.data.readers.common import subfolders, video_row


def read(root: Path, corrections: Path | None = None) -> tuple[list[dict], list[Problem]]:
    base = root / "HS" if (root / "HS").is_dir() else root
    rows: list[dict] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for subject in subfolders(base, r"s\d+"):
        micro = subject / "micro"
        if not micro.is_dir():
            problems.append(Problem("smic", f"smic/{subject.name}", "missing_frames", str(subject),
                                    "no 'micro' folder", SKIPPED))
            continue
        for emotion in subfolders(micro):
            for folder in subfolders(emotion):
                video_id = f"smic/{subject.name}/{folder.name}"
                if video_id in seen:
                    problems.append(Problem("smic", video_id, "duplicate_id", str(folder),
                                            f"also found at {seen[video_id]}; the first is used", SKIPPED))
                    continue
                seen[video_id] = folder
                row = video_row("smic", subject.name, folder.name, folder, root,
                                {"emotion": emotion.name}, str(folder), problems)
                if row:
                    rows.append(row)
    return rows, problems
