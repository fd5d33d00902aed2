"""Every action unit the owners' sheets code moves the face the way FACS describes it, checked
against a table of directions written here (not read from the generator) with a naive bump sum;
codes are read as coders write them (laterality, intensity, alternatives) and what cannot be
rendered is named."""

from __future__ import annotations

import numpy as np
import pytest

from molkit.synthetic.action_units import ACTION_UNITS, FaceGeometry
from molkit.synthetic.codes import Code, parse_codes
from molkit.synthetic.faces import source_faces
from molkit.synthetic.twin import code_bumps
from molkit.synthetic.twin_table import shipped_table

CASME2_CODES = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 16, 17, 18, 20, 24, 25, 26, 38)


@pytest.fixture(scope="module")
def face() -> FaceGeometry:
    return FaceGeometry(source_faces()[0].landmarks.astype(np.float64))


def naive_displacement(bumps, point, factors=None) -> np.ndarray:
    """Sum over bumps of (1 - s^2)^2 inside the ellipse times the bump's vector, one by one."""
    total = np.zeros(2)
    for k, bump in enumerate(bumps):
        s2 = sum(((point[i] - bump.centre[i]) / bump.radii[i]) ** 2 for i in range(2))
        if s2 < 1:
            total += (1 - s2) ** 2 * bump.vector * (1.0 if factors is None else factors[k])
    return total


def directions(g: FaceGeometry, point: np.ndarray) -> dict[str, np.ndarray]:
    """Unit directions at ``point`` in image coordinates: up/down along the face, medial (towards
    the midline through the nose bridge), lateral, and the subject's left (the image's right)."""
    side = np.sign((point - g.point(27)) @ g.ex) or 1.0
    return {"up": -g.ey, "down": g.ey, "medial": -side * g.ex, "lateral": side * g.ex, "subject_left": g.ex}


# FACS (Ekman, Friesen & Hager 2002), in the face's own axes: where to look and which way it moves.
LANDMARKS = lambda *i: lambda g: [g.point(k) for k in i]  # noqa: E731
FACS = {
    "AU1": (LANDMARKS(21, 22), ("up",)),  # inner brows raised
    "AU2": (LANDMARKS(18, 25), ("up",)),  # outer brows raised
    "AU4": (  # brows lowered and drawn together: the heads of the brows, either side of the glabella
        lambda g: [0.75 * g.point(21) + 0.25 * g.point(22), 0.25 * g.point(21) + 0.75 * g.point(22)],
        ("down", "medial"),
    ),
    "AU5": (LANDMARKS(37, 38, 43, 44), ("up",)),  # upper lids raised
    "AU6": (
        lambda g: [g.left_eye + 0.45 * g.iod * g.ey, g.right_eye + 0.45 * g.iod * g.ey],
        ("up",),
    ),  # cheeks
    "AU7": (LANDMARKS(40, 41, 46, 47), ("up",)),  # lower lids tightened upwards
    "AU8": (LANDMARKS(51), ("down",)),  # lips toward each other: upper lip down ...
    "AU9": (LANDMARKS(31, 35), ("up",)),  # nose wrinkled: wings raised
    "AU10": (LANDMARKS(50, 52), ("up",)),  # upper lip raised
    "AU12": (LANDMARKS(48, 54), ("up", "lateral")),  # lip corners up and out
    "AU13": (LANDMARKS(48, 54), ("up",)),  # sharp lip puller: corners up steeply
    "AU14": (LANDMARKS(48, 54), ("medial",)),  # dimpler: corners tightened inwards
    "AU15": (LANDMARKS(48, 54), ("down",)),  # lip corners down
    "AU16": (LANDMARKS(56, 57, 58), ("down",)),  # lower lip depressed
    "AU17": (lambda g: [0.5 * (g.point(57) + g.point(8))], ("up",)),  # chin boss pushed up
    "AU18": (LANDMARKS(48, 54), ("medial",)),  # lips puckered: corners drawn to the midline
    "AU20": (LANDMARKS(48, 54), ("lateral",)),  # lips stretched sideways
    "AU21": (LANDMARKS(6, 10), ("down",)),  # neck tightened: jaw-line skin pulled down
    "AU23": (LANDMARKS(48, 54), ("medial",)),  # lips tightened: narrowed
    "AU24": (LANDMARKS(51), ("down",)),  # lips pressed: upper lip down ...
    "AU25": (LANDMARKS(51), ("up",)),  # lips part: upper lip up ...
    "AU26": (LANDMARKS(57, 8), ("down",)),  # jaw drops
    "AU31": (LANDMARKS(3, 13), ("lateral",)),  # jaw clenched: masseters bulge
    "AU38": (LANDMARKS(31, 35), ("lateral",)),  # nostrils dilated
    "AU39": (LANDMARKS(31, 35), ("medial",)),  # nostrils compressed
    "AU43": (LANDMARKS(37, 38, 43, 44), ("down",)),  # eyes closed: upper lids down
    "AU61": (lambda g: [g.left_eye, g.right_eye], ("subject_left",)),  # eyes turned to the left
}
# ... and the other lip, for the codes that move both lips.
OTHER_LIP = {"AU8": "up", "AU23": None, "AU24": "up", "AU25": "down"}


