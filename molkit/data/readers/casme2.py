"""CASME II as released: ``root/sub01/EP02_01f/img46.jpg`` and a coding sheet (xlsx) at the root.
Anything else under the root (e.g. the synthetic benchmark's ``ground_truth/``) is ignored."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from molkit.data.readers.common import ReadResult, read_coded


def subject_folder(cell: Any) -> str:
    """``1``, ``"01"`` or ``"sub01"`` -> ``"sub01"``."""
    text = str(cell).strip()
    digits = re.fullmatch(r"(?:sub)?0*(\d+)(?:\.0)?", text, re.IGNORECASE)
    return f"sub{int(digits.group(1)):02d}" if digits else text


def read(root: Path, corrections: Path | None = None) -> ReadResult:
    return read_coded("casme2", root, r"sub\d+", subject_folder, corrections)
