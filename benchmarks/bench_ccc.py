"""CCC forward + backward: molkit's batched CCC vs the released per-channel, per-neighbour loop.

Same inputs, same weights, one run; prints medians and the ratio and writes
reports/benchmarks/model_ccc.md. Input: the maps one F5C block sees for a batch of 2 clips
(2 x 7 frames of 128 x 16 x 16).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from released_reference import ReleasedCCC  # noqa: E402

from molkit.model import CCC  # noqa: E402


def seconds(step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def interleaved_medians(slow, fast, repeats: int, fast_repeats: int = 3) -> tuple[float, float, float]:
    """Alternate one ``slow`` run with ``fast_repeats`` ``fast`` runs (after a warm-up each) so that
    both see the same machine load; medians of each side's times and of the per-round ratios."""
    slow(), fast()
    rounds = [
        (seconds(slow), statistics.median(seconds(fast) for _ in range(fast_repeats))) for _ in range(repeats)
    ]
    return (
        statistics.median(s for s, _ in rounds),
        statistics.median(f for _, f in rounds),
        statistics.median(s / f for s, f in rounds),
    )


def write_report(name: str, lines: list[str]) -> Path:
    """Write reports/benchmarks/<name>.md atomically."""
    out = ROOT / "reports" / "benchmarks" / f"{name}.md"
    tmp = out.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, out)
    print(f"wrote {out}")
    return out


def forward_backward(module: torch.nn.Module, x: torch.Tensor, chunk: int):
    """One step on ``x``, calling ``module`` on chunks of ``chunk`` maps (as a per-pair loop would)."""

    def step() -> None:
        module.zero_grad()
        x.grad = None
        torch.cat([module(part) for part in x.split(chunk)]).square().mean().backward()

    return step


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    clips, pairs = 2, 7
    x = torch.randn(clips * pairs, 128, 16, 16, requires_grad=True)
    rows = []
    for reading in ("released", "paper"):
        naive = ReleasedCCC(reading=reading)
        fast = CCC(reading=reading)
        fast.phi.weight.data = naive.conv1.weight.data.reshape(256, 256).clone()
        fast.phi.bias.data = naive.conv1.bias.data.clone()
        fast.theta.weight.data = naive.conv2.weight.data.reshape(256, 256).clone()
        fast.theta.bias.data = naive.conv2.bias.data.clone()
        torch.testing.assert_close(fast(x), naive(x), rtol=1e-4, atol=1e-4)
        batched = forward_backward(fast, x, len(x))
        for how, chunk in (
            (f"per pair ({pairs} calls of batch {clips}), as released", clips),
            (f"one call over all {len(x)} maps", len(x)),
        ):
            t_naive, t_fast, ratio = interleaved_medians(forward_backward(naive, x, chunk), batched, 5)
            rows.append((reading, how, t_naive, t_fast, ratio))
            print(
                f"{reading:8s} naive loop {how:40s} {t_naive * 1e3:8.1f} ms   batched "
                f"{t_fast * 1e3:6.2f} ms   speed-up (median of per-round ratios) {ratio:5.0f}x"
            )

    lines = [
        "# CCC forward + backward: batched vs the released loop",
        "",
        f"`{Path(__file__).relative_to(ROOT)}`, input [14, 128, 16, 16] (one F5C block, 2 clips of 8 frames),",
        f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads), torch {torch.__version__}.",
        "After one warm-up each, 5 rounds alternate one naive run with 3 batched runs (so both see the",
        "same load); times are medians, the speed-up is the median of the per-round ratios. The 2-core",
        "machine was shared with other engineers' jobs (load average 4-7): absolute times are noisy.",
        "The naive loop is tests/released_reference.py (the released loop restated: per channel, per",
        "neighbour, two Conv1d calls, incremental concatenation).",
        "",
        "The naive loop is called either per frame pair, as the released model calls it (7 calls of",
        "batch 2 for this input), or once over all 14 maps (a leaner loop than the released model runs).",
        "",
        "| reading | naive loop called | naive (ms) | batched (ms) | speed-up (median ratio) |",
        "|---|---|---:|---:|---:|",
        *(f"| {r} | {h} | {a * 1e3:.1f} | {b * 1e3:.2f} | {s:.0f}x |" for r, h, a, b, s in rows),
    ]
    write_report("model_ccc", lines)


if __name__ == "__main__":
    main()
