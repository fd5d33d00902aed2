"""Action-unit codes as coding sheets write them, read into what the twin renders.

A field such as ``"R1+R2+25"``, ``"(R6 or R12)+R15"``, ``"10A/B"`` or ``"ref(7B)+43"`` is split on
``+``; each term's first alternative (``or``, ``/``) that reads as a code is rendered, the others are
named. A code is ``[side]number[intensity]``: side ``L``/``R`` (unilateral, the *subject's* left or
right, which is the image's right or left), ``A`` (asymmetric: both sides, one weaker), ``T``/``B``
(top or bottom lip only), intensity ``A``-``E`` (FACS: trace to maximum). What cannot be rendered
(``"?"``, ``"soft focus"``, a head-position code) is returned as a note, never dropped silently.
"""

from __future__ import annotations

import dataclasses
import re

from molkit.synthetic.action_units import ACTION_UNITS

_CODE = re.compile(r"([LRABT]?)(\d+)([A-E]?)")
_ALTERNATIVES = re.compile(r"\s+or\s+|/", re.IGNORECASE)
# FACS intensity letters -> movement size relative to an unmarked code (the kit's scale).
INTENSITY = {"": 1.0, "A": 0.5, "B": 0.75, "C": 1.0, "D": 1.25, "E": 1.5}
ASYMMETRIC_WEAK_SIDE = 0.5  # the weaker side of an "A" code moves this much of the stronger one


@dataclasses.dataclass(frozen=True)
class Code:
    """One rendered action unit: ``au`` (``"AU12"``), ``side`` (``""``, ``"L"``, ``"R"``, ``"A"``,
    ``"T"``, ``"B"``) and ``intensity`` letter (``""`` or ``"A"``-``"E"``)."""

    au: str
    side: str = ""
    intensity: str = ""

    @property
    def text(self) -> str:
        return f"{self.side}{self.au.removeprefix('AU')}{self.intensity}"


def _term(term: str) -> tuple[Code | None, list[str]]:
    notes = []
    text, referenced = re.subn(r"^ref\((.*)\)$", r"\1", term.strip(), flags=re.IGNORECASE)
    if referenced:
        notes.append(f"{term.strip()!r}: a reference code, rendered")
    text = text.strip("()").strip()
    options = [o.strip().strip("()") for o in _ALTERNATIVES.split(text) if o.strip()]
    for k, option in enumerate(options):
        match = _CODE.fullmatch(option)
        if not match:
            continue
        side, number, intensity = match.groups()
        if f"AU{number}" not in ACTION_UNITS:
            return None, [f"{option!r}: AU{number} is not rendered (no facial movement defined for it)"]
        if len(options) > 1:
            notes.append(f"{term.strip()!r}: alternatives, {option!r} rendered")
        elif k:
            notes.append(f"{term.strip()!r}: read as {option!r}")
        return Code(f"AU{number}", side, intensity), notes
    return None, [f"{term.strip()!r} is not an action-unit code; not rendered"]


def parse_codes(field: object) -> tuple[tuple[Code, ...], list[str]]:
    """The codes a sheet's action-unit field renders (duplicates merged) and notes on the rest."""
    text = "" if field is None else str(field).strip()
    if text in ("", "nan"):
        return (), ["no action units coded; only the nuisances move"]
    codes: list[Code] = []
    notes: list[str] = []
    for term in re.split(r"\+(?![^(]*\))", text):
        if not term.strip():
            continue
        code, said = _term(term)
        notes += said
        if code and code.au not in {c.au for c in codes}:
            codes.append(code)
    return tuple(codes), notes
