"""The report's first line: a verdict computed from the LOSO results, e.g. "MOL learned:
per-video UF1 0.63, chance 0.20" or "MOL predicted one class in 3 of 8 folds"."""

from __future__ import annotations

from collections.abc import Sequence

from molkit.train.loso import LosoResult


def _uf1(result: LosoResult) -> float:
    return float(result.summary.set_index("level").loc["video", "uf1"])


def model_verdict(result: LosoResult, chance: float) -> str:
    """What one result says: collapsed (one class predicted in some folds, or classes never
    recognised), at chance (per-video UF1 not above ``chance``), or learned."""
    name, uf1 = result.config.method_name, _uf1(result)
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


def verdict(mol: Sequence[LosoResult], baselines: Sequence[LosoResult], chance: float, data: str) -> str:
    """One line: the verdict on each MOL result (one per recipe, labelled), then the baselines'
    per-video UF1, then what the numbers are on (``data``, e.g. "synthetic, difficulty 1")."""
    parts = [f"{model_verdict(result, chance)} [{result.label}]" for result in mol]
    if baselines:
        parts.append(", ".join(f"{b.config.method_name} UF1 {_uf1(b):.2f}" for b in baselines))
    return "; ".join(parts) + f" (on {data})"
