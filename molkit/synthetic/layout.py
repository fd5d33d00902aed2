"""Where a twin's samples go: each dataset's folder names, frame names and coding sheet, as the
owners ship them, so that the kit's readers read a twin like a real copy."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from molkit.synthetic.sheet import COLUMNS, write_coding_sheet


@dataclasses.dataclass(frozen=True)
class Layout:
    """A dataset's layout: sheet file, worksheet, preamble lines and columns."""

    dataset: str
    sheet: str
    worksheet: str
    columns: tuple[str, ...]
    preamble: tuple[str, ...] = ()

    def folder(self, subject: str, sample: str, emotion: str) -> str:
        """A sample's folder, relative to the copy's root."""
        if self.dataset == "smic":
            return f"HS/{subject}/micro/{emotion}/{sample}"
        return f"{subject}/{sample}"

    def frame_name(self, subject: str, number: int) -> str:
        return {"casme2": f"img{number}.jpg", "samm": f"{subject}_{number:05d}.jpg"}.get(
            self.dataset, f"image{number:06d}.bmp"
        )

    def sheet_row(self, spec: dict) -> tuple:
        """One row of the coding sheet, in :attr:`columns` order, as the owners write it."""
        subject, emotion = spec["subject"], spec["emotion"]
        if self.dataset == "casme2":
            cells = (subject.removeprefix("sub"), spec["sample"], spec["onset"], spec["apex"], spec["offset"])
            return (*cells, spec["action_units"], emotion)
        if self.dataset == "samm":
            cells = (subject, spec["sample"], spec["onset"], spec["apex"], spec["offset"])
            return (*cells, spec["action_units"], emotion.capitalize())
        first, last = spec["numbers"][0], spec["numbers"][-1]
        return (int(subject[1:]), spec["sample"], spec["onset"], spec["offset"], first, last, emotion)

    def write_sheet(self, root: Path, specs: list[dict]) -> Path:
        rows = [self.sheet_row(spec) for spec in specs]
        return write_coding_sheet(
            root / self.sheet, rows, columns=self.columns, worksheet=self.worksheet, preamble=self.preamble
        )


LAYOUTS = {
    "casme2": Layout(
        "casme2",
        "CASME2-coding-20140508.xlsx",
        "Sheet1",
        COLUMNS,  # CASME II's own, as the easy tier writes them
    ),
    "samm": Layout(
        "samm",
        "SAMM_Micro_FACS_Codes_v2.xlsx",
        "MICRO_ONLY",
        (
            "Subject",
            "Filename",
            "Onset Frame",
            "Apex Frame",
            "Offset Frame",
            "Action Units",
            "Estimated Emotion",
        ),
        ("SAMM twin (molkit, synthetic) - Master FACS Codes", ""),
    ),
    "smic": Layout(
        "smic",
        "SMIC-HS-E_annotation.xlsx",
        "HS",
        ("Subject", "Filename", "OnsetF", "OffsetF", "FirstF", "LastF", "Emotion"),
    ),
}
