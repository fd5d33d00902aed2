"""The front page's verdict: per claim one plain sentence and a small table of its numbers with
their intervals, computed from LOSO results, paired differences and pointing games made by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.metrics import f1_score

from molkit.attribution.pointing import pointing_intervals
from molkit.model import MOLConfig
from molkit.reports.verdict import COLUMNS, models_claim, pointing_claim, tasks_claim
from molkit.run.ablations import paired_differences
from molkit.train import LosoConfig
from molkit.train.loso import LosoResult

NAMES = ["surprise", "happiness", "disgust"]
LABEL = [0, 1, 2, 0, 1, 2]
MOL = "MOL (released recipe)"  # a LosoConfig made by hand carries the released settings
LINEAR = "linear (logistic regression)"


def result(pred: list[int], method: str = "mol", subjects: tuple[str, ...] = ("a", "b")) -> LosoResult:
    n = len(pred)
    clips = pd.DataFrame(
        {
            "protocol": "fixed",
            "fold": [subjects[i * len(subjects) // n] for i in range(n)],
            "subject": [subjects[i * len(subjects) // n] for i in range(n)],
            "video_id": [f"v{i}" for i in range(n)],
            "clip_index": 0,
            "crop": 0,
            "label": (LABEL * 4)[:n],
            "pred": pred,
        }
    )
    for c in range(3):
        clips[f"logit_{c}"] = (np.array(pred) == c).astype(float)
    config = LosoConfig(method=method, classes="3", model=MOLConfig(n_classes=3), profile="demo")
    return LosoResult(config, clips, NAMES)


def uf1(pred: list[int]) -> float:
    return f1_score((LABEL * 4)[: len(pred)], pred, average="macro")


def values(claim) -> dict[str, str]:
    assert list(claim.numbers.columns) == COLUMNS
    return dict(zip(claim.numbers.quantity, claim.numbers.value))


def test_the_models_claim_says_collapse_and_missed_classes_first():
    collapsed = models_claim(result([0, 0, 0, 0, 1, 2]), [], 1 / 3)
    assert collapsed.sentence == f"{MOL} predicted one class in 1 of 2 folds."
    assert values(collapsed)["folds that predicted one class"] == "1 of 2"
    assert values(collapsed)[f"{MOL}, per-video UF1"].startswith(f"{uf1([0, 0, 0, 0, 1, 2]):.2f} [")
    missed = models_claim(result([0, 1, 0, 0, 1, 0]), [], 1 / 3)
    assert missed.sentence == f"{MOL} never recognised disgust."
    assert values(missed)["classes never recognised"] == "disgust"
    assert values(missed)["chance (uniform guess), per-video UF1"] == "0.33"
    wrong = models_claim(result([1, 2, 0, 2, 0, 1]), [], 1 / 3)  # a permutation recognises nothing
    assert wrong.sentence == f"{MOL} never recognised surprise, happiness, disgust."
    # subject a right, subject b a permutation: pooled UF1 0.5, but a draw of b twice scores 0
    chance = models_claim(result([0, 1, 2, 1, 2, 0]), [], 1 / 3)
    assert uf1([0, 1, 2, 1, 2, 0]) == 0.5
    assert chance.sentence == f"{MOL} is not distinguishable from chance."
    assert values(chance)[f"{MOL}, per-video UF1"] == "0.50 [0.00, 1.00]"
    alone = models_claim(result([0, 1, 2, 0, 1, 2]), [], 1 / 3)
    assert alone.sentence == f"{MOL} scores above chance."
    assert alone.numbers.values.tolist() == [
        [f"{MOL}, per-video UF1", "1.00 [1.00, 1.00]", "2 folds, 6 videos"],
        ["chance (uniform guess), per-video UF1", "0.33", ""],
    ]


def test_the_models_claim_compares_intervals_on_mol_videos_with_the_best_baseline():
    mol = result([0, 1, 2, 0, 1, 2])  # subjects a, b: videos v0..v5
    # baselines on four subjects (12 videos); only v0..v5 are MOL's
    linear = result([0, 1, 2, 0, 1, 1] + [0] * 6, "linear", ("a", "b", "c", "d"))
    ststnet = result([1, 1, 1, 0, 1, 2] + [1] * 6, "ststnet", ("a", "b", "c", "d"))
    best = uf1([0, 1, 2, 0, 1, 1])  # on v0..v5: (1 + 0.8 + 2/3) / 3
    assert best > uf1([1, 1, 1, 0, 1, 2])
    claim = models_claim(mol, [ststnet, linear], 1 / 3)
    # subject a alone scores 1.00, so the linear model's interval reaches MOL's 1.00
    assert claim.sentence == (
        f"{MOL} and the best baseline, {LINEAR}, score within each other's intervals on MOL's videos."
    )
    table = claim.numbers.set_index("quantity")
    assert table.loc[f"{MOL}, per-video UF1"].tolist() == ["1.00 [1.00, 1.00]", "2 folds, 6 videos"]
    assert table.loc[f"best baseline, {LINEAR}, per-video UF1", "value"].startswith(f"{best:.2f} [")
    assert table.loc[f"best baseline, {LINEAR}, per-video UF1", "value"].endswith(", 1.00]")
    assert table.loc[f"best baseline, {LINEAR}, per-video UF1", "on"] == "MOL's 6 videos"
    assert len(table) == 3 and "\n" not in claim.sentence

    # every subject alike: zero-width intervals, disjoint
    same = [0, 1, 2, 0, 1, 1] * 2  # two subjects of six videos, each with one disgust video missed
    above = models_claim(result([0, 1, 2] * 4), [result(same, "linear")], 1 / 3)
    assert above.sentence == f"{MOL} scores above the best baseline, {LINEAR}, on MOL's videos."
    assert (
        values(above)[f"best baseline, {LINEAR}, per-video UF1"]
        == f"{uf1(same):.2f} [{uf1(same):.2f}, {uf1(same):.2f}]"
    )
    below = models_claim(result(same), [result([0, 1, 2] * 4, "linear")], 1 / 3)
    assert below.sentence == f"{MOL} scores below the best baseline, {LINEAR}, on MOL's videos."
    assert values(below)[f"{MOL}, per-video UF1"] == f"{uf1(same):.2f} [{uf1(same):.2f}, {uf1(same):.2f}]"
    context = "This run trained MOL 10 steps of 4 clips (40 clips a fold)."
    with_context = models_claim(result(same), [result([0, 1, 2] * 4, "linear")], 1 / 3, context=context)
    assert with_context.sentence == f"{below.sentence} {context}"


def differences(**changes) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "variant": ["no flow", "no landmarks"],
            "metric": "uf1",
            "median": [-0.05, 0.02],
            "low": [-0.2, 0.01],
            "high": [0.1, 0.04],
            "coverage": [0.969, 0.969],
            "pairs": [6, 6],
            "exceeds": [False, True],
        }
    )
    return table.assign(**changes)


def test_the_tasks_claim_says_which_variants_differ_beyond_the_spread():
    claim = tasks_claim(differences())
    assert claim.sentence == (
        "The variant 'no landmarks' scores above the full model beyond the spread; "
        "the other variant does not differ."
    )
    assert claim.numbers.values.tolist() == [
        [
            "no flow minus full, per-video UF1 (median, 97% sign interval)",
            "-0.05 [-0.20, +0.10]",
            "6 seed x fold pairs",
        ],
        [
            "no landmarks minus full, per-video UF1 (median, 97% sign interval)",
            "+0.02 [+0.01, +0.04]",
            "6 seed x fold pairs",
        ],
    ]
    assert claim.source == ""
    both = tasks_claim(
        differences(median=[-0.05, -0.02], low=[-0.2, -0.04], high=[-0.01, -0.01], exceeds=True)
    )
    assert (
        both.sentence
        == "The variants 'no flow' and 'no landmarks' score below the full model beyond the spread."
    )
    none = tasks_claim(differences(exceeds=False))
    assert none.sentence == "No variant differs from the full model beyond the spread of its pairs."
    few = tasks_claim(differences(coverage=0.75, pairs=3, exceeds=False))
    assert few.sentence == (
        "Too few seed x fold pairs for a 95% interval: no variant can be told from the full model."
    )
    recorded = tasks_claim(differences(exceeds=False), source="not from this run: record.csv")
    assert recorded.sentence == (
        "In the benchmark record, no variant differs from the full model beyond the spread of its pairs."
    )
    assert recorded.source == "not from this run: record.csv"
    empty = tasks_claim(differences().iloc[:0])
    assert empty.sentence == "Only the full model ran: there is no difference to compare."
    assert empty.numbers.empty and list(empty.numbers.columns) == COLUMNS


def test_the_tasks_table_holds_the_median_and_the_widest_sign_interval_of_six_pairs():
    rng = np.random.default_rng(0)
    full = rng.uniform(0.2, 0.6, 6)
    change = np.array([0.05, -0.02, 0.1, 0.03, 0.07, -0.04])
    per_fold = pd.DataFrame(
        {
            "variant": ["full"] * 6 + ["no flow"] * 6,
            "seed": [0, 0, 0, 1, 1, 1] * 2,
            "fold": ["a", "b", "c"] * 4,
            "uf1": np.concatenate([full, full + change]),
        }
    )
    claim = tasks_claim(paired_differences(per_fold))
    # of six pairs only [min, max] covers 95% (1 - 2 / 64); [2nd, 5th] covers 1 - 2 * 7 / 64
    d = np.sort(change)
    assert claim.numbers.value.tolist() == [f"{np.median(d):+.2f} [{d[0]:+.2f}, {d[-1]:+.2f}]"]
    assert claim.sentence == "No variant differs from the full model beyond the spread of its pairs."


def wilson(hits: int, n: int) -> tuple[float, float]:
    z, p = norm.ppf(0.975), hits / n
    centre, half = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def games(hits: dict[str, int], n: int = 20) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": [m for m in hits for _ in range(n)],
            "hit": [i < k for k in hits.values() for i in range(n)],
            "chance_hit": 0.2,
            "mask_share": 0.5,
            "chance_share": 0.1,
        }
    )


def test_the_pointing_claim_says_which_methods_beat_chance():
    claim = pointing_claim(pointing_intervals(games({"ig": 18, "gradcam": 2, "random": 4})))
    # Wilson 95% for 18 of 20 is about [0.70, 0.97]: above 0.2; for 2 of 20 about [0.03, 0.30]
    assert (
        claim.sentence == "Integrated Gradients points at the moving regions above chance; Grad-CAM does not."
    )
    rows = [
        (name, hits, wilson(hits, 20))
        for name, hits in [("Integrated Gradients", 18), ("Grad-CAM", 2), ("random attribution", 4)]
    ]
    assert claim.numbers.values.tolist() == [
        *[
            [f"{name}, pointing rate (Wilson interval)", f"{k / 20:.2f} [{low:.2f}, {high:.2f}]", "20 clips"]
            for name, k, (low, high) in rows
        ],
        ["chance (a region drawn at random)", "0.20", "20 clips"],
    ]
    every = pointing_claim(pointing_intervals(games({"ig": 18, "occlusion": 17})))
    assert every.sentence == "Every attribution method points at the moving regions above chance."
    one = pointing_claim(pointing_intervals(games({"ig": 18, "random": 4})))
    assert one.sentence == "Integrated Gradients points at the moving regions above chance."
    none = pointing_claim(pointing_intervals(games({"ig": 2, "gradcam": 5, "random": 4})))
    assert none.sentence == "No attribution method points at the moving regions above chance."
