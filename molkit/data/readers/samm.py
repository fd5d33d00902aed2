"""SAMM as released: ``root/006/006_1_2/006_05562.jpg`` and a coding sheet (xlsx) whose header
row is not the first row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from molkit.data.readers.common import ReadResult, read_coded


def subject_folder(cell: Any) -> str:
    """``6`` or ``"006"`` -> ``"006"``."""
    text = str(cell).strip()
    digits = re.fullmatch(r"0*(\d+)(?:\.0)?", text)
    return f"{int(digits.group(1)):03d}" if digits else text


def read(root: Path, corrections: Path | None = None) -> ReadResult:
    return read_coded("samm", root, r"\d+", subject_folder, corrections)
