"""The report's verdict: one short sentence per claim of the paper, each computed from this run's
results and written by the notebook that tests it (``work/front/claims/<n>.txt``).

1. MOL outperforms the state of the art (notebook 02): MOL's per-video UF1 beside the best
   baseline's on the same videos, with their 95% bootstrap over subjects, and chance.
2. The flow and landmark tasks help MER (notebook 03): each variant's median paired difference to
   the full model, with its sign interval.
3. MOL captures the regions tied to micro-expressions (notebook 04): the pointing game.

The labels every number shares (tier, profile, protocol) live in the tables, not here."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from molkit.intervals import subject_bootstrap
from molkit.metrics import summarize
from molkit.train.loso import LosoResult

CLAIMS = {
    1: "MOL against the baselines",
    2: "The flow and landmark tasks",
    3: "The regions MOL attends to",
}


def _uf1(videos: pd.DataFrame, n_classes: int) -> str:
    i = subject_bootstrap(videos.subject, videos.label, videos.pred, n_classes=n_classes, metric="uf1")
    return f"{i.estimate:.2f} [{i.low:.2f}, {i.high:.2f}]"


def model_verdict(result: LosoResult, chance: float) -> str:
    """What one MOL result says: collapsed (one class predicted in some folds, or classes never
    recognised), at chance (per-video UF1 not above ``chance``), or learned."""
    name, uf1 = result.config.method_name, float(result.summary.set_index("level").loc["video", "uf1"])
    scores = f"per-video UF1 {uf1:.2f}, chance {chance:.2f}"
    folds = len(result.collapse) - 1
    never = result.collapse.iloc[-1]["zero_recall"]
    if result.collapsed_folds:
        return f"{name} predicted one class in {result.collapsed_folds} of {folds} folds ({scores})"
    if never:
        return f"{name} never recognised {never} ({scores})"
    if uf1 <= chance:
        return f"{name} is at chance ({scores})"
    return f"{name} learned: {scores}"


def models_claim(mol: LosoResult, baselines: Sequence[LosoResult], chance: float) -> str:
    """Claim 1 in one sentence: MOL's state (:func:`model_verdict`) and, on MOL's videos, its
    per-video UF1 beside the best baseline's, each with its 95% bootstrap over subjects."""
    n = mol.n_classes
    said = model_verdict(mol, chance)
    if not baselines:
        return said + "."
    keep = set(mol.videos.video_id)
    on_mol = [(b, b.videos[b.videos.video_id.isin(keep)]) for b in baselines]
    best, videos = max(
        on_mol, key=lambda pair: summarize(pair[1].label, pair[1].pred, n)["uf1"] if len(pair[1]) else -1
    )
    folds = mol.videos.subject.nunique()
    return (
        f"{said}; on its {folds} folds MOL {_uf1(mol.videos, n)}, "
        f"{best.config.method_name} {_uf1(videos, n)} (per-video UF1, 95% over subjects)."
    )


def tasks_claim(differences: pd.DataFrame) -> str:
    """Claim 2 in one sentence: each variant's median paired difference in per-video UF1 to the
    full model, with its sign interval (``Ablations.differences``), and how many exceed the spread."""
    if differences.empty:
        return "Only the full model ran: no difference to compare."
    parts = [
        f"{r.variant} {r['median']:+.2f} [{r.low:+.2f}, {r.high:+.2f}]" for _, r in differences.iterrows()
    ]
    beyond = int(differences.exceeds.sum())
    return (
        f"Per-video UF1 minus the full model's: {'; '.join(parts)} ({int(differences.pairs.min())} "
        f"seed x fold pairs, sign intervals at {differences.coverage.min():.0%}; "
        f"{beyond or 'none'} beyond the spread)."
    )