def test_every_code_of_casme2_and_every_rendered_code_has_a_facs_check():
    assert {f"AU{n}" for n in CASME2_CODES} <= set(ACTION_UNITS)
    assert set(FACS) == set(ACTION_UNITS)


@pytest.mark.parametrize("au", sorted(ACTION_UNITS, key=lambda a: int(a[2:])))
def test_action_unit_moves_the_way_facs_says(face, au):
    where, moves = FACS[au]
    bumps = ACTION_UNITS[au].place(face)
    for point in where(face):
        shift = naive_displacement(bumps, point)
        assert np.linalg.norm(shift) > 0.2, f"{au}: {point} does not move"
        unit = shift / np.linalg.norm(shift)
        for name in moves:
            assert unit @ directions(face, point)[name] > 0.25, f"{au} at {point}: not {name} ({unit})"
    if OTHER_LIP.get(au):
        shift = naive_displacement(bumps, face.point(57))
        assert shift @ directions(face, face.point(57))[OTHER_LIP[au]] > 0.2, au
    # nothing far from the action unit's regions moves: the eyes' centres for mouth codes and back
    far = face.point(57) if au in ("AU1", "AU2", "AU4", "AU5", "AU7", "AU43", "AU61") else face.point(27)
    if au not in ("AU6", "AU9", "AU38", "AU39"):  # the cheek and nose codes lie near the bridge
        assert np.linalg.norm(naive_displacement(bumps, far)) == 0.0, au


def test_laterality_moves_the_subjects_own_side(face):
    """L12 is the subject's left corner, the image's right (dlib 54); R12 the other; A12 both,
    one weaker; T18/B18 one lip."""
    rng = np.random.default_rng(0)
    for side, moving, still in (("L", 54, 48), ("R", 48, 54)):
        bumps, factors = code_bumps(face, (Code("AU12", side),), rng)
        assert np.linalg.norm(naive_displacement(bumps, face.point(moving), factors)) > 0.2
        assert np.linalg.norm(naive_displacement(bumps, face.point(still), factors)) == 0.0
    bumps, factors = code_bumps(face, (Code("AU12", "A"),), rng)
    sizes = sorted(np.linalg.norm(naive_displacement(bumps, face.point(k), factors)) for k in (48, 54))
    assert sizes[0] == pytest.approx(0.5 * sizes[1], rel=0.05)
    top, _ = code_bumps(face, (Code("AU18", "T"),), rng)
    bottom, _ = code_bumps(face, (Code("AU18", "B"),), rng)
    assert np.linalg.norm(naive_displacement(top, face.point(57))) == 0.0
    assert np.linalg.norm(naive_displacement(bottom, face.point(51))) == 0.0
    loud, factors = code_bumps(face, (Code("AU12", intensity="E"),), rng)
    assert max(factors) / min(factors) == pytest.approx(1.0) and factors[0] == pytest.approx(1.5)


@pytest.mark.parametrize(
    "field, rendered, named",
    [
        ("4+7", ["4", "7"], 0),
        ("R1+R2+25", ["R1", "R2", "25"], 0),
        ("(R6 or R12) + R15", ["R6", "R15"], 1),
        ("10A/B", ["10A"], 1),
        ("A/L12", ["L12"], 1),
        ("ref(7B)+43C", ["7B", "43C"], 1),
        ("R14+17+soft focus", ["R14", "17"], 1),
        ("12+15 ", ["12", "15"], 0),
        ("?", [], 1),
        ("56", [], 1),
        (12, ["12"], 0),
        (None, [], 1),
    ],
)
def test_codes_read_as_coders_write_them(field, rendered, named):
    codes, notes = parse_codes(field)
    assert [c.text for c in codes] == rendered
    assert len(notes) == named
    assert all(isinstance(n, str) and n for n in notes)


def test_every_code_in_the_sheets_is_rendered_or_named():
    """Over every CASME II and SAMM row of the shipped table: each term of the field is rendered
    or gives a note, never dropped."""
    table = shipped_table()
    for field in table.action_units.dropna():
        codes, notes = parse_codes(field)
        terms = [t for t in str(field).replace(" or ", "/").split("+") if t.strip()]
        assert len(codes) + len(notes) >= len(terms) - sum("/" in t for t in terms), field
