"""The coding sheet of a synthetic set, with CASME II's column names and conventions."""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from pathlib import Path

import openpyxl

from molkit.synthetic.truth import reproducible_zip, write_atomic

SHEET_NAME = "CASME2-coding-synthetic.xlsx"
COLUMNS = (
    "Subject",
    "Filename",
    "OnsetFrame",
    "ApexFrame",
    "OffsetFrame",
    "Action Units",
    "Estimated Emotion",
)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*")


def action_unit_field(action_units: tuple[str, ...] | list[str]) -> str:
    """CASME II's spelling of the action units, like ``"6+12"``."""
    return "+".join(au.removeprefix("AU") for au in action_units)


def write_coding_sheet(
    path: Path,
    rows: list[tuple],
    *,
    columns: tuple[str, ...] = COLUMNS,
    worksheet: str = "Sheet1",
    preamble: tuple[str, ...] = (),
) -> Path:
    """Write rows (in ``columns`` order, under a header row after the ``preamble`` lines) as an
    xlsx whose bytes depend on its content only."""
    book = openpyxl.Workbook()
    book.properties.created = datetime.datetime(1980, 1, 1)
    sheet = book.active
    sheet.title = worksheet
    for line in preamble:
        sheet.append([line])
    sheet.append(columns)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["docProps/core.xml"] = _MODIFIED.sub(rb"\g<1>1980-01-01T00:00:00Z", entries["docProps/core.xml"])
    write_atomic(path, reproducible_zip(entries))
    return path
