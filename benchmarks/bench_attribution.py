"""Time per attribution method on MOL (the easy profile's flow width), per clip, against the cost of one
forward + backward pass of the MER logits; and Integrated Gradients with the auxiliary heads
skipped (what ``MERLogits`` does) against the full multi-output forward.

With ``--cache DIR`` (a prepared synthetic cache) it also trains MOL at the easy profile on all
subjects but the last two and plays the pointing game on those two, per method, against chance.

Writes reports/benchmarks/attribution.md.
Usage: python benchmarks/bench_attribution.py [--clips 2] [--cache DIR --work DIR]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import torch
from captum.attr import IntegratedGradients
from torch import nn

from molkit.attribution import METHODS, AttributionConfig, MERLogits, attribute
from molkit.attribution.experiment import pointing_experiment, train_without
from molkit.data.cache import atomic_write_text
from molkit.model import MOL, MOLConfig
from molkit.profiles import get_profile
from molkit.run.configs import attribution_config_from_profile, loso_config_from_profile

REPORT = Path(__file__).resolve().parents[1] / "reports" / "benchmarks" / "attribution.md"


class FullForwardLogits(nn.Module):
    """The naive wrapper: runs every head, keeps the logits."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return self.model(clips).logits


def median_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        run()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - tic)
    return statistics.median(times)


def pointing_section(
    cache: str, work: str, device: torch.device, steps: int | None, samples: int | None
) -> list[str]:
    """Train at the easy profile without the last two subjects; pointing game on those two.
    ``steps``/``samples`` cut the training steps and attributed clips (on a slow machine)."""
    profile = get_profile("easy")
    profile = profile.replace(
        steps=steps or profile.steps, attribution_samples=samples or profile.attribution_samples
    )
    tic = time.perf_counter()
    model, held = train_without(
        cache, work, loso_config_from_profile(profile), held_out=2, device=device.type
    )
    trained = time.perf_counter() - tic
    result = pointing_experiment(
        model,
        cache,
        held,
        samples=profile.attribution_samples,
        config=attribution_config_from_profile(profile),
    )
    result.save(work)
    summary = result.summary.reset_index()
    table = ["| " + " | ".join(summary.columns) + " |", "|---" * len(summary.columns) + "|"]
    table += [
        "| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |"
        for row in summary.itertuples(index=False)
    ]
    counts = result.games[result.games.method == "random"]["label"].value_counts().to_dict()
    return [
        "",
        f"## Pointing game on held-out synthetic subjects ({', '.join(held)})",
        "",
        f"MOL trained with the easy profile's settings (fixed schedule: {profile.steps} steps "
        f"of batch "
        f"{profile.batch_size}, flow head width {profile.flow_width}, {profile.train_crops} crops) "
        f"on the other subjects of `{cache}` ({trained:.0f} s, {device.type}); the true-class "
        f"logit of the first clip of {len(result.clips)} held-out videos (classes {counts}), "
        "`attribution_config_from_profile('easy')`. `pointing_rate`: top region (highest "
        "density) among the class's true regions; `chance_hit`: a region drawn at random; "
        "`mask_share`: share of positive attribution inside the true regions; `chance_share`: a "
        "uniform attribution's; `random`: uniformly random attributions (empirical chance). "
        "Seconds include Captum's work for all clips.",
        "",
        *table,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", help="prepared synthetic cache for the pointing game")
    parser.add_argument(
        "--work",
        default="/tmp/molkit-bench-attribution",
        help="where the held-out model is trained (reused when there)",
    )
    parser.add_argument("--steps", type=int, help="training steps (default: the easy profile's)")
    parser.add_argument(
        "--samples", type=int, help="clips attributed (default: the easy profile's attribution_samples)"
    )
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    width = get_profile("easy").flow_width
    torch.manual_seed(0)
    model = MOL(MOLConfig(n_classes=5, flow_width=width)).to(device).eval()
    clips = torch.randn(args.clips, 1, 8, 128, 128, device=device)
    landmarks = torch.rand(args.clips, 8, 68, 2) * 80 + 24
    config = AttributionConfig()
    target = torch.zeros(args.clips, dtype=torch.long, device=device)

    def forward_backward(wrapper: nn.Module) -> None:
        x = clips.clone().requires_grad_()
        wrapper(x)[:, 0].sum().backward()

    rows = [
        (
            "forward+backward, logits only",
            median_seconds(lambda: forward_backward(MERLogits(model)), args.repeats),
        )
    ]
    unit = rows[0][1]
    for method in METHODS:
        rows.append(
            (
                method,
                median_seconds(
                    lambda m=method: attribute(model, clips, target, m, landmarks, config), args.repeats
                ),
            )
        )
    skipped = rows[1][1]
    full = median_seconds(
        lambda: IntegratedGradients(FullForwardLogits(model)).attribute(
            clips,
            baselines=0.0,
            target=target,
            n_steps=config.ig_steps,
            internal_batch_size=config.batch_size * config.ig_steps,
        ),
        args.repeats,
    )

    lines = [
        "# Attribution: time per method",
        "",
        f"MOL (5 classes, flow head width {width}, untrained: timings do not depend on weights), "
        f"{args.clips} clips of 8x128x128, `AttributionConfig()` defaults "
        f"({config.to_json().replace(chr(10), ' ')}), median of {args.repeats} runs on "
        f"{device.type} ({platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads). The machine was shared with other engineers' "
        "jobs while measuring: figures are noisy, ratios more telling than seconds.",
        "",
        "| what | seconds per clip (median) | x one forward+backward |",
        "|---|---|---|",
    ]
    for name, seconds in rows:
        lines.append(f"| {name} | {seconds / args.clips:.3f} | {seconds / unit:.1f} |")
    lines += [
        "",
        "Integrated Gradients through the full multi-output forward (flow and landmark heads run "
        f"and are thrown away): {full / args.clips:.3f} s per clip; with `MERLogits` skipping "
        f"them: {skipped / args.clips:.3f} s per clip, {full / skipped:.2f}x faster.",
        "",
    ]
    if args.cache:
        lines += pointing_section(args.cache, args.work, device, args.steps, args.samples)
    options = [f"--{name} {value}" for name, value in vars(args).items() if value is not None]
    lines += ["", f"Command: `python benchmarks/bench_attribution.py {' '.join(options)}`"]
    text = "\n".join(lines) + "\n"
    print(text)
    atomic_write_text(REPORT, text)


if __name__ == "__main__":
    main()
