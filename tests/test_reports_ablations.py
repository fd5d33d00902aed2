"""Ablation differences paired by seed and fold, against a hand computation; the benchmark's
record that the demo profile shows instead of training."""

from __future__ import annotations

import pandas as pd
import pytest

from molkit.run.ablations import (
    RECORD_LABELS,
    differences_sentence,
    paired_differences,
    recorded_ablation,
)


def per_fold_table() -> pd.DataFrame:
    rows = []
    full = {
        (0, "a"): 0.5,
        (0, "b"): 0.4,
        (1, "a"): 0.6,
        (1, "b"): 0.3,
        (2, "a"): 0.5,
        (2, "b"): 0.5,
        (3, "a"): 0.7,
        (3, "b"): 0.4,
    }
    for (seed, fold), value in full.items():
        rows.append({"variant": "full", "seed": seed, "fold": fold, "uf1": value})
        # "no flow" loses 0.1 to 0.3 in every pair; "no landmarks" is full plus or minus 0.05
        rows.append(
            {
                "variant": "no flow",
                "seed": seed,
                "fold": fold,
                "uf1": value - 0.1 - 0.025 * seed - (fold == "b") * 0.1,
            }
        )
        rows.append(
            {
                "variant": "no landmarks",
                "seed": seed,
                "fold": fold,
                "uf1": value + (0.05 if seed % 2 else -0.05),
            }
        )
    rows.append({"variant": "no landmarks", "seed": 9, "fold": "a", "uf1": 0.9})  # unpaired: left out
    return pd.DataFrame(rows)


def test_paired_differences_by_hand():
    table = paired_differences(per_fold_table(), "uf1").set_index("variant")
    # no flow - full, per (seed, fold): -0.1 -0.2 -0.125 -0.225 -0.15 -0.25 -0.175 -0.275
    no_flow = sorted([-0.1, -0.2, -0.125, -0.225, -0.15, -0.25, -0.175, -0.275])
    row = table.loc["no flow"]
    assert row.pairs == 8 and row["mean"] == pytest.approx(sum(no_flow) / 8)
    assert row["median"] == pytest.approx((no_flow[3] + no_flow[4]) / 2)
    # n = 8: P(B <= 0) = 1/256 gives coverage 0.992; P(B <= 1) = 9/256 gives 0.930 < 0.95: k = 1
    assert (row.low, row.high) == pytest.approx((no_flow[0], no_flow[-1]))
    assert row.coverage == pytest.approx(1 - 2 / 256)
    assert row.p_sign == pytest.approx(2 / 256) and row.exceeds
    landmarks = table.loc["no landmarks"]
    assert landmarks.pairs == 8 and landmarks["mean"] == pytest.approx(0.0, abs=1e-12)
    assert not landmarks.exceeds and landmarks.p_sign == 1.0
    sentence = differences_sentence(table.reset_index())
    assert sentence.startswith("Beyond the spread of their pairs")
    assert "no flow -0.188 [-0.275, -0.100]" in sentence and "Within it: no landmarks." in sentence


def test_sentence_with_too_few_pairs():
    table = per_fold_table()
    few = table[(table.seed < 2) & (table.fold == "a")]
    differences = paired_differences(few, "uf1")
    assert differences.pairs.tolist() == [2, 2] and not differences.exceeds.any()
    sentence = differences_sentence(differences)
    assert sentence.startswith("No variant differs from full beyond the spread")
    assert "With 2 pair(s) no interval can cover 95%: these cover 50%" in sentence
    assert differences_sentence(paired_differences(table[table.variant == "full"], "uf1")).startswith(
        "Only the full"
    )


def test_a_recorded_ablation_reads_back_with_what_made_it(tmp_path):
    differences = paired_differences(per_fold_table(), "uf1")
    made = dict(zip(RECORD_LABELS, ("twin of composite", "kit", "smic/s3 casme2/sub02", 400, 2023)))
    path = tmp_path / "ablations_twin_pairs.csv"
    differences.assign(**made).to_csv(path, index=False)  # as benchmarks/bench_learning.py writes it
    record = recorded_ablation(path)
    pd.testing.assert_frame_equal(record.differences, differences)
    assert record.label == (
        "twin of composite | MOL (kit recipe), 400 steps, seed 2023 | named folds smic/s3 casme2/sub02"
    )
    assert record.source.startswith("not from this run: ablations_twin_pairs.csv, last written ")
    assert recorded_ablation(tmp_path / "absent.csv") is None
