"""The report's verdict: per claim of the paper, one plain sentence stating the finding and a small
table of the numbers behind it with their 95% intervals, each computed from this run's results
and written by the notebook that tests it (``work/front/claims/<n>.txt`` and ``<n>.csv``).

1. MOL outperforms the state of the art (notebook 02): MOL's per-video UF1 beside the best
   baseline's on the same videos, each with its 95% bootstrap over subjects, and chance; above
   or below when the intervals are disjoint, within each other's intervals when they overlap.
2. The flow and landmark tasks help MER (notebook 03): each variant's median paired difference to
   the full model, with its sign interval.
3. MOL captures the regions tied to micro-expressions (notebook 04): the pointing game, each
   method's rate with its Wilson interval against chance.

The labels every number shares (tier, profile, protocol) live in the results tables, not here."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from molkit.intervals import Interval, subject_bootstrap
from molkit.metrics import summarize
from molkit.train.loso import LosoResult

CLAIMS = {
    1: "MOL against the baselines",
    2: "The flow and landmark tasks",
    3: "The regions MOL attends to",
}
COLUMNS = ["quantity", "value", "on"]
ATTRIBUTION_NAMES = {  # molkit.attribution.METHODS as a sentence names them
    "ig": "Integrated Gradients",
    "ig_noise": "Integrated Gradients with noise",
    "occlusion": "occlusion",
    "region_occlusion": "region occlusion",
    "gradcam": "Grad-CAM",
    "random": "random attribution",
}


@dataclasses.dataclass(frozen=True)
class Claim:
    """What a run says on one claim: ``sentence``, one plain sentence; ``numbers``, the numbers
    behind it (columns ``quantity``, ``value``: estimate and 95% interval as text, ``on``: the
    folds, videos, pairs or clips); ``source``: where they come from when not from this run."""

    sentence: str
    numbers: pd.DataFrame
    source: str = ""


def _ranged(i: Interval, sign: str = "") -> str:
    return f"{i.estimate:{sign}.2f} [{i.low:{sign}.2f}, {i.high:{sign}.2f}]"


def _uf1(videos: pd.DataFrame, n_classes: int) -> Interval:
    return subject_bootstrap(videos.subject, videos.label, videos.pred, n_classes=n_classes, metric="uf1")


def _name(result: LosoResult) -> str:
    recipe = result.config.recipe(result.prep)
    return result.config.method_name + (f" ({recipe} recipe)" if recipe else "")


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("s" if n != 1 else "")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _span(values: pd.Series, form: str) -> str:
    """One value, or the range ``low-high`` where they differ."""
    low, high = form.format(values.min()), form.format(values.max())
    return low if low == high else f"{low}-{high}"


def models_claim(
    mol: LosoResult, baselines: Sequence[LosoResult], chance: float, *, context: str = ""
) -> Claim:
    """Claim 1: MOL's per-video UF1 on its folds beside the best baseline's on the same videos
    (each with its 95% bootstrap over subjects) and chance. The sentence says, first that applies:
    MOL predicted one class in some folds; it never recognised a class; it is not distinguishable
    from chance (its interval reaches chance); it scores above or below the best baseline (disjoint
    intervals) or within each other's intervals (overlapping); with no baseline, above chance.
    ``context`` (the size of MOL's training against the budget curve's record:
    :func:`molkit.run.mol_budget.budget_context`) follows the sentence."""
    n, name = mol.n_classes, _name(mol)
    folds, videos = mol.videos.subject.nunique(), len(mol.videos)
    ours = _uf1(mol.videos, n)
    rows = [(f"{name}, per-video UF1", _ranged(ours), f"{_count(folds, 'fold')}, {_count(videos, 'video')}")]
    keep = set(mol.videos.video_id)
    on_mol = [(b, b.videos[b.videos.video_id.isin(keep)]) for b in baselines]
    on_mol = [(b, v) for b, v in on_mol if len(v)]
    best, theirs = None, None
    if on_mol:
        best, best_videos = max(on_mol, key=lambda pair: summarize(pair[1].label, pair[1].pred, n)["uf1"])
        theirs = _uf1(best_videos, n)
        rows.append(
            (
                f"best baseline, {_name(best)}, per-video UF1",
                _ranged(theirs),
                f"MOL's {len(best_videos)} videos",
            )
        )
    rows.append(("chance (uniform guess), per-video UF1", f"{chance:.2f}", ""))
    never = mol.collapse.iloc[-1]["zero_recall"]
    if mol.collapsed_folds:
        sentence = f"{name} predicted one class in {mol.collapsed_folds} of {folds} folds."
        rows.append(
            ("folds that predicted one class", f"{mol.collapsed_folds} of {folds}", _count(folds, "fold"))
        )
    elif never:
        sentence = f"{name} never recognised {never}."
        rows.append(("classes never recognised", str(never), _count(folds, "fold")))
    elif ours.low <= chance:
        sentence = f"{name} is not distinguishable from chance."
    elif best is None or theirs is None:
        sentence = f"{name} scores above chance."
    elif ours.low > theirs.high:
        sentence = f"{name} scores above the best baseline, {_name(best)}, on MOL's videos."
    elif ours.high < theirs.low:
        sentence = f"{name} scores below the best baseline, {_name(best)}, on MOL's videos."
    else:
        sentence = (
            f"{name} and the best baseline, {_name(best)}, score within each other's intervals "
            "on MOL's videos."
        )
    return Claim(f"{sentence} {context}".strip(), pd.DataFrame(rows, columns=COLUMNS))


def tasks_claim(differences: pd.DataFrame, source: str = "", confidence: float = 0.95) -> Claim:
    """Claim 2: each variant's median paired difference in per-video UF1 to the full model, with its
    sign interval (``Ablations.differences``, or a benchmark record's: ``source`` says where it
    comes from). A variant differs when its interval leaves out zero at ``confidence``
    (``exceeds``); with too few pairs no interval reaches it and none is claimed."""
    rows = [
        (
            f"{r.variant} minus full, per-video UF1 (median, {r.coverage:.0%} sign interval)",
            f"{r['median']:+.2f} [{r.low:+.2f}, {r.high:+.2f}]",
            _count(int(r.pairs), "seed x fold pair"),
        )
        for _, r in differences.iterrows()
    ]
    numbers = pd.DataFrame(rows, columns=COLUMNS)
    if differences.empty:
        return Claim("Only the full model ran: there is no difference to compare.", numbers, source)
    below = list(differences.variant[differences.exceeds & (differences["median"] < 0)])
    above = list(differences.variant[differences.exceeds & (differences["median"] > 0)])
    rest = len(differences) - len(below) - len(above)
    if (differences.coverage < confidence).all():
        said = (
            f"too few seed x fold pairs for a {confidence:.0%} interval: "
            "no variant can be told from the full model"
        )
    elif not below and not above:
        said = "no variant differs from the full model beyond the spread of its pairs"
    else:
        clauses = [
            f"the variant{'s' * (len(chosen) > 1)} {_listed([repr(v) for v in chosen])} "
            f"score{'s' * (len(chosen) == 1)} {where} the full model beyond the spread"
            for chosen, where in ((below, "below"), (above, "above"))
            if chosen
        ]
        if rest:
            clauses.append(
                "the other variants do not differ" if rest > 1 else "the other variant does not differ"
            )
        said = "; ".join(clauses)
    return Claim(f"In the benchmark record, {said}." if source else f"{_capital(said)}.", numbers, source)


def pointing_claim(intervals: pd.DataFrame, random: str = "random") -> Claim:
    """Claim 3 over the methods of :func:`molkit.attribution.pointing.pointing_intervals`: which
    point at the moving regions above chance (their Wilson interval's low end above the chance
    level) and which do not; the table has each method's pointing rate with its interval, the
    random attribution's and chance."""
    rows = intervals.drop(index=random, errors="ignore")
    names = {m: ATTRIBUTION_NAMES.get(str(m), str(m)) for m in intervals.index}
    above = [names[m] for m in rows.index[rows.rate_low > rows.chance_hit]]
    below = [names[m] for m in rows.index if names[m] not in above]
    where = "at the moving regions above chance"
    if rows.empty:
        sentence = "No attribution method ran."
    elif not above:
        sentence = f"No attribution method points {where}."
    elif not below:
        who = "Every attribution method" if len(above) > 1 else _capital(above[0])
        sentence = f"{who} points {where}."
    else:
        verb, negation = "point" if len(above) > 1 else "points", "do" if len(below) > 1 else "does"
        sentence = f"{_capital(_listed(above))} {verb} {where}; {_listed(below)} {negation} not."
    numbers = [
        (
            f"{names[m]}, pointing rate (Wilson interval)",
            f"{r.pointing_rate:.2f} [{r.rate_low:.2f}, {r.rate_high:.2f}]",
            _count(int(r.n), "clip"),
        )
        for m, r in [*rows.iterrows(), *intervals.loc[intervals.index == random].iterrows()]
    ]
    if len(intervals):
        numbers.append(
            (
                "chance (a region drawn at random)",
                _span(intervals.chance_hit, "{:.2f}"),
                _span(intervals.n, "{:.0f} clips"),
            )
        )
    return Claim(sentence, pd.DataFrame(numbers, columns=COLUMNS))
